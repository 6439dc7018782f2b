// Claims 4 logical cores before tfjs loads, so its threaded wasm build runs on 3 threads and the project's products
// get a pool of 3 (src/runtime/batch-matmul/pool.ts); computes the cases of wasm-product-threads.test.ts with the
// pool, then with it stopped, then with helpers that cannot start, and sends everything back.
import { productCases, type ProductCase } from '../helpers/product-cases';

Object.defineProperty(navigator, 'hardwareConcurrency', { value: 4, configurable: true });

self.onmessage = async () => {
  try {
    const { tf, useBackend, productHelper } = await import('../../src/runtime/tf-browser');
    const mm = await import('../../src/runtime/wasm-batch-matmul');
    await useBackend('wasm');
    const run = (c: ProductCase) => tf.tidy(() => tf.matMul(tf.tensor(c.a, c.aShape), tf.tensor(c.b, c.bShape), c.transposeA, c.transposeB).dataSync() as Float32Array);
    const each = () => productCases().map((c) => {
      const before = mm.batchMatMulStats.pooled;
      const out = run(c);
      return { out, pooled: mm.batchMatMulStats.pooled - before };
    });
    const threads = mm.productThreads();
    const pooled = each();
    mm.stopProductThreads();
    const stoppedThreads = mm.productThreads();
    const alone = each();
    const refused = await mm.startProductThreads(tf.backend(), 3, () => {
      const port = { onmessage: null as ((e: MessageEvent) => void) | null, onerror: null, terminated: false,
        postMessage() { queueMicrotask(() => port.onmessage?.({ data: { ok: false, error: 'refused' } } as MessageEvent)); },
        terminate() { port.terminated = true; } };
      return port;
    });
    const restarted = await mm.startProductThreads(tf.backend(), 3, productHelper);
    const again = each();
    self.postMessage({ isolated: globalThis.crossOriginIsolated, threads, stoppedThreads, refused, restarted, pooled, alone, again });
  } catch (e) {
    self.postMessage({ error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
};
