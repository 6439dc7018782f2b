// Claims 4 logical cores before tfjs loads, so its threaded wasm build runs on 3 threads (every core but one), then
// computes a forward and backward pass there and sends the numbers back for comparison with one thread.
import { productAndGradient } from '../helpers/product-case';

Object.defineProperty(navigator, 'hardwareConcurrency', { value: 4, configurable: true });

self.onmessage = async () => {
  try {
    const { tf, useBackend, wasmThreading } = await import('../../src/runtime/tf-browser');
    await useBackend('wasm');
    self.postMessage({ isolated: globalThis.crossOriginIsolated, threads: wasmThreading().threads, ...(await productAndGradient(tf)) });
  } catch (e) {
    self.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
};
