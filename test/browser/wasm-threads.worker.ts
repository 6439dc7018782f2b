// Claims 4 logical cores before tfjs loads, so its threaded wasm build runs on 2 threads (it takes half), then
// computes a forward and backward pass there and sends the numbers back for comparison with one thread.
import { seeded } from '../helpers/seeded';

Object.defineProperty(navigator, 'hardwareConcurrency', { value: 4, configurable: true });

self.onmessage = async () => {
  try {
    const { tf, useBackend, wasmThreading } = await import('../../src/runtime/tf-browser');
    await useBackend('wasm');
    // Large enough that XNNPACK splits the products across its threads.
    const x = tf.tensor2d(seeded(256 * 384, 1), [256, 384]);
    const w = tf.variable(tf.tensor2d(seeded(384 * 512, 2), [384, 512]));
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(x, w))), [w]);
    const product = tf.matMul(x, w);
    const out = {
      isolated: globalThis.crossOriginIsolated,
      threads: wasmThreading().threads,
      loss: (await value.data())[0],
      product: await product.data(),
      grad: await grads[w.name].data(),
    };
    tf.dispose([x, w, value, product, grads[w.name]]);
    self.postMessage(out);
  } catch (e) {
    self.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
};
