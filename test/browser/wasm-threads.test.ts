// The threaded wasm build: pthread workers start (they did not once bundled, see scripts/vite-wasm-threads.ts) and
// three threads compute what one thread computes.
import { expect, it } from 'vitest';
import { tf, useBackend, wasmThreading, wasmThreadsFor } from '../../src/runtime/tf-browser';
import { productAndGradient } from '../helpers/product-case';
import { maxRelDiff, workerAnswer } from '../helpers/worker-answer';

interface Result {
  isolated: boolean;
  threads: number;
  loss: number;
  product: Float32Array;
  grad: Float32Array;
  error?: string;
}

function inThreadedWorker(): Promise<Result> {
  return workerAnswer(new Worker(new URL('./wasm-threads.worker.ts', import.meta.url), { type: 'module' }), 60_000, 'the threaded wasm backend');
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
