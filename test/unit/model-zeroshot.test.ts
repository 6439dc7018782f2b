// The zero-shot "before": nearest label name by cosine similarity, probabilities softmax(similarity / 0.05).
// Checked against the same arithmetic done here on embeddings taken one text at a time (no padding), which
// also shows that padding a batch does not change a text's embedding.
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { baseEncoder } from '../../src/model/classifier';
import { encode, pool } from '../../src/model/encoder';
import { embedTexts, zeroShot, ZERO_SHOT_TEMPERATURE } from '../../src/model/zeroshot';

let bert: LoadedModel;
beforeAll(async () => {
  await useBackend('cpu');
  bert = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
  baseEncoder(bert); // uploaded once; the pooling variants below share it
});

/** One text, no padding at all. */
function embedAlone(model: LoadedModel, ids: number[]): number[] {
  return tf.tidy(() => {
    const t = tf.tensor2d([ids], undefined, 'int32');
    const m = tf.onesLike(t) as tf.Tensor2D;
    return Array.from(pool(encode(baseEncoder(model), t, m), m, model.pooling).dataSync());
  });
}

const labels = ['invoice', 'order', 'support', 'spam'];
const texts = [
  'Invoice 4521 is attached; payment is due on Friday.',
  'Your order has shipped and will arrive tomorrow.',
  'I cannot reset my password, please help.',
  'Win a free cruise now!!! Click here.',
  'order',
  'spam',
];

describe('zero-shot classification by label name', () => {
  for (const pooling of ['cls', 'mean'] as const) {
    it(`${pooling} pooling: predictions and probabilities equal the hand computation on unpadded embeddings`, async () => {
      const model = { ...bert, pooling };
      const ids = texts.map((t) => model.tokenizer.encode(t, 64));
      const got = await zeroShot(model, ids.map((t) => [t]), labels, { batchSize: 4, maxLen: 64 });

      const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
      const L = labels.map((l) => unit(embedAlone(model, model.tokenizer.encode(l, 64))));
      const want = ids.map((t) => {
        const u = unit(embedAlone(model, t));
        const sims = L.map((l) => l.reduce((s, x, i) => s + x * u[i], 0) / ZERO_SHOT_TEMPERATURE);
        const z = sims.reduce((s, x) => s + Math.exp(x), 0);
        return sims.map((x) => Math.exp(x) / z);
      });
      want.forEach((p, i) => {
        expect(got.probs[i].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
        p.forEach((x, j) => expect(Math.abs(got.probs[i][j] - x)).toBeLessThan(1e-4));
        expect(got.predictions[i]).toBe(p.indexOf(Math.max(...p)));
      });
      // A text that is exactly a label's name has cosine similarity 1 with it: it must get that label.
      expect(got.predictions.slice(4)).toEqual([1, 3]);
    });
  }

  it('embeds a padded batch as it embeds each text alone (the padding mask works)', async () => {
    for (const pooling of ['cls', 'mean'] as const) {
      const model = { ...bert, pooling };
      const ids = texts.map((t) => model.tokenizer.encode(t, 64));
      // One batch of 6 texts from 3 to 14 tokens: the short ones carry many padding positions.
      expect(Math.min(...ids.map((t) => t.length))).toBe(3);
      expect(Math.max(...ids.map((t) => t.length))).toBeGreaterThan(12);
      const batched = await embedTexts(model, ids, { batchSize: 8, maxLen: 64 });
      const err = Math.max(...ids.map((t, i) => Math.max(...embedAlone(model, t).map((x, j) => Math.abs(x - batched[i][j])))));
      console.log(`${pooling}: padded batch vs alone, max abs ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-5);
    }
  });
});
