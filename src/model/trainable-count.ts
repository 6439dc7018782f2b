// What a run will train, counted from the base model's shapes before anything trainable is allocated: the page
// shows it before Train is pressed and the overfitting guard weighs it. classifier.ts counts the variables it
// really creates; test/unit/trainable-count.test.ts holds the two equal.
import type { TrainConfig } from '../config';
import { encoderVariables, type EncoderWeights } from './encoder';
import { linearsOf, matchesTarget } from './lora';
import { countParams } from './classifier';

export interface TrainableParams {
  /** LoRA's A and B matrices over every adapted linear layer. */
  lora: number;
  /** Embedding rows that train beside LoRA (trainTokens): tokenRows × hidden. */
  tokens: number;
  tokenRows: number;
  /** Every encoder weight, for full fine-tuning. */
  encoder: number;
  /** The classifier head: hidden × labels weights plus one bias per label. */
  head: number;
  total: number;
  /** The base model's own parameters (what a share of the model is taken of, with the adapters and the head). */
  baseParams: number;
}

export function trainableParams(
  w: EncoderWeights,
  cfg: Pick<TrainConfig, 'method' | 'loraR' | 'loraTargets' | 'trainTokens'>,
  numLabels: number,
  tokenRows: number,
): TrainableParams {
  const H = w.config.hiddenSize;
  const lora = cfg.method === 'lora'
    ? linearsOf(w)
      .filter((l) => matchesTarget(l.name, cfg.loraTargets))
      .reduce((s, l) => {
        const [inDim, outDim] = l.kernel.shape as [number, number];
        return s + cfg.loraR * (inDim + outDim);
      }, 0)
    : 0;
  const rows = cfg.method === 'lora' && cfg.trainTokens ? tokenRows : 0;
  const baseParams = countParams(encoderVariables(w));
  const encoder = cfg.method === 'full' ? baseParams : 0;
  const head = H * numLabels + numLabels;
  return { lora, tokens: rows * H, tokenRows: rows, encoder, head, total: lora + rows * H + encoder + head, baseParams };
}
