// The honest "before": the untrained base model classifies by meaning alone — each text goes to the label whose
// name it is closest to (cosine similarity of pooled embeddings). Probabilities are a softmax over the
// similarities at temperature 0.05 (the usual contrastive temperature), so they are comparable across models.
import * as tf from '@tensorflow/tfjs';
import type { LoadedModel } from './load';
import { baseEncoder } from './classifier';
import { encode, pool } from './encoder';
import { evalBatches } from '../train/batching';
import { softmax } from '../util/softmax';

export const ZERO_SHOT_TEMPERATURE = 0.05;

export async function embedTexts(model: LoadedModel, idsList: number[][], opts: { batchSize: number; maxLen: number }): Promise<Float32Array[]> {
  const w = baseEncoder(model);
  const out = new Array<Float32Array>(idsList.length);
  const examples = idsList.map((ids) => ({ ids, label: 0 }));
  for (const { batch, indices } of evalBatches(examples, { ...opts, padId: model.config.padTokenId })) {
    const e = tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputIds, [batch.batchSize, batch.seqLen], 'int32');
      const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.seqLen], 'int32');
      return pool(encode(w, ids, mask), mask, model.pooling);
    });
    const data = await e.data();
    e.dispose();
    const H = model.config.hiddenSize;
    indices.forEach((idx, r) => (out[idx] = Float32Array.from(data.subarray(r * H, (r + 1) * H))));
  }
  return out;
}

/** Each text's label by cosine similarity to the label names; a text read as several windows is embedded as the
 * mean of its windows' embeddings. */
export async function zeroShot(
  model: LoadedModel,
  texts: number[][][],
  labels: string[],
  opts: { batchSize: number; maxLen: number } = { batchSize: 32, maxLen: 128 },
): Promise<{ predictions: number[]; probs: number[][] }> {
  const labelIds = labels.map((l) => model.tokenizer.encode(l.replace(/[_-]+/g, ' '), opts.maxLen));
  const windows = texts.flat();
  const [labelEmb, windowEmb] = await Promise.all([embedTexts(model, labelIds, opts), embedTexts(model, windows, opts)]);
  let next = 0;
  const textEmb = texts.map((w) => {
    if (w.length === 0) throw new Error('zeroShot: a text has no windows.');
    const sum = new Float32Array(model.config.hiddenSize);
    for (let k = 0; k < w.length; k++) windowEmb[next++].forEach((x, i) => (sum[i] += x / w.length));
    return sum;
  });
  const unit = (v: Float32Array) => {
    const n = Math.hypot(...v) || 1;
    return Array.from(v, (x) => x / n);
  };
  const L = labelEmb.map(unit);
  const probs = textEmb.map((t) => {
    const u = unit(t);
    return softmax(L.map((l) => l.reduce((s, x, i) => s + x * u[i], 0) / ZERO_SHOT_TEMPERATURE));
  });
  return { predictions: probs.map((p) => p.indexOf(Math.max(...p))), probs };
}
