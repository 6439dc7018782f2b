// The attention's softmax(q·kᵀ/√D + mask)·v as one kernel of tfjs-wasm's each way (issue #20, "fusion where the
// profile says it pays"). encoder.ts's attention on wasm transposed q, k and v into [batch, heads, L, D] and the
// context back (47 Transpose kernels in a MiniLM-L6 LoRA step, 7 ms of 500 at seq 32 on one thread:
// bench/profile-wasm.ts), and ran each product over the whole batch, so one sequence's scores left the cache before
// the softmax and the next product read them. Here each sequence's heads go through the product, the masked softmax
// and the second product in turn, reading q, k, v where they lie and writing the context into [rows, hidden]
// (src/runtime/batch-matmul/attention-parts.ts); the backward pass likewise. On several threads the batch is cut into
// runs of sequences, one per thread. The bits are those of the unfused path with the wasm softmax: every product
// sums in the same order, and the transposes it saves moved values without arithmetic.
// Kept for the backward pass: q, k, v and the probabilities (as tfjs's tape kept the transposed q, k, v and the
// probabilities). The mask is a constant of the batch and gets no gradient.
import * as tf from '@tensorflow/tfjs';
import { bothModulesOf, checkFloat32, context, registerWasmKernel, type BothModules } from './wasm-common';
import { wasmSoftmaxAvailable } from './softmax-wasm';
import { runsOf, scratchBytes } from '../../runtime/batch-matmul/slices';
import { splitMinMacs } from '../../runtime/wasm-batch-matmul';
import { Kernel } from '../../runtime/batch-matmul/pool-layout';
import { attentionBackwardPart, attentionForwardPart, type BackwardPart, type ForwardPart } from '../../runtime/batch-matmul/attention-parts';

const ATTENTION = 'TabtuneAttentionWasm';
const ATTENTION_GRAD = 'TabtuneAttentionGradWasm';

let on = true;
/** false: encoder.ts's attention goes back to transposes, batched products and the wasm softmax (for
 * bench/wasm-ab.ts's before and after; true by default). */
export function setWasmAttention(next: boolean): void {
  on = next;
}

/** Whether encoder.ts's attention takes wasmAttention: tfjs's wasm backend with both wasm modules on the same build,
 * and the wasm softmax not turned off. */
export function wasmAttentionAvailable(): boolean {
  return on && wasmSoftmaxAvailable() && bothModulesOf(tf.backend()) !== null;
}

interface Shape { batch: number; seqLen: number; numHeads: number }

/** softmax(q·kᵀ/√D + mask)·v per sequence and head: q, k, v [batch·L, hidden] (head h in columns h·D … h·D + D − 1),
 * maskBias [batch, L] additive; the context [batch·L, hidden], as encoder.ts's attention. */
export function wasmAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, maskBias: tf.Tensor2D, batch: number, seqLen: number, numHeads: number): tf.Tensor2D {
  const [rows, hidden] = q.shape;
  if (rows !== batch * seqLen || hidden % numHeads !== 0 || [k, v].some((t) => t.shape[0] !== rows || t.shape[1] !== hidden)
    || maskBias.shape[0] !== batch || maskBias.shape[1] !== seqLen) {
    throw new Error(`wasmAttention: q [${q.shape}], k [${k.shape}], v [${v.shape}] and mask [${maskBias.shape}] do not fit ${batch} sequences of ${seqLen} with ${numHeads} heads.`);
  }
  checkFloat32('wasmAttention', [q, k, v, maskBias]);
  register();
  const attrs = { batch, seqLen, numHeads } as unknown as tf.NamedAttrMap;
  const forward = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) =>
    tf.engine().runKernel(ATTENTION, [qq, kk, vv, maskBias] as unknown as tf.NamedTensorMap, attrs) as tf.Tensor[];
  if (!tf.engine().isTapeOn()) {
    const [context, probs] = forward(q, k, v);
    probs.dispose();
    return context as tf.Tensor2D;
  }
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qq, kk, vv] = args as tf.Tensor[];
    const [context, probs] = forward(qq, kk, vv);
    (args[3] as tf.GradSaveFunc)([qq, kk, vv, probs]);
    return {
      value: context,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(ATTENTION_GRAD, [dy, ...saved] as unknown as tf.NamedTensorMap, attrs) as tf.Tensor[],
    };
  })(q, k, v) as tf.Tensor2D;
}

