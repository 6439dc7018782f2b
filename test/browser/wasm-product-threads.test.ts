// The project's products on several threads (src/runtime/batch-matmul/pool.ts) in Chromium's threaded wasm build:
// every way a product is cut gives the float64 reference's values, the same bits as the module on one thread where
// both run it, and a pool whose helpers cannot start leaves products on one thread.
import { expect, it } from 'vitest';
import { productCases, reference } from '../helpers/product-cases';

interface Out { out: Float32Array; pooled: number }
interface Result {
  isolated: boolean; threads: number; stoppedThreads: number; refused: number; restarted: number;
  pooled: Out[]; alone: Out[]; again: Out[]; error?: string;
}

function inThreadedWorker(): Promise<Result> {
  const w = new Worker(new URL('./wasm-product-threads.worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the threaded wasm backend did not answer within 90 s')), 90_000);
    w.onmessage = (e) => {
      clearTimeout(timer);
      w.terminate();
      resolve(e.data);
    };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage('go');
  });
}

function relDiff(got: Float32Array, ref: Float64Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff / scale;
}

it('cuts products among every wasm thread with the reference’s values, and falls back to one thread', async () => {
  const r = await inThreadedWorker();
  expect(r.error).toBeUndefined();
  expect(r.isolated).toBe(true);
  expect([r.threads, r.stoppedThreads, r.refused, r.restarted]).toEqual([3, 1, 1, 3]);
  const cases = productCases();
  cases.forEach((c, i) => {
    const ref = reference(c);
    expect(r.pooled[i].out.length, c.name).toBe(ref.length);
    expect(r.pooled[i].pooled, c.name).toBe(c.split ? 1 : 0);
    expect(r.again[i].pooled, c.name).toBe(c.split ? 1 : 0);
    expect(r.alone[i].pooled, c.name).toBe(0);
    expect(relDiff(r.pooled[i].out, ref), c.name).toBeLessThan(1e-5);
    expect(relDiff(r.alone[i].out, ref), c.name).toBeLessThan(1e-5);
    expect(r.again[i].out, c.name).toEqual(r.pooled[i].out);
    // Batched products run on the module with or without the pool: each matrix is computed the same way.
    if (c.aShape.length === 3) expect(r.pooled[i].out, c.name).toEqual(r.alone[i].out);
  });
});
