// A tiny bag-of-embeddings classifier standing in for the transformer, so the loop can be tested on its own.
import * as tf from '@tensorflow/tfjs';
import type { EncodedExample, TrainableClassifier } from '../../src/model/types';

export function fakeClassifier(vocab: number, dim: number, numLabels: number, seed: number, poison = false): TrainableClassifier {
  const emb = tf.variable(tf.randomNormal([vocab, dim], 0, 0.1, 'float32', seed), true, `fake_emb_${seed}_${Math.random()}`);
  const w = tf.variable(tf.randomNormal([dim, numLabels], 0, 0.1, 'float32', seed + 1), true, `fake_w_${seed}_${Math.random()}`);
  const b = tf.variable(tf.zeros([numLabels]), true, `fake_b_${seed}_${Math.random()}`);
  return {
    method: 'full',
    numLabels,
    trainable: [emb, w, b],
    trainableNames: () => ['fake.embeddings', 'fake.kernel', 'fake.bias'],
    logits(ids, mask) {
      const m = tf.cast(mask, 'float32');
      const e = tf.gather(emb, ids); // [B, L, D]
      const summed = tf.sum(tf.mul(e, tf.expandDims(m, 2)), 1);
      const pooled = tf.div(summed, tf.expandDims(tf.maximum(tf.sum(m, 1), 1), 1));
      const out = tf.add(tf.matMul(pooled, w), b) as tf.Tensor2D;
      return poison ? (tf.mul(out, tf.scalar(NaN)) as tf.Tensor2D) : out;
    },
    trainableParamCount: () => vocab * dim + dim * numLabels + numLabels,
    totalParamCount: () => vocab * dim + dim * numLabels + numLabels,
    dispose: () => [emb, w, b].forEach((v) => v.dispose()),
  };
}

/** Label k's texts use tokens from its own band of the vocabulary, plus shared noise tokens: learnable, not trivial. */
export function toyData(n: number, numLabels: number, seed: number): EncodedExample[] {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out: EncodedExample[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % numLabels;
    const len = 4 + Math.floor(rand() * 20);
    const ids = [1];
    for (let t = 0; t < len; t++) ids.push(rand() < 0.5 ? 10 + label * 10 + Math.floor(rand() * 10) : 60 + Math.floor(rand() * 40));
    ids.push(2);
    out.push({ ids, label });
  }
  return out;
}
