// GELU(h + b) for the feed-forward's inner layer as a kernel of tfjs-wasm's (issue #20): tfjs's Erf and Exp are scalar
// loops on wasm, and encoder.ts's gelu is six kernels forward and eight backward over [rows, ffn]; here it is one
// kernel forward and one multiply backward, in wasm SIMD (src/runtime/fused-wasm/fused.wat), with the arithmetic of
// encoder.ts's gelu and the erf of tfjs (Abramowitz & Stegun 7.1.26).
// Under a gradient tape the forward kernel also writes the slope GELU'(h + b) from the same erf and exponential, and
// the backward pass is dy·slope: the slope is kept in place of h (the same size), and the backward pass no longer
// recomputes erf and e^(−v²/2) — in a MiniLM-L6 step at seq 32 that recomputation was 11 ms of 500
// (bench/profile-wasm.ts). Without a tape only GELU(h + b) is written.
// A bias that is a frozen variable is not an input of the gradient, so it costs no column sum (as the WebGPU kernel,
// linear-webgpu.ts's fusedBiasGelu). The kernel names differ from the WebGPU ones: tfjs registers kernels globally
// per name.
import * as tf from '@tensorflow/tfjs';
import { checkFloat32, context, registerWasmKernel, wasmColumnSum } from './wasm-common';

export { fusedWasmAvailable } from './wasm-common';

const BIAS_GELU = 'TabtuneBiasGeluWasm';
const BIAS_GELU_SLOPE = 'TabtuneBiasGeluSlopeWasm';

/** GELU(h + b), h [rows, cols], b [cols]: the exact erf GELU as encoder.ts's gelu. */
export function wasmBiasGelu(h: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (h.rank !== 2 || b.rank !== 1 || b.size !== h.shape[1]) throw new Error(`wasmBiasGelu: h [${h.shape}] and b [${b.shape}] do not fit.`);
  checkFloat32('wasmBiasGelu', [h, b]);
  register();
  // An array, not a named map, as linear-webgpu.ts's run.
  if (!tf.engine().isTapeOn()) return tf.engine().runKernel(BIAS_GELU, [h, b] as unknown as tf.NamedTensorMap, {}) as tf.Tensor2D;
  const frozenBias = b instanceof tf.Variable && !b.trainable;
  const inputs: tf.Tensor[] = frozenBias ? [h] : [h, b];
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[inputs.length] as tf.GradSaveFunc;
    const [out, slope] = tf.engine().runKernel(BIAS_GELU_SLOPE, [args[0], frozenBias ? b : args[1]] as unknown as tf.NamedTensorMap, {}) as tf.Tensor2D[];
    save([slope]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => {
        const dh = tf.mul(dy, s) as tf.Tensor2D;
        return frozenBias ? [dh] : [dh, wasmColumnSum(dh)];
      },
    };
  })(...inputs) as tf.Tensor2D;
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
  registerWasmKernel(BIAS_GELU_SLOPE, ({ inputs, backend }) => {
    const [h, b] = inputs as unknown as tf.TensorInfo[];
    const k = context(BIAS_GELU_SLOPE, backend);
    const out = k.output(h.shape);
    const slope = k.output(h.shape);
    k.fns.bias_gelu_slope(k.at(h), k.at(b), k.at(out), k.at(slope), h.shape[0], h.shape[1]);
    return [out, slope];
  });
}
