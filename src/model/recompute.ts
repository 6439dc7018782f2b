// Layer recompute (gradient checkpointing). tfjs's tape keeps every tensor a recorded kernel saves for the backward
// pass until the step's gradients are done: all layers' activations at once, which is what overflows the wasm32
// heap for DistilBERT `lora` at seq 128 and `full` at seq 64 (bench/RESULTS.md). Here a layer is one tape node that
// saves only its input and its linear layers' products; its gradient runs the layer's forward again under a tape of
// its own and backpropagates through that, so at most one layer's activations are alive at a time.
//
// Selective recompute: the second run takes each x·W from the first instead of multiplying again. The products are
// nearly all of a layer's forward FLOPs (at seq 128, 14.2 of 14.6 MFLOP per token in a 768-wide layer: the rest is
// attention's seq² products), and kept they cost 9·hidden floats per token and layer (q, k, v, out, the 4·hidden
// feed-forward and its output) against the plain tape's ~100·hidden (K_HIDDEN below). What is run again is the
// cheap part: biases, LoRA's rank-r products, attention, GELU, LayerNorm.
import * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from './types';
import type { LinearHook } from './encoder';

export type RecomputeSetting = boolean | 'auto';

/** x·W for a linear layer: where a recomputed layer's second run gets the products of its first. */
export type Products = (x: tf.Tensor2D, kernel: tf.Tensor2D) => tf.Tensor2D;

/** A layer's forward pass: `consts` are tensors it reads that take no gradient (the attention mask's bias). */
export type LayerRun = (x: tf.Tensor2D, consts: tf.Tensor[], hook?: LinearHook, products?: Products) => tf.Tensor2D;

/** 'keep': the second run reuses the first run's products (the default); 'rerun': it multiplies again (for A/B runs). */
export type RecomputeProducts = 'keep' | 'rerun';
let productsMode: RecomputeProducts = 'keep';
export function setRecomputeProducts(next: RecomputeProducts): void {
  productsMode = next;
}

/** Multiplies, and keeps each product in `out` in the order the layer made them. */
function recordingProducts(out: tf.Tensor[]): Products {
  return (x, kernel) => {
    const y = tf.matMul(x, kernel) as tf.Tensor2D;
    out.push(y);
    return y;
  };
}

/** Hands back `kept` in order, each as a tape node with the product's gradient (kernels are called in the same order
 * by both runs of a layer: the layer's code is the same and has no data-dependent branch). */
function replayingProducts(kept: tf.Tensor[]): { products: Products; used: () => number } {
  let next = 0;
  const products: Products = (x, kernel) => {
    const y = kept[next++];
    if (!y || y.shape[0] !== x.shape[0] || y.shape[1] !== kernel.shape[1]) throw new Error('A recomputed layer asked for a product its first run did not make.');
    return keptProduct(x, kernel, y as tf.Tensor2D);
  };
  return { products, used: () => next };
}

/** y (= x·W, already computed) as a function of x and W: d/dx = dy·Wᵀ, d/dW = xᵀ·dy, as tfjs's own MatMul gradient
 * (the same two kernels, so the gradients are the plain tape's bit for bit). A frozen W takes no gradient, so it is
 * not an input and x need not be kept. */
function keptProduct(x: tf.Tensor2D, kernel: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  const trains = !(kernel instanceof tf.Variable) || kernel.trainable;
  const node = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    save(trains ? [args[0] as tf.Tensor, args[1] as tf.Tensor] : [kernel]);
    return {
      // A clone shares y's memory; y itself stays owned by the outer tape's saved list.
      value: tf.clone(y),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const d = dy as tf.Tensor2D;
        if (!trains) return [tf.matMul(d, saved[0] as tf.Tensor2D, false, true)];
        const [xs, ks] = saved as tf.Tensor2D[];
        return [tf.matMul(d, ks, false, true), tf.matMul(xs, d, true, false)];
      },
    };
  });
  return (trains ? node(x, kernel) : node(x)) as tf.Tensor2D;
}

/**
 * `run(x, consts, hook)` as one tape node. Its gradient goes to x (when `inputGrad`) and to each of `params`, the
 * tensors inside the layer the tape may want gradients of (trainable weights, LoRA A and B): tf.customGrad only
 * routes gradients to its explicit inputs, so they are passed as inputs (unused by the forward, which reads them
 * from the layer) and tfjs's tape accumulates what gradFunc returns for them under their ids, which is how a
 * variable's gradient reaches tf.variableGrads.
 */
