// One training run from start to finish, the same in the worker and the CLI: tokenise the splits, measure the
// zero-shot "before", train, measure "after" on the same held-out examples, and hand checkpoints out as bytes.
// No DOM, no worker API, no IndexedDB here: everything leaves through the hooks.
import type { Checkpoint, EpochEval, RunBaseline, RunPhase, StepProgress, TrainResult, BackendName } from '../domain';
import type { TrainRequest } from '../protocol';
import type { ModelCache } from '../model/model-cache';
import { classifierForRun } from '../model/classifier';
import { tokensUsed } from '../model/trainable-tokens';
import { zeroShotSummary, classifierSummary, encodeSplit, readSplit, suiteEvaluations } from './evaluate';
import { trainLoop, totalStepsFor, type LoopControl } from './loop';
import { encodeCheckpoint } from './checkpoint';
import { rehearsalData } from './rehearsal';
import { forgettingCheck } from './forgetting-check';
import { bagOfWordsBaseline } from './baseline-eval';
import { sha256Hex } from '../util/sha256';
import { now } from '../util/clock';

export interface SessionHooks {
  status(phase: RunPhase, detail?: string): void;
  baseline(b: RunBaseline): void;
  progress(p: StepProgress): void;
  evaluated(e: EpochEval): void;
  checkpoint(c: Checkpoint): void;
}

/** The device (a GPU) failed mid-run: the run's checkpoints are good, and it can resume on another backend. */
export class DeviceLostError extends Error {}

/** A training request without its message tag: what the worker and the CLI hand to runTraining. */
export type TrainJob = Omit<TrainRequest, 'type'>;

export async function runTraining(
  job: TrainJob,
  models: ModelCache,
  backend: BackendName,
  hooks: SessionHooks,
  control: LoopControl,
): Promise<TrainResult | 'cancelled'> {
  const cfg = job.config;
  const labels = job.data.labels;
  const started = now();
  hooks.status('loading', job.model.id);
  const base = await models.get(job.model);
  const train = encodeSplit(base, job.data.train, labels, cfg.maxLen);
  const validation = encodeSplit(base, job.data.validation, labels, cfg.maxLen);
  // the held-out split is read as scoring reads it (whole, in windows, when readWhole is on); training reads maxLen
  const test = readSplit(base, job.data.test, labels, cfg);
  const padId = base.config.padTokenId;

  hooks.status('baseline', 'zero-shot accuracy of the untrained base model');
  const before = job.before ?? (await zeroShotSummary(base, test, labels, cfg));
  hooks.status('baseline', 'bag-of-words baseline (TF-IDF + logistic regression) on the same splits');
  const bagOfWords = bagOfWordsBaseline(job.data.train, labels);
  const baseline = bagOfWords.score(job.data.test);

  // A run that trains tokens trains the rows of every token its training split uses (the same on resume: the
  // split is pinned); evaluation text may hold others, which keep their base rows.
  const model = classifierForRun(base, labels.length, cfg, cfg.trainTokens ? tokensUsed(train, padId) : undefined);
  try {
    const totalSteps = totalStepsFor(train.length, cfg);
    hooks.baseline({ before, trainableParams: model.trainableParamCount(), tokenParams: model.tokens?.values.size ?? 0, totalParams: model.totalParamCount(), pooling: base.pooling, totalSteps });

    hooks.status('training');
    const rehearsal = cfg.rehearsal > 0 && cfg.method !== 'head' ? await rehearsalData(base, cfg) : undefined;
    const loop = await trainLoop(
      model,
      { train, validation, padId, rehearsal },
      cfg,
      {
        onStep: (s) => hooks.progress({ runId: job.runId, ...s }),
        onEval: ({ improved: _, ...e }) => hooks.evaluated({ runId: job.runId, ...e }),
        onCheckpoint: (c) => hooks.checkpoint(c),
      },
      control,
      job.resume,
    );
    if (loop.stop === 'cancelled') return 'cancelled';
    if (loop.stop === 'diverged') throw new Error(loop.message);
    if (loop.stop === 'device-lost') throw new DeviceLostError(loop.message);

    hooks.status('evaluating', 'accuracy of the tuned model on the held-out test split');
    const after = await classifierSummary(model, test, labels, cfg, padId);
    const suites = await suiteEvaluations(model, base, job.suites, labels, cfg, bagOfWords);
    const values = await Promise.all(model.trainable.map(async (v) => new Float32Array(await v.data())));
    // The final weights (the best epoch's when early stopping restored them) replace the last epoch's checkpoint.
    const final = encodeCheckpoint(model, { step: loop.steps, epoch: cfg.epochs, batchIndex: 0, valLoss: loop.valLoss[loop.bestEpoch] }, values, { step: loop.steps, m: [], v: [] });
    // Hashed before the hook: posting the checkpoint transfers its bytes away.
    const adapterSha256 = await sha256Hex(new Uint8Array(final.adapter));
    hooks.checkpoint(final);
    return {
      runId: job.runId,
      backend,
      pooling: base.pooling,
      modelType: base.config.modelType,
      method: cfg.method,
      steps: loop.steps,
      seconds: (now() - started) / 1000,
      trainableParams: model.trainableParamCount(),
      totalParams: model.totalParamCount(),
      before,
      after,
      baseline,
      trainLoss: loop.trainLoss,
      valLoss: loop.valLoss,
      adapterSha256,
      stoppedEarly: loop.stop === 'early-stopped',
      bestEpoch: loop.bestEpoch,
      forgetting: await forgettingCheck(model, base, cfg.maxLen),
      suites,
    };
  } finally {
    model.dispose();
  }
}
