// GELU(h + b) for the feed-forward's inner layer as a kernel of tfjs-wasm's (issue #20): tfjs's Erf and Exp are scalar
// loops on wasm, and encoder.ts's gelu is six kernels forward and eight backward over [rows, ffn]; here it is one
// each way, in wasm SIMD (src/runtime/fused-wasm/fused.wat), with the arithmetic of encoder.ts's gelu and the erf of
// tfjs (Abramowitz & Stegun 7.1.26). As the WebGPU kernel (linear-webgpu.ts's fusedBiasGelu) the gradient is a
// closure per input, so a frozen bias costs no column sum; nothing but h and b is kept for the backward pass, which
// recomputes erf and e^(−v²/2) (cheap in SIMD, where the unfused gelu keeps 1 + erf to avoid tfjs's scalar Erf).
// The kernel names differ from the WebGPU ones: tf.registerGradient is global per name, and those gradients call
// WebGPU-only code.
import * as tf from '@tensorflow/tfjs';
import { checkFloat32, context, registerWasmKernel, wasmColumnSum } from './wasm-common';

export { fusedWasmAvailable } from './wasm-common';

const BIAS_GELU = 'TabtuneBiasGeluWasm';
const BIAS_GELU_GRAD = 'TabtuneBiasGeluGradWasm';

/** GELU(h + b), h [rows, cols], b [cols]: the exact erf GELU as encoder.ts's gelu. */
export function wasmBiasGelu(h: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (h.rank !== 2 || b.rank !== 1 || b.size !== h.shape[1]) throw new Error(`wasmBiasGelu: h [${h.shape}] and b [${b.shape}] do not fit.`);
  checkFloat32('wasmBiasGelu', [h, b]);
  register();
  // An array, not a named map: saveAllInputs accepts only arrays (see linear-webgpu.ts's run).
  return tf.engine().runKernel(BIAS_GELU, [h, b] as unknown as tf.NamedTensorMap, {}) as tf.Tensor2D;
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  registerWasmKernel(BIAS_GELU, ({ inputs, backend }) => {
    const [h, b] = inputs as unknown as tf.TensorInfo[];
    const k = context(BIAS_GELU, backend);
    const out = k.output(h.shape);
    k.fns.bias_gelu(k.at(h), k.at(b), k.at(out), h.shape[0], h.shape[1]);
    return out;
  });
  registerWasmKernel(BIAS_GELU_GRAD, ({ inputs, backend }) => {
    const [dy, h, b] = inputs as unknown as tf.TensorInfo[];
    const k = context(BIAS_GELU_GRAD, backend);
    const out = k.output(h.shape);
    k.fns.bias_gelu_grad(k.at(dy), k.at(h), k.at(b), k.at(out), h.shape[0], h.shape[1]);
    return out;
  });
  if (!tf.getGradient(BIAS_GELU)) tf.registerGradient({ kernelName: BIAS_GELU, saveAllInputs: true, gradFunc: grad });
}

function grad(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): Record<string, () => tf.Tensor> {
  const [h, b] = saved;
  let dh: tf.Tensor2D | null = null;
  const dInput = () => tf.engine().runKernel(BIAS_GELU_GRAD, [dy as tf.Tensor, h, b] as unknown as tf.NamedTensorMap, {}) as tf.Tensor2D;
  return {
    0: () => (dh = dInput()),
    // The bias's gradient is dh summed over the rows: from h's gradient when the tape made it first (it asks in
    // input order) and still holds it, else from a dh of its own (disposed by the tape's tidy around this closure).
    1: () => wasmColumnSum(dh && !dh.isDisposed ? dh : dInput()),
  };
}
