// Messages between the page and workers/train.worker.ts — types only (Comlink-style), tagged by `type`.
// Binary payloads (checkpoints) travel as ArrayBuffers in the transfer list, never copied.
import type { TrainConfig } from './config';
import type { Example } from './data/types';
import type { BackendChoice, BackendName, Capabilities } from './runtime/backend';
import type { Method, ModelType, Pooling } from './model/types';
import type { ForgettingReport } from './guards/forgetting';
import type { StepInfo } from './train/loop';

/** Where the base model comes from: a folder the app serves (bundled) or a hub id. */
export interface ModelRef {
  id: string;
  /** Base URL of a folder holding config.json, model.safetensors, tokenizer.json (bundled models). */
  url?: string;
  /** Hub revision; recorded in the run. */
  revision?: string;
  /** Hub host, e.g. https://huggingface.co or a local mirror with the same URL layout. */
  hubHost?: string;
  /** Re-draw every weight from this seed after loading (src/model/reinit.ts): the model's random-weight twin. */
  reinitSeed?: number;
}

export interface DataSplits {
  labels: string[];
  train: Example[];
  validation: Example[];
  test: Example[];
}

/** Where a resumed run picks up: the stored checkpoint's weights and optimizer state and its data position. */
export interface ResumePoint {
  step: number;
  epoch: number;
  batchIndex: number;
  adapter: ArrayBuffer;
  optimizer: ArrayBuffer;
}

export interface PerClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface EvalSummary {
  accuracy: number;
  macroF1: number;
  confusion: number[][];
  perClass: PerClassMetrics[];
  /** Predicted label index per held-out example, in the test split's order. */
  predictions: number[];
  /** Probability of each label per example, row-major [examples, labels]. */
  probs: number[][];
}

/** The loop's per-step report (src/train/loop.ts StepInfo), tagged with its run. */
export type StepProgress = { runId: string } & StepInfo;

export interface EpochEval {
  runId: string;
  epoch: number;
  step: number;
  trainLoss: number;
  valLoss: number;
  valAccuracy: number;
}

export interface CheckpointPayload {
  runId: string;
  step: number;
  epoch: number;
  /** Batches of `epoch` already consumed when the checkpoint was taken. */
  batchIndex: number;
  /** Trainable weights (adapter + head, or all for full) as safetensors bytes. */
  adapter: ArrayBuffer;
  /** AdamW state as safetensors bytes. */
  optimizer: ArrayBuffer;
  valLoss?: number;
}

/** A user-added evaluation file of a dataset: scored before and after by every run, kept with the run. */
export interface EvalSuiteData {
  id: string;
  name: string;
  examples: Example[];
}

/**
 * One run's scores on one evaluation suite: the zero-shot base model ("before"), the tuned model ("after") and the
 * bag-of-words baseline trained on the run's training split (absent from runs stored before it existed, and from
 * suites scored later without the training split).
 */
export interface SuiteEvaluation {
  suiteId: string;
  name: string;
  before: EvalSummary;
  after: EvalSummary;
  baseline?: EvalSummary;
}

export interface TrainResult {
  runId: string;
  backend: BackendName;
  pooling: Pooling;
  modelType: ModelType;
  method: Method;
  steps: number;
  seconds: number;
  trainableParams: number;
  totalParams: number;
  before: EvalSummary;
  after: EvalSummary;
  /** TF-IDF + logistic regression trained on the same training split, scored on the same test split. */
  baseline: EvalSummary;
  trainLoss: number[];
  valLoss: number[];
  adapterSha256: string;
  stoppedEarly: boolean;
  /** Epoch (0-based) whose weights the run kept: the best one when early stopping is on. */
  bestEpoch: number;
  /** How far the tuned encoder moved from the base model on the general-English probe set. */
  forgetting: ForgettingReport;
  /** Scores on the dataset's user-added evaluation suites (the pinned test split is `before` / `after`). */
  suites?: SuiteEvaluation[];
}

