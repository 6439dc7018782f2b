// Residual add + LayerNorm as kernels of tfjs-wasm's (issue #20). Unfused, layerNorm(x + r) in src/model/encoder.ts
// is an add, moments, sqrt, sub, div, mul and add forward and about a dozen kernels backward over [rows, hidden],
// each a pass over memory. Here, in wasm SIMD (src/runtime/fused-wasm/fused.wat), one row at a time (a row stays
// in cache between its passes):
// - forward: one kernel (mean, then variance, then y);
// - dx (and the residual's, the same values): one kernel that recomputes the row's mean and σ from the saved inputs;
// - dγ: one kernel (stats recomputed per row, Σ dy·x̂ over rows); dβ: a column sum of dy.
// Nothing but the inputs is kept for the backward pass. The maths is encoder.ts's layerNorm, in the same order of
// operations, in float32. As the WebGPU kernel (layer-norm-webgpu.ts) the gradient is a map of closures, called only
// for inputs that lead to trainable tensors: with γ and β frozen (LoRA) only the dx kernel runs. The kernel names
// differ from the WebGPU ones: tf.registerGradient is global per name, and those gradients call WebGPU-only code.
import * as tf from '@tensorflow/tfjs';
import { checkFloat32, columnScratchBytes, context, registerWasmKernel, wasmColumnSum } from './wasm-common';

export { fusedWasmAvailable } from './wasm-common';

const WITH_RESIDUAL = 'TabtuneLayerNormWasm';
// inputsToSave names inputs, and an absent one would be saved as undefined: the case without a residual has its own name.
const WITHOUT_RESIDUAL = 'TabtuneLayerNormNoResidualWasm';
const DX = 'TabtuneLayerNormDxWasm';
const DGAMMA = 'TabtuneLayerNormDGammaWasm';

type Info = tf.TensorInfo;

/** LayerNorm(x + residual) over the last axis (biased variance, eps inside the sqrt), y = x̂·γ + β; residual may be null. */
export function wasmLayerNorm(x: tf.Tensor2D, residual: tf.Tensor2D | null, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  const [rows, hidden] = x.shape;
  if (x.rank !== 2 || (residual && !tf.util.arraysEqual(residual.shape, x.shape)) || gamma.size !== hidden || beta.size !== hidden) {
    throw new Error(`wasmLayerNorm: x [${x.shape}], residual [${residual?.shape ?? ''}], γ [${gamma.shape}], β [${beta.shape}] do not fit.`);
  }
  checkFloat32('wasmLayerNorm', [x, residual, gamma, beta]);
  if (rows === 0) return tf.zeros([0, hidden]);
  register();
  const inputs: tf.NamedTensorMap = residual ? { x, residual, gamma, beta } : { x, gamma, beta };
  return tf.engine().runKernel(residual ? WITH_RESIDUAL : WITHOUT_RESIDUAL, inputs, { eps }) as tf.Tensor2D;
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, withResidual] of [[WITH_RESIDUAL, true], [WITHOUT_RESIDUAL, false]] as const) {
    registerWasmKernel(kernelName, ({ inputs, backend, attrs }) => {
      const { x, residual, gamma, beta } = inputs as Record<'x' | 'residual' | 'gamma' | 'beta', Info>;
      const k = context(kernelName, backend);
      const [rows, hidden] = x.shape;
      const out = k.output(x.shape);
      const r = withResidual ? k.at(residual) : 0;
      k.fns.layer_norm(k.at(x), r, withResidual ? 1 : 0, k.at(gamma), k.at(beta), k.at(out), rows, hidden, (attrs as { eps: number }).eps);
      return out;
    });
    if (!tf.getGradient(kernelName)) {
      tf.registerGradient({
        kernelName,
        inputsToSave: withResidual ? ['x', 'residual', 'gamma'] : ['x', 'gamma'],
        gradFunc: (dy, saved, attrs) => backward(dy as tf.Tensor2D, saved as tf.Tensor2D[], (attrs as { eps: number }).eps, withResidual),
      });
    }
  }
  // Inputs: x, residual?, γ, dy (dx) or x, residual?, dy (dγ); a residual when there are 4 (3).
  registerWasmKernel(DX, ({ inputs, backend, attrs }) => {
    const list = inputs as unknown as Info[];
    const [x, r, gamma, dy] = list.length === 4 ? list : [list[0], null, list[1], list[2]];
    const k = context(DX, backend);
    const out = k.output(x.shape);
    k.fns.layer_norm_dx(k.at(x), r ? k.at(r) : 0, r ? 1 : 0, k.at(gamma), k.at(dy), k.at(out), x.shape[0], x.shape[1], (attrs as { eps: number }).eps);
    return out;
  });
  registerWasmKernel(DGAMMA, ({ inputs, backend, attrs }) => {
    const list = inputs as unknown as Info[];
    const [x, r, dy] = list.length === 3 ? list : [list[0], null, list[1]];
    const k = context(DGAMMA, backend);
    const [rows, hidden] = x.shape;
    const out = k.output([hidden]);
    k.withScratch(columnScratchBytes(hidden), (scratch) =>
      k.fns.layer_norm_dgamma(k.at(x), r ? k.at(r) : 0, r ? 1 : 0, k.at(dy), k.at(out), scratch, rows, hidden, (attrs as { eps: number }).eps));
    return out;
  });
}

const run = (name: string, inputs: tf.Tensor[], eps: number) =>
  tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, { eps }) as tf.Tensor;

function backward(dy: tf.Tensor2D, saved: tf.Tensor2D[], eps: number, withResidual: boolean): Record<string, () => tf.Tensor> {
  const [x, residual, gamma] = withResidual ? saved : [saved[0], null, saved[1]];
  const xs = residual ? [x, residual] : [x];
  let dx: tf.Tensor | null = null;
  // x's and the residual's gradient are the same values. The second closure gets a clone (a second tensor on the
  // same data, no kernel), not the same tensor: the tape disposes a gradient when it adds another to it, which would
  // leave the other input's entry disposed.
  const dInput = () => {
    if (dx && !dx.isDisposed) return dx.clone();
    return (dx = run(DX, [...xs, gamma, dy], eps));
  };
  const grads: Record<string, () => tf.Tensor> = {
    x: dInput,
    gamma: () => run(DGAMMA, [...xs, dy], eps),
    beta: () => wasmColumnSum(dy),
  };
  if (withResidual) grads.residual = dInput;
  return grads;
}
