// What runs a job's training and a tuned model's predictions. The jobs client (queue, store, events) never touches
// tfjs: it hands an engine one run at a time. In Node the engine runs the session in-process
// (engine/in-process.ts); in the page the worker engine (web/worker-engine.ts) posts the same run to the
// training worker.
import type { TrainConfig } from '../config';
import type { TrainResult } from '../domain';
import type { SessionHooks, TrainJob } from '../train/session';
import type { LoopControl } from '../train/loop';

export interface EngineRun extends Omit<TrainJob, 'model'> {
  /** The base model's id, as the API names it; the engine knows where its files are. */
  modelId: string;
}

export interface EngineRunResult {
  result: TrainResult;
  /** Tokens the run trained on (real tokens, truncated to maxLen, over every epoch it ran). */
  trainedTokens: number;
}

export interface JobEngine {
  /** The base models this engine can load, by API id. */
  baseModels(): string[];
  /** Whether a job may name `id`, where the engine loads more than it lists (the page takes any hub BERT id). */
  hasModel?(id: string): boolean;
  train(run: EngineRun, hooks: SessionHooks, control: LoopControl): Promise<EngineRunResult | 'cancelled'>;
  /** Label probabilities for one text: the tuned classifier when `adapter` is given, zero-shot otherwise. */
  predict(req: { modelId: string; labels: string[]; config: TrainConfig; adapter?: ArrayBuffer; text: string }): Promise<number[]>;
  dispose?(): Promise<void>;
}

/**
 * The run's device went away mid-run (a lost GPU). The engine has moved to `fallback` for its next run, so the
 * runner can run the job again from its last resume point instead of failing it.
 */
export class EngineDeviceLost extends Error {
  override readonly name = 'EngineDeviceLost';
  constructor(
    message: string,
    /** What the engine trains on from now on, as the job's log tells it. */
    readonly fallback = 'the CPU (wasm)',
  ) {
    super(message);
  }
}

/** By name too: an error that crossed a realm (a worker, another bundle of this module) is not `instanceof`. */
export const isDeviceLost = (e: unknown): e is EngineDeviceLost => e instanceof EngineDeviceLost || (e as { name?: unknown } | null)?.name === 'EngineDeviceLost';

/**
 * Tokens a run trained on, from its training split's tokens per epoch: a resumed run counts the steps it ran
 * before the pause too (`steps` is the run's total), so every engine reports the same figure for the same job.
 */
export function trainedTokens(tokensPerEpoch: number, run: Pick<EngineRun, 'data' | 'config'>, steps: number): number {
  const stepsPerEpoch = Math.ceil(run.data.train.length / run.config.batchSize);
  return Math.round((tokensPerEpoch * steps) / stepsPerEpoch);
}
