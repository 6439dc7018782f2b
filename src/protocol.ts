// The messages between the page and its two workers, tagged by `type`: workers/train.worker.ts (training,
// prediction, evaluation) and workers/import.worker.ts (parsing a dropped file). Message shapes only; what they
// carry is defined where it belongs (src/domain.ts for what every layer shares).
// Binary payloads (checkpoints) travel as ArrayBuffers in the transfer list, never copied.
import type { TrainConfig } from './config';
import type { Checkpoint, DataSplits, EpochEval, EvalSuiteData, EvalSummary, Example, MaskFill, ModelRef, RunBaseline, RunPhase, StepProgress, SuiteEvaluation, TrainResult } from './domain';
import type { BackendChoice, BackendName, Capabilities } from './runtime/backend';
import type { ImportOptions, ImportResult } from './data/import';
import type { TrainableParams } from './model/trainable-count';

// ==== workers/train.worker.ts ====

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
  /** The stored checkpoint to carry on from, with its data position. */
  resume?: Checkpoint;
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
/** What a run with these settings on these training texts would train (src/train/inference.ts sizeRun). */
export interface SizeRunRequest {
  type: 'size-run';
  requestId: string;
  model: ModelRef;
  texts: string[];
  numLabels: number;
  config: Pick<TrainConfig, 'method' | 'loraR' | 'loraTargets' | 'trainTokens' | 'maxLen'>;
}
/** What a masked-language model puts at each [MASK] of a text (models saved with their MLM head). */
export interface FillMaskRequest {
  type: 'fill-mask';
  requestId: string;
  model: ModelRef;
  text: string;
}
/** Test hook: destroys the WebGPU device, as a driver reset or a sleeping laptop would. */
export interface SimulateDeviceLossRequest {
  type: 'simulate-device-loss';
}
export type ToWorker = InitRequest | TrainRequest | ControlRequest | PredictRequest | ImportAdapterRequest | EvaluateSuitesRequest | CountTokensRequest | SizeRunRequest | FillMaskRequest | SimulateDeviceLossRequest;

// ---- worker -> page ----
export type FromWorker =
  | { type: 'ready'; choice: BackendChoice; caps: Capabilities }
  | { type: 'status'; runId: string; phase: RunPhase; detail?: string }
  | { type: 'download'; runId?: string; file: string; loaded: number; total: number }
  | ({ type: 'baseline'; runId: string } & RunBaseline)
  | ({ type: 'progress' } & StepProgress)
  | ({ type: 'eval' } & EpochEval)
  | { type: 'checkpoint'; runId: string; checkpoint: Checkpoint }
  | { type: 'done'; result: TrainResult }
  | { type: 'cancelled'; runId: string; step: number }
  | { type: 'prediction'; requestId: string; labels: string[]; probs: number[] }
  | { type: 'adapter-imported'; requestId: string; result: TrainResult; checkpoint: Checkpoint; config: TrainConfig }
  | { type: 'suites-evaluated'; requestId: string; suites: SuiteEvaluation[] }
  | { type: 'token-counts'; requestId: string; counts: Int32Array }
  | { type: 'run-sized'; requestId: string; size: TrainableParams }
  | { type: 'mask-filled'; requestId: string; fills: MaskFill[] }
  | { type: 'error'; runId?: string; requestId?: string; message: string; deviceLost?: boolean; workerBroken?: boolean };

// ==== workers/import.worker.ts ====

/** How to read the file; its name comes with the File. */
export type ImportFileOptions = Pick<ImportOptions, 'skipBadLines' | 'format' | 'textColumn' | 'labelColumn'>;

export interface ImportFileRequest {
  type: 'import';
  file: File;
  options: ImportFileOptions;
}

export type FromImportWorker =
  | { type: 'progress'; done: number; total: number }
  | { type: 'result'; result: ImportResult }
  | { type: 'error'; message: string };
