// Runs the forgetting check of src/guards/forgetting.ts on a tuned classifier: the probe set embedded by the
// base model and by the tuned one (for LoRA, the same weights with and without the adapter).
import * as tf from '@tensorflow/tfjs';
import type { Classifier } from '../model/classifier';
import type { LoadedModel } from '../model/load';
import { PROBE_PAIRS, PROBE_TEXTS } from '../guards/probe-set';
import { forgettingReport, meanDrift } from '../guards/forgetting';
import type { ForgettingReport } from '../domain';
import { evalBatches } from './batching';
import { embedTexts } from '../model/zeroshot';

async function embedTuned(model: Classifier, base: LoadedModel, ids: number[][], maxLen: number, detached = false): Promise<Float32Array[]> {
  const out = new Array<Float32Array>(ids.length);
  const H = base.config.hiddenSize;
  for (const { batch, indices } of evalBatches(ids.map((x) => ({ ids: x, label: 0 })), { batchSize: 32, maxLen, padId: base.config.padTokenId })) {
    const e = tf.tidy(() => (detached ? model.embedBase : model.embed)(tf.tensor2d(batch.inputIds, [batch.batchSize, batch.seqLen], 'int32'), tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.seqLen], 'int32')));
    const data = await e.data();
    e.dispose();
    indices.forEach((idx, r) => (out[idx] = Float32Array.from(data.subarray(r * H, (r + 1) * H))));
  }
  return out;
}

export async function forgettingCheck(model: Classifier, base: LoadedModel, maxLen = 64): Promise<ForgettingReport> {
  const sentences = PROBE_PAIRS.flatMap((p) => [p.a, p.b]);
  const ids = [...sentences, ...PROBE_TEXTS].map((t) => base.tokenizer.encode(t, maxLen));
  const [baseEmb, tunedEmb] = await Promise.all([embedTexts(base, ids, { batchSize: 32, maxLen }), embedTuned(model, base, ids, maxLen)]);
  const n = sentences.length;
  const pairs = (e: Float32Array[]) => PROBE_PAIRS.map((_, i) => [e[2 * i], e[2 * i + 1]] as [Float32Array, Float32Array]);
  const report = forgettingReport(PROBE_PAIRS.map((p) => p.score), pairs(baseEmb), pairs(tunedEmb), baseEmb.slice(n), tunedEmb.slice(n));
  if (model.method === 'lora') {
    const detached = await embedTuned(model, base, ids.slice(n), maxLen, true);
    report.detachedDrift = meanDrift(baseEmb.slice(n), detached);
  }
  return report;
}
