// Overfitting, caught before and during training.
import type { Method } from '../domain';

export interface RiskWarning {
  level: 'info' | 'warning';
  message: string;
  suggestions: string[];
}

/**
 * Before training: the classic rule of thumb (under ~500 examples overfit; 5–50K is the sweet spot), sharpened by
 * how many parameters train per example and how many passes the run makes. `tokenParams`: of `trainableParams`,
 * the word-embedding rows a LoRA run trains beside its adapters (a row per distinct token of the training split);
 * where they are most of what trains, the rank is not the setting to lower.
 */
export function overfitRisk(trainExamples: number, trainableParams: number, epochs: number, method: Method, tokenParams = 0): RiskWarning | null {
  const paramsPerExample = trainableParams / Math.max(1, trainExamples);
  const suggestions: string[] = [];
  if (trainExamples < 500) suggestions.push('add data: the built-in generator makes up to 50,000 emails; 5–50K examples is the usual sweet spot');
  if (method === 'full') suggestions.push('train only the head, or use LoRA with a low rank, so fewer parameters can memorise');
  else if (method === 'lora' && tokenParams > trainableParams / 2) suggestions.push(`train the word embeddings of fewer tokens, or none: ${tokenParams.toLocaleString('en-US')} of the ${trainableParams.toLocaleString('en-US')} trainable parameters are embedding rows of your data's tokens`);
  else if (method === 'lora' && paramsPerExample > 200) suggestions.push('lower the LoRA rank, or train the head only');
  if (epochs > 3) suggestions.push(`use fewer epochs (now ${epochs}); 1–3 is usually enough`);
  const small = trainExamples < 500;
  const heavy = paramsPerExample > 1000 && epochs >= 3;
  if (!small && !heavy) return null;
  const why = small
    ? `Only ${trainExamples} training examples: with fewer than about 500 the model tends to memorise them instead of learning the task.`
    : `${trainableParams.toLocaleString('en-US')} trainable parameters for ${trainExamples.toLocaleString('en-US')} examples over ${epochs} epochs: enough capacity to memorise the training set.`;
  return { level: small ? 'warning' : 'info', message: why, suggestions };
}

export interface OverfitSignal {
  /** Index (epoch) of the lowest validation loss so far. */
  bestEpoch: number;
  /** Evaluations since the best one whose loss was higher. */
  risingFor: number;
  overfitting: boolean;
  /** Plain words for the page, or null while the validation loss is still improving. */
  message: string | null;
}

/** During training: validation loss rising for `patience` evaluations in a row after its best is overfitting. */
export function overfitSignal(valLoss: number[], trainLoss: number[], patience: number): OverfitSignal {
  if (valLoss.length === 0) return { bestEpoch: -1, risingFor: 0, overfitting: false, message: null };
  let best = 0;
  for (let i = 1; i < valLoss.length; i++) if (valLoss[i] < valLoss[best]) best = i;
  const risingFor = valLoss.length - 1 - best;
  const overfitting = risingFor >= patience;
  const gap = trainLoss.length && valLoss.length ? valLoss[valLoss.length - 1] - trainLoss[trainLoss.length - 1] : 0;
  const message = overfitting
    ? `The validation loss has risen for ${risingFor} evaluation${risingFor === 1 ? '' : 's'} since epoch ${best + 1} while the training loss ${gap > 0 ? `is ${gap.toFixed(3)} lower` : 'keeps falling'}: the model is memorising the training examples. The best checkpoint (epoch ${best + 1}) is the one to keep.`
    : null;
  return { bestEpoch: best, risingFor, overfitting, message };
}
