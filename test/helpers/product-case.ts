import type * as tfjs from '@tensorflow/tfjs';
import { seeded } from './seeded';

/** A matmul and the gradient of Σ(x·w)² with respect to w, large enough that XNNPACK splits them across threads. */
export async function productAndGradient(tf: typeof tfjs): Promise<{ loss: number; product: Float32Array; grad: Float32Array }> {
  const x = tf.tensor2d(seeded(256 * 384, 1), [256, 384]);
  const w = tf.variable(tf.tensor2d(seeded(384 * 512, 2), [384, 512]));
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(x, w))), [w]);
  const product = tf.matMul(x, w);
  const out = {
    loss: (await value.data())[0],
    product: (await product.data()) as Float32Array,
    grad: (await grads[w.name].data()) as Float32Array,
  };
  tf.dispose([x, w, value, product, grads[w.name]]);
  return out;
}
