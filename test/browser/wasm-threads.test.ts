// The threaded wasm build: pthread workers start (they did not once bundled, see scripts/vite-wasm-threads.ts) and
// three threads compute what one thread computes.
import { expect, it } from 'vitest';
import { tf, useBackend, wasmThreading, wasmThreadsFor } from '../../src/runtime/tf-browser';
import { productAndGradient } from '../helpers/product-case';

interface Result {
  isolated: boolean;
  threads: number;
  loss: number;
  product: Float32Array;
  grad: Float32Array;
  error?: string;
}

function inThreadedWorker(): Promise<Result> {
  const w = new Worker(new URL('./wasm-threads.worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the threaded wasm backend did not start within 60 s')), 60_000);
    w.onmessage = (e) => {
      clearTimeout(timer);
      w.terminate();
      resolve(e.data);
    };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage('go');
  });
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

it('runs the threaded wasm build on every core but one (3 of 4) with the same results as one thread', async () => {
  const threaded = await inThreadedWorker();
  expect(threaded.error).toBeUndefined();
  expect(threaded.isolated).toBe(true);
  expect(threaded.threads).toBe(3);

  await useBackend('wasm');
  const one = { threads: wasmThreading().threads, ...(await productAndGradient(tf)) };

  expect(one.threads).toBe(wasmThreadsFor(navigator.hardwareConcurrency));
  expect([wasmThreadsFor(1), wasmThreadsFor(2), wasmThreadsFor(3), wasmThreadsFor(8), wasmThreadsFor(16)]).toEqual([1, 1, 2, 7, 8]);
  expect(threaded.product.length).toBe(256 * 512);
  expect(maxRelDiff(threaded.product, one.product)).toBeLessThan(1e-6);
  expect(maxRelDiff(threaded.grad, one.grad)).toBeLessThan(1e-6);
  expect(Math.abs(threaded.loss - one.loss) / one.loss).toBeLessThan(1e-6);
});