// ---- page -> worker ----
export interface InitRequest {
  type: 'init';
  backend?: BackendName | null;
  /** false: wasm runs its single-threaded build (the threaded one failed to start in this page before). */
  wasmThreads?: boolean;
}
export interface TrainRequest {
  type: 'train';
  runId: string;
  model: ModelRef;
  data: DataSplits;
  config: TrainConfig;
  resume?: ResumePoint;
  /** Zero-shot baseline already measured for this run (a resumed run keeps its "before"). */
  before?: EvalSummary;
  /** The dataset's user-added evaluation suites, scored after training. */
  suites?: EvalSuiteData[];
}
export interface ControlRequest {
  type: 'pause' | 'resume' | 'cancel';
}
export interface PredictRequest {
  type: 'predict';
  requestId: string;
  model: ModelRef;
  labels: string[];
  text: string;
  config: TrainConfig;
  /** A run's trained weights; without it the base model answers zero-shot. */
  adapter?: ArrayBuffer;
}
/** A PEFT adapter (its files by name) to evaluate as a run on this dataset's pinned test split. */
export interface ImportAdapterRequest {
  type: 'import-adapter';
  requestId: string;
  runId: string;
  model: ModelRef;
  files: Record<string, ArrayBuffer>;
  data: DataSplits;
  config: TrainConfig;
  suites?: EvalSuiteData[];
}
/** Scores a stored run (its final weights) on evaluation suites added after it was trained. */
export interface EvaluateSuitesRequest {
  type: 'evaluate-suites';
  requestId: string;
  model: ModelRef;
  labels: string[];
  config: TrainConfig;
  adapter: ArrayBuffer;
  suites: EvalSuiteData[];
  /** The run's training split, so the bag-of-words baseline is scored on the suites too. */
  train?: Example[];
}
/** Exact token counts of texts under a model's tokenizer (for the "will be truncated" warning). */
export interface CountTokensRequest {
  type: 'count-tokens';
  requestId: string;
  model: ModelRef;
  texts: string[];
}
/** What a masked-language model puts at each [MASK] of a text (models saved with their MLM head). */
export interface FillMaskRequest {
  type: 'fill-mask';
  requestId: string;
  model: ModelRef;
  text: string;
}
export interface MaskFill {
  position: number;
  top: { token: string; probability: number }[];
}
/** Test hook: destroys the WebGPU device, as a driver reset or a sleeping laptop would. */
export interface SimulateDeviceLossRequest {
  type: 'simulate-device-loss';
}
export type ToWorker = InitRequest | TrainRequest | ControlRequest | PredictRequest | ImportAdapterRequest | EvaluateSuitesRequest | CountTokensRequest | FillMaskRequest | SimulateDeviceLossRequest;

// ---- worker -> page ----
export type FromWorker =
  | { type: 'ready'; choice: BackendChoice; caps: Capabilities }
  | { type: 'status'; runId: string; phase: 'loading' | 'baseline' | 'training' | 'paused' | 'evaluating'; detail?: string }
  | { type: 'download'; runId?: string; file: string; loaded: number; total: number }
  | { type: 'baseline'; runId: string; before: EvalSummary; trainableParams: number; totalParams: number; pooling: Pooling; totalSteps: number }
  | ({ type: 'progress' } & StepProgress)
  | ({ type: 'eval' } & EpochEval)
  | ({ type: 'checkpoint' } & CheckpointPayload)
  | { type: 'done'; result: TrainResult }
  | { type: 'cancelled'; runId: string; step: number }
  | { type: 'prediction'; requestId: string; labels: string[]; probs: number[] }
  | { type: 'adapter-imported'; requestId: string; result: TrainResult; checkpoint: ArrayBuffer; config: TrainConfig }
  | { type: 'suites-evaluated'; requestId: string; suites: SuiteEvaluation[] }
  | { type: 'token-counts'; requestId: string; counts: Int32Array }
  | { type: 'mask-filled'; requestId: string; fills: MaskFill[] }
  | { type: 'error'; runId?: string; requestId?: string; message: string; deviceLost?: boolean; workerBroken?: boolean };