/**
 * Runs `part(first, count, scratch)` over the batch's sequences: in runs of sequences on the pool's threads where
 * there is one and the work (`macs`, the products' multiply-adds) is as large as the products' own rule for cutting
 * (splitMinMacs), else at once on this thread. Each part gets its own scratch of `bytes`, 32-byte aligned.
 */
function overSequences(k: ReturnType<typeof context>, m: BothModules, kernel: typeof Kernel.AttentionForward | typeof Kernel.AttentionBackward,
  s: Shape, macs: number, bytes: number, part: (first: number, count: number, scratch: number) => number[], run: (args: number[]) => void): void {
  const runs = runsOf(s.batch, m.pool && macs >= splitMinMacs() ? m.pool.threads : 1);
  const stride = Math.ceil(bytes / 32) * 32;
  k.withScratch(runs.length * stride + 32, (at) => {
    const base = Math.ceil(at / 32) * 32;
    let first = 0;
    const parts = runs.map((count, p) => {
      const args = part(first, count, base + p * stride);
      first += count;
      return args;
    });
    if (parts.length === 1) run(parts[0]);
    else m.pool!.runParts(kernel, m.variant, parts, run);
  });
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  const setup = (name: string, backend: unknown, attrs: unknown) => {
    const k = context(name, backend);
    const m = bothModulesOf(backend);
    if (!m) throw new Error(`${name} needs the wasm product and fused modules on the same build (see wasmAttentionAvailable()).`);
    return { k, m, s: attrs as Shape };
  };
  const productScratch = (L: number, D: number) => {
    const a = scratchBytes(L, D);
    const b = scratchBytes(D, L);
    return { packed: Math.max(a.packed, b.packed), tile: Math.max(a.tile, b.tile) };
  };
  registerWasmKernel(ATTENTION, ({ inputs, backend, attrs }) => {
    const [q, kk, v, mask] = inputs as unknown as tf.TensorInfo[];
    const { k, m, s } = setup(ATTENTION, backend, attrs);
    const L = s.seqLen;
    const H = q.shape[1];
    const D = H / s.numHeads;
    const context = k.output([s.batch * L, H]);
    const probs = k.output([s.batch, s.numHeads, L, L]);
    const { packed, tile } = productScratch(L, D);
    const at = [q, kk, v, mask, probs, context].map((t) => k.at(t));
    overSequences(k, m, Kernel.AttentionForward, s, 2 * s.batch * s.numHeads * L * L * D, packed + tile,
      (first, count, scratch) => [...at, first, count, L, s.numHeads, D, Math.sqrt(D), scratch, scratch + packed] as ForwardPart,
      (args) => attentionForwardPart(m.mm, m.fz, args as ForwardPart));
    return [context, probs];
  });
  registerWasmKernel(ATTENTION_GRAD, ({ inputs, backend, attrs }) => {
    const [dy, q, kk, v, probs] = inputs as unknown as tf.TensorInfo[];
    const { k, m, s } = setup(ATTENTION_GRAD, backend, attrs);
    const L = s.seqLen;
    const H = q.shape[1];
    const D = H / s.numHeads;
    const [dq, dk, dv] = [0, 1, 2].map(() => k.output([s.batch * L, H]));
    const { packed, tile } = productScratch(L, D);
    const dpBytes = Math.ceil((s.numHeads * L * L * 4) / 32) * 32;
    const at = [dy, q, kk, v, probs, dq, dk, dv].map((t) => k.at(t));
    overSequences(k, m, Kernel.AttentionBackward, s, 4 * s.batch * s.numHeads * L * L * D, dpBytes + packed + tile,
      (first, count, scratch) => [...at, first, count, L, s.numHeads, D, Math.sqrt(D), scratch, scratch + dpBytes, scratch + dpBytes + packed] as BackwardPart,
      (args) => attentionBackwardPart(m.mm, m.fz, args as BackwardPart));
    return [dq, dk, dv];
  });
}
