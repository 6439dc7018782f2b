// Answers from a loaded model, outside any run: a prediction for the playground, the base model's guesses at
// [MASK], exact token counts for the "will be truncated" warning, and what a run with given settings would train.
import type { MaskFill, ModelRef } from '../domain';
import type { TrainConfig } from '../config';
import type { LoadedModel } from '../model/load';
import type { ModelCache } from '../model/model-cache';
import { baseEncoder } from '../model/classifier';
import { trainableParams, type TrainableParams } from '../model/trainable-count';
import { tokensUsed } from '../model/trainable-tokens';
import { createMlmHead, fillMask, type MlmHead } from '../model/mlm';
import { zeroShot } from '../model/zeroshot';
import { classifierFromCheckpoint } from './checkpoint';
import { predictAll, readText } from './evaluate';

/** Probabilities for one text: the tuned classifier when an adapter is given, the zero-shot base model otherwise. */
export async function predictText(
  req: { model: ModelRef; labels: string[]; text: string; config: TrainConfig; adapter?: ArrayBuffer },
  models: ModelCache,
): Promise<number[]> {
  const base = await models.get(req.model);
  const ex = [{ windows: readText(base, req.text, req.config), label: 0 }];
  if (!req.adapter) return (await zeroShot(base, ex.map((e) => e.windows), req.labels)).probs[0];
  const model = classifierFromCheckpoint(base, req.labels, req.config, req.adapter);
  try {
    return (await predictAll(model, ex, req.config, base.config.padTokenId)).probs[0];
  } finally {
    model.dispose();
  }
}

// One MLM head per loaded model, built on first use: its decoder is the vocabulary-sized embedding matrix.
const mlmHeads = new WeakMap<LoadedModel, MlmHead>();

/** The base model's guesses at each [MASK] (what pretraining taught it), for models saved with an MLM head. */
export async function fillMaskText(req: { model: ModelRef; text: string }, models: ModelCache, k = 5): Promise<MaskFill[]> {
  const base = await models.get(req.model);
  let head = mlmHeads.get(base);
  if (!head) {
    head = createMlmHead(base, baseEncoder(base));
    mlmHeads.set(base, head);
  }
  const fills = await fillMask(base, baseEncoder(base), head, req.text, k);
  return fills.map((f) => ({ position: f.position, top: f.top.map((t) => ({ token: t.token, probability: t.probability })) }));
}

/** Tokens per text with [CLS] and [SEP], untruncated, under the model's own tokenizer. */
export async function countTokens(req: { model: ModelRef; texts: string[] }, models: ModelCache): Promise<Int32Array> {
  const base = await models.get(req.model);
  return Int32Array.from(req.texts, (t) => base.tokenizer.encode(t, 1 << 20).length);
}

/**
 * What a run with these settings on these training texts would train, counted as session.ts builds it: the token
 * rows are the distinct ids of the texts cut to `maxLen` (tokensUsed, as the run takes them), the rest from the
 * model's shapes. Allocates nothing trainable.
 */
export async function sizeRun(
  req: { model: ModelRef; texts: string[]; numLabels: number; config: Pick<TrainConfig, 'method' | 'loraR' | 'loraTargets' | 'trainTokens' | 'maxLen'> },
  models: ModelCache,
): Promise<TrainableParams> {
  const base = await models.get(req.model);
  const tokens = req.config.method === 'lora' && req.config.trainTokens;
  const rows = tokens ? tokensUsed(req.texts.map((t) => ({ ids: base.tokenizer.encode(t, req.config.maxLen) })), base.config.padTokenId).length : 0;
  return trainableParams(baseEncoder(base), req.config, req.numLabels, rows);
}
