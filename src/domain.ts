// The shapes every layer passes to the others: data, model references, a run's progress, checkpoints and results.
// Types only, and no imports from the project, so data/, model/, train/, store/, ui/ and both workers can all
// depend on it without depending on each other.

// ---- data ----

/** One labelled text, the unit everything else is built from. */
export interface Example {
  text: string;
  label: string;
}

export type SplitName = 'train' | 'validation' | 'test';

/** An example placed in a split; `index` is its position in the dataset's canonical order. */
export interface SplitExample extends Example {
  index: number;
  split: SplitName;
}

export interface DataSplits {
  labels: string[];
  train: Example[];
  validation: Example[];
  test: Example[];
}

/** A user-added evaluation file of a dataset: scored before and after by every run, kept with the run. */
export interface EvalSuiteData {
  id: string;
  name: string;
  examples: Example[];
}

// ---- models ----

export type ModelType = 'bert' | 'distilbert';
export type Method = 'head' | 'lora' | 'full';
export type Pooling = 'mean' | 'cls';
export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';

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

// ---- a run as it trains ----

export type RunPhase = 'loading' | 'baseline' | 'training' | 'paused' | 'evaluating';

/** Measured before the first step: the untrained model's scores and the run's size. */
export interface RunBaseline {
  before: EvalSummary;
  trainableParams: number;
  /** Of trainableParams, the embedding rows that train beside LoRA (trainTokens); 0 otherwise. */
  tokenParams?: number;
  totalParams: number;
  pooling: Pooling;
  totalSteps: number;
}

/** The loop's report after each step. */
export interface StepInfo {
  step: number;
  totalSteps: number;
  epoch: number;
  lr: number;
  /** Mean loss over the steps since the previous readback; only on readback steps. */
  loss?: number;
  elapsedMs: number;
  examplesPerSec: number;
  tokensPerSec: number;
}

/** A step report tagged with its run, as the page receives it. */
export type StepProgress = { runId: string } & StepInfo;

export interface EpochEval {
  runId: string;
  epoch: number;
  step: number;
  trainLoss: number;
  valLoss: number;
  valAccuracy: number;
}

/**
 * A run's trainable weights and optimizer state at one step, enough to resume it or to use the model. The loop
 * makes it, the worker posts it, the page stores it and sends it back to resume: one shape all the way, so no
 * field is copied by hand on the way.
 */
export interface Checkpoint {
  step: number;
  epoch: number;
  /** Batches of `epoch` already consumed; resume skips them. */
  batchIndex: number;
  /** Trainable weights (adapter + head, or all for full) as safetensors bytes, under their PEFT names. */
  adapter: ArrayBuffer;
  /** AdamW state as safetensors bytes (empty moments for the final weights, which are not resumed). */
  optimizer: ArrayBuffer;
  valLoss?: number;
}

// ---- results ----

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

/** How far a tuned encoder's general behaviour moved from the base model's, on the probe set. */
export interface ForgettingReport {
  /** Spearman rho of cosine similarity vs judgement, base and tuned, and tuned - base (negative = forgot). */
  spearmanBase: number;
  spearmanTuned: number;
  spearmanDelta: number;
  /** Mean of 1 - cos(base, tuned) over the probe texts; 0 = unchanged. */
  meanDrift: number;
  /** LoRA only: the same drift with the adapter detached (the tuned classifier's own weights, adapters skipped).
   * Exactly 0 when detaching restores the base model, which is what the page shows. */
  detachedDrift?: number;
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

/** What a masked-language model puts at one [MASK] of a text: its top tokens with their probabilities. */
export interface MaskFill {
  position: number;
  top: { token: string; probability: number }[];
}
