// What a run with the page's settings would train, asked of the worker (src/train/inference.ts sizeRun: the
// model's own shapes and tokenizer, the distinct tokens of the training split, mixed data included) so the Model
// and Train steps can say it before Train is pressed. Only for bundled or cached models: asking must not start a download.
import type { AppContext } from './context';
import type { TrainableParams } from '../model/trainable-count';
import { fmtBytes, modelRef } from '../model/catalogue';
import { isModelAtHand } from '../model/cache';
import { fmtNum } from './dom';
import { withMixedData } from './mixed-splits';

// Answers by settings key; a few are kept so switching a setting back and forth asks once.
const answers = new Map<string, Promise<TrainableParams | null>>();

export function runSize(ctx: Pick<AppContext, 'settings' | 'dataset' | 'client' | 'loadSplits'>): Promise<TrainableParams | null> {
  const d = ctx.dataset;
  if (!d) return Promise.resolve(null);
  const c = ctx.settings.config;
  const modelId = ctx.settings.modelId;
  const config = { method: c.method, loraR: c.loraR, loraTargets: [...c.loraTargets], trainTokens: c.method === 'lora' && c.trainTokens, maxLen: c.maxLen };
  const mix = c.mixShare > 0 && c.mixFrom ? { mixShare: c.mixShare, mixFrom: c.mixFrom, seed: c.seed } : { mixShare: 0, mixFrom: '', seed: 0 };
  const key = JSON.stringify([modelId, d.hash, config, mix]);
  let answer = answers.get(key);
  if (!answer) {
    answer = (async () => {
      if (!(await isModelAtHand(modelId))) return null;
      const texts = (await withMixedData(d.splits, mix, ctx.loadSplits)).train.map((e) => e.text);
      return ctx.client.sizeRun({ model: modelRef(modelId, location.href), texts, numLabels: d.splits.labels.length, config });
    })().catch(() => {
      answers.delete(key); // asked again on the next change (the worker may have been restarting)
      return null;
    });
    answers.set(key, answer);
    if (answers.size > 16) answers.delete(answers.keys().next().value as string);
  }
  return answer;
}

/** The model's parameters with what a run adds (adapters, head): the figure a run's own count is a share of. */
export function modelParamsWith(s: TrainableParams): number {
  return s.baseParams + s.lora + s.head;
}

/** One sentence: what trains, in parts, as a share of the model, and how large the saved result is. */
export function describeRunSize(s: TrainableParams): string {
  const parts = [
    s.encoder ? `${fmtNum(s.encoder)} weights of the encoder (all of them)` : '',
    s.lora ? `${fmtNum(s.lora)} LoRA weights` : '',
    s.tokens ? `${fmtNum(s.tokens)} word-embedding weights (the ${fmtNum(s.tokenRows)} distinct tokens of your training split, ${fmtNum(s.tokens / s.tokenRows)} each)` : '',
    `${fmtNum(s.head)} in the head`,
  ].filter(Boolean);
  const share = (100 * s.total) / modelParamsWith(s);
  // Checkpoints and exported adapters hold what trains, in 32-bit floats.
  const saved = s.encoder ? `each checkpoint is a whole model, about ${fmtBytes(s.total * 4)}` : `the adapter file holds about ${fmtBytes(s.total * 4)}`;
  return `What trains: ${parts.join(' + ')} = ${fmtNum(s.total)} parameters, ${share < 1 ? share.toFixed(2) : share.toFixed(1)} % of the model's ${fmtNum(modelParamsWith(s))}; ${saved}.`;
}
