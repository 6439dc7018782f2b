// The attention's softmax(scores/√D + mask) as one kernel of tfjs-wasm's each way (issue #20, "mask + softmax"): on
// wasm encoder.ts's attention made it a RealDiv, a broadcast Add and tfjs's Softmax over [batch, heads, L, L], and
// their gradients five more kernels (Multiply, Sum, Sub, RealDiv…); at seq 128 those were about 100 ms of a 2.8 s
// one-thread MiniLM-L6 LoRA step (bench/profile-wasm.ts, SHAPES=1). Here one pass of rows does the division, the mask,
// the max, e^(v − max) and the normalisation (src/runtime/fused-wasm/fused.wat, masked_softmax), and the gradient
// y·(dy − Σ dy·y)/d is one more. Only the output is kept for the backward pass, as tfjs's Softmax keeps it.
import * as tf from '@tensorflow/tfjs';
import { checkFloat32, context, fusedWasmAvailable, registerWasmKernel } from './wasm-common';

const MASKED_SOFTMAX = 'TabtuneMaskedSoftmaxWasm';
const SOFTMAX_GRAD = 'TabtuneSoftmaxGradWasm';

let on = true;
/** false: encoder.ts's tfjs ops for the softmax while the other fused kernels stay (for bench/wasm-ab.ts's before and
 * after; true by default). */
export function setWasmSoftmax(next: boolean): void {
  on = next;
}

/** Whether encoder.ts's attention takes wasmMaskedSoftmax: the fused wasm kernels run here, and it is not turned off. */
export function wasmSoftmaxAvailable(): boolean {
  return on && fusedWasmAvailable();
}

/**
 * softmax(scores/d + mask) over the last axis: scores [batch, heads, L, L], mask the additive mask bias [batch, L]
 * (one row per sequence, the same for its heads and queries), as encoder.ts's
 * tf.softmax(tf.add(tf.div(scores, d), tf.reshape(mask, [batch, 1, 1, L]))).
 */
export function wasmMaskedSoftmax(scores: tf.Tensor4D, mask: tf.Tensor2D, d: number): tf.Tensor4D {
  const [batch, , rows, cols] = scores.shape;
  if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== cols || rows !== cols) {
    throw new Error(`wasmMaskedSoftmax: scores [${scores.shape}] and mask [${mask.shape}] do not fit.`);
  }
  checkFloat32('wasmMaskedSoftmax', [scores, mask]);
  register();
  return tf.engine().runKernel(MASKED_SOFTMAX, [scores, mask] as unknown as tf.NamedTensorMap, { d }) as tf.Tensor4D;
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  registerWasmKernel(MASKED_SOFTMAX, ({ inputs, backend, attrs }) => {
    const [scores, mask] = inputs as unknown as tf.TensorInfo[];
    const [, heads, L] = scores.shape;
    const k = context(MASKED_SOFTMAX, backend);
    const out = k.output(scores.shape);
    k.fns.masked_softmax(k.at(scores), k.at(mask), k.at(out), scores.shape[0] * heads * L, L, (attrs as { d: number }).d, heads * L, 0);
    return out;
  });
  registerWasmKernel(SOFTMAX_GRAD, ({ inputs, backend, attrs }) => {
    const [y, dy] = inputs as unknown as tf.TensorInfo[];
    const cols = y.shape[y.shape.length - 1];
    const k = context(SOFTMAX_GRAD, backend);
    const out = k.output(y.shape);
    k.fns.softmax_grad(k.at(y), k.at(dy), k.at(out), y.shape.reduce((p, n) => p * n, 1) / cols, cols, (attrs as { d: number }).d);
    return out;
  });
  if (!tf.getGradient(MASKED_SOFTMAX)) {
    tf.registerGradient({
      kernelName: MASKED_SOFTMAX, outputsToSave: [true],
      gradFunc: (dy, saved, attrs) => {
        const [y] = saved;
        return {
          0: () => tf.engine().runKernel(SOFTMAX_GRAD, [y, dy as tf.Tensor] as unknown as tf.NamedTensorMap, { d: (attrs as { d: number }).d }) as tf.Tensor,
          // The mask is a constant of the batch (never on a path to a variable); its gradient would be dy summed
          // over heads and queries, which nothing asks for.
          1: () => tf.zeros([y.shape[0], y.shape[y.rank - 1]]),
        };
      },
    });
  }
}
