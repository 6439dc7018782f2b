// The jobs API's objects, shaped and named (snake_case) as the hosted fine-tuning services' JSON, so code and
// habits written against those services carry over. tabtune's own readings sit under a `tabtune` key.
import type { Example, ForgettingReport, Method } from '../domain';
import type { ImportError, ImportFormat } from '../data/import';

/** 'fine-tune': a file to train on (at least 10 examples, two labels); 'evals': a file only scored (test files,
 * evaluation suites), which may be small or hold one label. */
export type FilePurpose = 'fine-tune' | 'evals';

export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  /** Seconds since the epoch, as the hosted API counts them. */
  created_at: number;
  filename: string;
  purpose: FilePurpose;
  status: 'processed';
  tabtune: { format: ImportFormat; examples: number; labels: Record<string, number> };
}

export type JobStatus = 'validating_files' | 'queued' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled';
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface JobError {
  code: string;
  message: string;
  param?: string | null;
}

export interface LoraParams {
  r?: number;
  alpha?: number;
  dropout?: number;
  target_modules?: string[];
}

export interface MethodParams {
  type: Method;
  lora?: LoraParams;
}

export interface HyperparametersInput {
  n_epochs?: number | 'auto';
  batch_size?: number | 'auto';
  learning_rate_multiplier?: number | 'auto';
}

export interface Hyperparameters {
  n_epochs: number;
  batch_size: number;
  learning_rate_multiplier: number;
}

export interface JobCreateParams {
  training_file: string;
  validation_file?: string | null;
  model: string;
  method?: MethodParams;
  hyperparameters?: HyperparametersInput;
  suffix?: string | null;
  seed?: number;
  /** A retried create with the same key returns the job the first one made (and is refused if its parameters differ). */
  idempotency_key?: string;
  /** What tabtune adds to the hosted request (src/jobs/params.ts checks it). */
  tabtune?: JobCreateExtras;
}

/** An evaluation suite: a stored file every job scores before and after training, beside the test split. */
export interface SuiteParam {
  file: string;
  name: string;
  /** Carried into the result, so runs scored on the same suite can be compared (default: the file id). */
  id?: string;
}

export interface JobCreateExtras {
  /** Settings the hosted fields do not cover (src/config.ts TrainConfig: maxLen, warmupRatio, rehearsal, …), or
   * `lr` as an absolute learning rate instead of learning_rate_multiplier. */
  config?: Partial<import('../config').TrainConfig>;
  /** The examples `before` and `after` are scored on; needs validation_file (default: the validation file). */
  test_file?: string;
  suites?: SuiteParam[];
  /** Examples of an earlier dataset mixed into the training split against forgetting: `share` × the training
   * split's size, drawn (seeded by the job's seed) from that file's own training split, labels the job has only. */
  mix?: { file: string; share: number };
}

export interface Score {
  accuracy: number;
  macro_f1: number;
}

/** tabtune's readings of a job beyond the hosted API's fields. */
export interface JobExtras {
  /** Milliseconds, for ordering the queue within one second. */
  created_at_ms: number;
  idempotency_key?: string;
  /** The create request under that key, to tell a retry from a different request. */
  request?: string;
  /** The resolved training configuration (src/config.ts TrainConfig) the engine ran. */
  config: import('../config').TrainConfig;
  test_file?: string | null;
  mix?: { file: string; share: number };
  /** The request's tabtune.suites; `suites` holds their scores once the job has succeeded. */
  suite_files?: SuiteParam[];
  labels?: string[];
  total_steps?: number;
  step?: number;
  before?: Score;
  after?: Score;
  /** TF-IDF + logistic regression trained on the same training split, scored on the same test examples. */
  baseline?: Score;
  forgetting?: ForgettingReport & { flagged: boolean };
  suites?: { name: string; before: Score; after: Score; baseline: Score | null }[];
  trainable_params?: number;
  /** Of trainable_params, the embedding rows of the training split's tokens (`trainTokens`); 0 otherwise. */
  token_params?: number;
  total_params?: number;
  adapter_sha256?: string;
  seconds?: number;
  /** A cancel or pause asked by a client that does not run the job; the one that runs it acts on it. */
  stop_requested?: 'cancel' | 'pause';
  /** Some of the job's writes wait in memory for disk space (only ever on a record read, never stored). */
  unsaved?: boolean;
}

export interface FineTuningJob {
  id: string;
  object: 'fine_tuning.job';
  created_at: number;
  finished_at: number | null;
  model: string;
  fine_tuned_model: string | null;
  organization_id: 'local';
  status: JobStatus;
  training_file: string;
  validation_file: string | null;
  method: { type: Method; lora?: Required<LoraParams> };
  hyperparameters: Hyperparameters;
  result_files: string[];
  trained_tokens: number | null;
  error: JobError | null;
  seed: number;
  suffix: string | null;
  tabtune: JobExtras;
}

export type EventLevel = 'info' | 'warn' | 'error';
export type EventKind = 'status' | 'metrics' | 'evaluation' | 'checkpoint' | 'warning' | 'message';

export interface JobEvent {
  id: string;
  object: 'fine_tuning.job.event';
  /** Position in the job's log, from 0: events of one job are totally ordered by it. */
  seq: number;
  created_at: number;
  level: EventLevel;
  type: EventKind;
  message: string;
  data: Record<string, unknown> | null;
}

export interface CheckpointObject {
  id: string;
  object: 'fine_tuning.job.checkpoint';
  created_at: number;
  fine_tuning_job_id: string;
  step_number: number;
  epoch: number;
  metrics: { step: number; train_loss: number | null; valid_loss: number | null; valid_accuracy: number | null };
}

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: 'tabtune' | 'local';
  /** For ft: models: the base model and the job that made them. */
  tabtune?: { base_model: string; job_id: string; labels: string[] };
}

/** What the store keeps beside a tuned model's weights, enough to predict with it and to score its baseline. */
export interface TunedModelRecord {
  model: ModelObject & { tabtune: NonNullable<ModelObject['tabtune']> };
  config: import('../config').TrainConfig;
  /** The job's training split, for the bag-of-words baseline beside each prediction (the file may be deleted). */
  baseline_train: Example[];
}

export interface Prediction {
  model: string;
  label: string;
  probabilities: Record<string, number>;
  baseline: { label: string; probabilities: Record<string, number> } | null;
}

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

export interface Deleted {
  id: string;
  object: 'file' | 'model';
  deleted: true;
}

export type { ImportError };
