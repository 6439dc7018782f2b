// Scores on held-out examples: the zero-shot base model ("before"), a tuned classifier ("after") and the
// bag-of-words baseline, on the pinned test split and on every evaluation suite, all summarised the same way.
import * as tf from '@tensorflow/tfjs';
import type { EvalSuiteData, EvalSummary, Example, ModelRef, SuiteEvaluation } from '../domain';
import type { TrainConfig } from '../config';
import type { EncodedExample } from '../model/types';
import type { LoadedModel } from '../model/load';
import type { Classifier } from '../model/classifier';
import type { ModelCache } from '../model/model-cache';
import { zeroShot } from '../model/zeroshot';
import { evaluate, labelIndices } from './metrics';
import { evalBatches } from './batching';
import { classifierFromCheckpoint } from './checkpoint';
import { bagOfWordsBaseline, type BaselineScorer } from './baseline-eval';

export function encodeSplit(model: LoadedModel, examples: { text: string; label: string }[], labels: string[], maxLen: number): EncodedExample[] {
  const indices = labelIndices(examples, labels);
  return examples.map((e, i) => ({ ids: model.tokenizer.encode(e.text, maxLen), label: indices[i] }));
}

export async function zeroShotSummary(base: LoadedModel, test: EncodedExample[], labels: string[], cfg: TrainConfig): Promise<EvalSummary> {
  const zs = await zeroShot(base, test.map((e) => e.ids), labels, { batchSize: cfg.batchSize, maxLen: cfg.maxLen });
  return summarise(test, zs.predictions, zs.probs, labels);
}

export async function classifierSummary(model: Classifier, test: EncodedExample[], labels: string[], cfg: TrainConfig, padId: number): Promise<EvalSummary> {
  const { predictions, probs } = await predictAll(model, test, cfg, padId);
  return summarise(test, predictions, probs, labels);
}

/** "Before" (zero-shot base), "after" (tuned) and the baseline on each of the dataset's evaluation suites. */
export async function suiteEvaluations(model: Classifier, base: LoadedModel, suites: EvalSuiteData[] | undefined, labels: string[], cfg: TrainConfig, baseline?: BaselineScorer): Promise<SuiteEvaluation[]> {
  const out: SuiteEvaluation[] = [];
  for (const s of suites ?? []) {
    const encoded = encodeSplit(base, s.examples, labels, cfg.maxLen);
    out.push({
      suiteId: s.id,
      name: s.name,
      before: await zeroShotSummary(base, encoded, labels, cfg),
      after: await classifierSummary(model, encoded, labels, cfg, base.config.padTokenId),
      ...(baseline ? { baseline: baseline.score(s.examples) } : {}),
    });
  }
  return out;
}

/** Scores a stored run's final weights on suites added after it trained, so it can face the promotion gate. */
export async function evaluateStoredRun(
  req: { model: ModelRef; labels: string[]; config: TrainConfig; adapter: ArrayBuffer; suites: EvalSuiteData[]; train?: Example[] },
  models: ModelCache,
): Promise<SuiteEvaluation[]> {
  const base = await models.get(req.model);
  const model = classifierFromCheckpoint(base, req.labels, req.config, req.adapter);
  try {
    const baseline = req.train?.length ? bagOfWordsBaseline(req.train, req.labels) : undefined;
    return await suiteEvaluations(model, base, req.suites, req.labels, req.config, baseline);
  } finally {
    model.dispose();
  }
}

export async function predictAll(
  model: Classifier,
  examples: EncodedExample[],
  cfg: Pick<TrainConfig, 'batchSize' | 'maxLen'>,
  padId: number,
): Promise<{ predictions: number[]; probs: number[][] }> {
  const predictions = new Array<number>(examples.length);
  const probs = new Array<number[]>(examples.length);
  for (const { batch, indices } of evalBatches(examples, { batchSize: cfg.batchSize, maxLen: cfg.maxLen, padId })) {
    const p = tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputIds, [batch.batchSize, batch.seqLen], 'int32');
      const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.seqLen], 'int32');
      return tf.softmax(model.logits(ids, mask, false));
    });
    const values = await p.array();
    p.dispose();
    (values as number[][]).forEach((row, r) => {
      probs[indices[r]] = row;
      predictions[indices[r]] = row.indexOf(Math.max(...row));
    });
  }
  return { predictions, probs };
}

function summarise(test: EncodedExample[], predictions: number[], probs: number[][], labels: string[]): EvalSummary {
  const m = evaluate(test.map((e) => e.label), predictions, labels);
  return { accuracy: m.accuracy, macroF1: m.macroF1, confusion: m.confusion, perClass: m.perClass, predictions, probs };
}
