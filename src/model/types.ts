// The contract between the model (src/model) and the training loop (src/train).
// The loop sees a classifier only through this interface, so a fake model can stand in for tests.
import type * as tf from '@tensorflow/tfjs';
import type { Method, ModelType } from '../domain';

export type { Method, ModelType, Pooling } from '../domain';

/** What the loader reads from config.json, normalised across BERT and DistilBERT naming. */
export interface EncoderConfig {
  modelType: ModelType;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  /** 0 for DistilBERT (no token-type embeddings). */
  typeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
}

export interface LoraSettings {
  r: number;
  alpha: number;
  dropout: number;
  /** PEFT module names, matched as PEFT does (suffix of the module path), e.g. ["query", "value"]. */
  targetModules: string[];
}

/** One padded batch on the CPU side; the loop uploads it. ids and mask are row-major [batch, seqLen]. */
export interface HostBatch {
  batchSize: number;
  seqLen: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  labels: Int32Array;
}

/** A text classifier the training loop can train. Calls happen inside the caller's tf.tidy. */
export interface TrainableClassifier {
  readonly method: Method;
  readonly numLabels: number;
  /** The variables the optimizer updates (head, LoRA A/B, or everything for `full`). */
  readonly trainable: tf.Variable[];
  /** Names of `trainable`, in order, for checkpoints: "classifier.kernel", "<module>.lora_A", "<module>.kernel"… */
  trainableNames(): string[];
  /** The vocabulary ids whose embedding rows train (PEFT's trainable_token_indices), when the run trains tokens. */
  readonly tokenIndices?: readonly number[];
  /** Logits [batch, numLabels]. `training` turns dropout on (LoRA dropout only; the encoder's own dropout stays off). */
  logits(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, training: boolean): tf.Tensor2D;
  /**
   * Called by the loop before each training step (0-based). Dropout masks are drawn from the run's seed and this
   * step, so a run resumed in a fresh worker draws the masks the uninterrupted run drew.
   */
  startStep?(step: number): void;
  /** Pooled embeddings with the trained weights (no dropout); needed for rehearsal. */
  embed?(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D): tf.Tensor2D;
  trainableParamCount(): number;
  totalParamCount(): number;
  dispose(): void;
}

/** A tokenised, labelled example, as the loop consumes it. */
export interface EncodedExample {
  ids: number[];
  label: number;
}

/** A held-out example as scoring reads it: its text as one window of ids, or as several (src/model/windows.ts). */
export interface ReadExample {
  windows: number[][];
  label: number;
}
