// The project's wasm kernels on several threads (src/runtime/batch-matmul/pool.ts) in Chromium's threaded wasm
// build: every way a product is cut gives the float64 reference's values and the same bits as the module on one
// thread where both run it; the fused kernels cut into bands of rows give the bits of one call; a pool whose helpers
// cannot start, or one whose helper stops answering, leaves everything on one thread.
import { expect, it } from 'vitest';
import { productCases, reference } from '../helpers/product-cases';
import { maxRelDiff, workerAnswer } from '../helpers/worker-answer';

interface Out { out: Float32Array; pooled: number }
interface Result {
  isolated: boolean; threads: number; stoppedThreads: number; refused: number; restarted: number;
  pooled: Out[]; alone: Out[]; again: Out[]; plainPooled: Out[]; plainAlone: Out[]; notes: string[]; error?: string;
  pooledFused: Float32Array[]; aloneFused: Float32Array[]; fusedRuns: Record<string, number>; fusedParts: number[];
  frozenPooled: Float32Array[][]; frozenUnpacked: Float32Array[]; frozenRuns: { packs: number; hits: number; pooled: number };
  silent: number; stuckError: string; idsLeft: number; fusedStuckError: string; fusedIdsLeft: number; lostThreads: number; afterLost: Out[];
}

function inThreadedWorker(): Promise<Result> {
  return workerAnswer(new Worker(new URL('./wasm-product-threads.worker.ts', import.meta.url), { type: 'module' }), 90_000, 'the threaded wasm backend');
}

it('cuts products among every wasm thread with the reference’s values, and falls back to one thread', async () => {
  const r = await inThreadedWorker();
  expect(r.error).toBeUndefined();
  expect(r.isolated).toBe(true);
  expect([r.threads, r.stoppedThreads, r.refused, r.restarted]).toEqual([3, 1, 1, 3]);
  // What the page says of the threads: their loss said only when the helpers are gone.
  expect(r.notes).toEqual([
    '3 threads: every one of the 4 logical cores but one',
    "3 threads: every one of the 4 logical cores but one; tabtune's own kernels on one, their helper threads did not start",
    "3 threads: every one of the 4 logical cores but one; tabtune's own kernels on one since a helper thread stopped answering",
    "3 threads: every one of the 4 logical cores but one; tabtune's own kernels on one, their helper threads did not start",
  ]);
  // A helper that started and then went silent: the product in flight fails with a message, the pool stops itself,
  // and every later product runs as without a pool, with the same bits.
  expect([r.silent, r.lostThreads]).toEqual([2, 1]);
  expect(r.stuckError).toBe('a product helper stopped answering; products run on one thread from now on');
  // Nothing of the failed product stays on tfjs's heap: its inputs went with tf.tidy, its output with the kernel.
  expect(r.idsLeft).toBe(0);
  // So for a fused kernel cut into bands: it fails with the same message, and its output is freed with it.
  expect(r.fusedStuckError).toBe('a product helper stopped answering; products run on one thread from now on');
  expect(r.fusedIdsLeft).toBe(0);
  // A frozen weight's products on the pool: W packed once per orientation, the later products reading the copies,
  // with the bits of bands that each pack W again (first differing element, -1 for none: a diff of arrays this long
  // would take minutes to print).
  expect(r.frozenRuns).toEqual({ packs: 2, hits: 2, pooled: 4 });
  for (const pooled of r.frozenPooled) {
    pooled.forEach((out, i) => {
      expect(out.length).toBe(520 * (i === 0 ? 300 : 384));
      expect(out.some((v) => v !== 0)).toBe(true);
      expect(out.findIndex((v, j) => !Object.is(v, r.frozenUnpacked[i][j])), `product ${i}`).toBe(-1);
    });
  }
  const cases = productCases();
  cases.forEach((c, i) => {
    const ref = reference(c);
    expect(r.pooled[i].out.length, c.name).toBe(ref.length);
    expect(r.pooled[i].pooled, c.name).toBe(c.split ? 1 : 0);
    expect(r.again[i].pooled, c.name).toBe(c.split ? 1 : 0);
    expect(r.alone[i].pooled, c.name).toBe(0);
    expect(maxRelDiff(r.pooled[i].out, ref), c.name).toBeLessThan(1e-5);
    expect(maxRelDiff(r.alone[i].out, ref), c.name).toBeLessThan(1e-5);
    expect(r.again[i].out, c.name).toEqual(r.pooled[i].out);
    // Batched products run on the module with or without the pool: each matrix is computed the same way.
    if (c.aShape.length === 3) expect(r.pooled[i].out, c.name).toEqual(r.alone[i].out);
    expect(r.plainPooled[i].pooled, c.name).toBe(c.split ? 1 : 0);
    expect(maxRelDiff(r.plainPooled[i].out, ref), c.name).toBeLessThan(1e-5);
    if (c.aShape.length === 3) expect(r.plainPooled[i].out, c.name).toEqual(r.plainAlone[i].out);
    expect(r.afterLost[i].pooled, c.name).toBe(0);
    expect(r.afterLost[i].out, c.name).toEqual(r.alone[i].out);
  });
});

it('cuts bias + GELU, LayerNorm (with and without a residual) and the masked softmax into bands, and the attention into runs of sequences, forward and backward, with one call’s bits', async () => {
  const r = await inThreadedWorker();
  expect(r.error).toBeUndefined();
  // bias + GELU and its gradient, LayerNorm with a residual and its dx, without one and its dx; the softmax and its
  // gradient.
  // The attention's context and the gradients of q, k, v.
  expect(r.pooledFused).toHaveLength(12);
  r.pooledFused.forEach((out, i) => {
    expect(out.length).toBe(i < 6 ? 520 * 512 : i < 8 ? 4 * 4 * 128 * 128 : 4 * 128 * 4 * 32);
    expect(out.some((v) => v !== 0)).toBe(true);
    expect(out, `output ${i}`).toEqual(r.aloneFused[i]);
  });
  // Parts the helpers ran, by kernel (pool-layout.ts): none of the product's, two of each fused call's three bands.
  // Forward kernels run twice per output checked (once alone, once under tf.grad): bias + GELU once alone and once
  // with its slope under tf.grad (whose gradient is a multiply), LayerNorm 4 (two with a residual, two without), its
  // dx 2; the softmax 2, its gradient 1; the attention 2 (alone and under tf.grads), its gradient 1.
  expect(r.fusedParts).toEqual([0, 2, 2, 8, 4, 4, 2, 4, 2]);
  // The sequence padded after 1 key: each of its rows is [1, 0, 0, …] (bands of other sequences' rows left it alone).
  const last = r.pooledFused[6].subarray(3 * 4 * 128 * 128);
  expect(Array.from(last.subarray(0, 3))).toEqual([1, 0, 0]);
  expect(last.reduce((s, v) => s + v, 0)).toBe(4 * 128);
  expect(r.fusedRuns.TabtuneBiasGeluSlopeWasm).toBe(2);
  expect(r.fusedRuns.TabtuneLayerNormDxWasm).toBe(4);
});