export function recomputed(run: LayerRun, x: tf.Tensor2D, consts: tf.Tensor[], params: tf.Tensor[], hook: LinearHook | undefined, inputGrad: boolean): tf.Tensor2D {
  // The first run's dropout seeds, in the order it drew them, for the second run to draw again.
  const seeds: number[] = [];
  const recording = hook?.withSeeds ? hook.withSeeds((draw) => { const s = draw(); seeds.push(s); return s; }) : hook;
  const keep = productsMode === 'keep';
  const node = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor2D;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const made: tf.Tensor[] = [];
    const value = run(input, consts, recording, keep ? recordingProducts(made) : undefined);
    // consts too: the caller's tidy disposes them when the forward pass ends, before any gradient runs.
    save([input, ...consts, ...made]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ...rest] = saved as [tf.Tensor2D, ...tf.Tensor[]];
        const cs = rest.slice(0, consts.length);
        const kept = rest.slice(consts.length);
        const replayed = keep ? replayingProducts(kept) : undefined;
        let next = 0;
        const replay = hook?.withSeeds
          ? hook.withSeeds(() => {
              if (next >= seeds.length) throw new Error('A recomputed layer drew more dropout masks than its first run.');
              return seeds[next++];
            })
          : hook;
        const wrt = inputGrad ? [xs, ...params] : params;
        const grads = wrt.length ? gradientsUnderOwnTape(() => run(xs, cs, replay, replayed?.products), wrt, dy as tf.Tensor2D) : [];
        if (next !== seeds.length) throw new Error('A recomputed layer drew fewer dropout masks than its first run.');
        if (replayed && wrt.length && replayed.used() !== kept.length) throw new Error('A recomputed layer used fewer products than its first run made.');
        // This layer's products are read by no other gradient: free them now rather than when the whole backward
        // pass ends (the tape frees its saved tensors only then; disposing twice is a no-op).
        for (const t of kept) t.dispose();
        // A gradient the tape does not want (layer 0's input under LoRA) is never read; zeros keep customGrad's
        // one-gradient-per-input contract. zerosLike is a kernel: tf.zeros would upload an activation-sized array.
        const dx = (inputGrad ? grads[0] : undefined) ?? tf.zerosLike(xs);
        const dParams = params.map((p, i) => grads[i + (inputGrad ? 1 : 0)] ?? tf.zerosLike(p));
        return [dx, ...dParams];
      },
    };
  });
  return node(x, ...params) as tf.Tensor2D;
}

/**
 * d(f() · dy)/d(wrt) on a tape of f's own, from inside another gradient's backward pass. engine.gradients at
 * gradient depth 0 (where a backward pass runs) starts a fresh tape and clears the engine's active tape when
 * done; the outer gradient still needs its tape (it frees the tape's saved tensors at its end), so it is put back.
 * The inner tape's saved tensors (one layer's activations) are freed as soon as this returns.
 */
function gradientsUnderOwnTape(f: () => tf.Tensor2D, wrt: tf.Tensor[], dy: tf.Tensor2D): (tf.Tensor | undefined)[] {
  const engine = tf.engine();
  const outer = engine.state.activeTape;
  try {
    return tf.tidy(() => engine.gradients(f, wrt, dy, true).grads);
  } finally {
    engine.state.activeTape = outer;
  }
}

// Bytes a step's tape holds per layer and token, in float32s, as multiples of hidden (K_HIDDEN) and of heads × seq
// (K_ATTENTION): the forward pass's saved tensors and, since tfjs frees no gradient before its backward pass ends,
// every intermediate gradient too. Fitted to the Node wasm MiniLM-L6 LoRA rows of bench/RESULTS.md (batch 16, seq
// 32/64/128: peak less the weights, 41–51 thousand floats per layer and token), within 4 % at each length.
export const K_HIDDEN = 100;
export const K_ATTENTION = 8;

/** What the tape keeps for a training step's backward pass, without recompute: layers × B × L × (H·k1 + nH·L·k2) × 4. */
export function activationBytes(c: EncoderConfig, batch: number, seqLen: number): number {
  return c.numLayers * batch * seqLen * (c.hiddenSize * K_HIDDEN + c.numHeads * seqLen * K_ATTENTION) * 4;
}

/**
 * The wasm backend's heap is one wasm32 memory (4 GiB at most; tfjs-backend-wasm 4.22 caps it at 4 GiB − 64 KiB),
 * and tfjs's kernels fail with "memory access out of bounds" before it is full: DistilBERT `full` at seq 32 peaked at
 * 2354 MiB and ran, `full` at seq 64 did not (bench/RESULTS.md). Recompute turns on where what is allocated now plus
 * the step's activations would pass this.
 */
export const WASM_HEAP_BUDGET = 2.5 * 2 ** 30;

/** Whether to recompute layers for a step of `batch` × `seqLen`; 'auto' only on wasm and only where needed. The
 * frozen weights' packed copies (src/runtime/batch-matmul/packed-weights.ts, at most 128 MiB, none for `full`) are
 * not counted: counting them turned recompute on for MiniLM-L6 LoRA at seq 128 (10 % slower) although this estimate
 * overstates that step's tape by about 1 GiB (2.49 GB estimated, 1.38 GB measured at its peak: bench/RESULTS.md). */
export function recomputeWanted(setting: RecomputeSetting, c: EncoderConfig, batch: number, seqLen: number): boolean {
  if (setting !== 'auto') return setting;
  if (tf.getBackend() !== 'wasm') return false;
  return tf.memory().numBytes + activationBytes(c, batch, seqLen) > WASM_HEAP_BUDGET;
}
