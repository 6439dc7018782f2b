// Drives the page's training runs: creates each run's record, shows the live run from the worker's messages, and
// stores every checkpoint and result as it arrives, so a reload, a crash or a full disk loses nothing already
// made. The page's own controller queues its runs as jobs (src/ui/job-runs.ts on src/ui/page-jobs.ts): the job
// decides when a run starts, pauses, resumes or ends, and the live view follows it. The pretraining comparison's
// controllers train directly in workers of their own, two at once, outside the queue.
import type { FromWorker } from '../protocol';
import type { DataSplits, StepProgress, TrainResult } from '../domain';
import type { TrainConfig } from '../config';
import type { Point } from './charts';
import type { WorkerClient } from './worker-client';
import type { Bus } from './bus';
import type { ActiveDataset } from './active-dataset';
import type { PageSettings } from './url-settings';
import type { BackendChoice } from '../runtime/backend';
import type { TabtuneDb } from '../store/db';
import { modelRef } from '../model/catalogue';
import { linearWarmupDecaySeries, warmupStepsFromRatio } from '../train/schedule';
import { overfitSignal } from '../guards/overfit';
import { createRun, updateRun, getRun, newRunRecord } from '../store/runs';
import type { PageJobs } from './page-jobs';
import { JobRuns, type LiveView } from './job-runs';
import { saveCheckpoint, latestCheckpoint, pruneCheckpoints } from '../store/checkpoints';
import { recordFinishedRun } from '../store/finished-run';
import { PendingWrites } from '../store/pending';
import { listSuites, suiteData } from '../store/suites';
import { withMixedData } from './mixed-splits';

export type LivePhase = 'idle' | 'queued' | 'loading' | 'baseline' | 'training' | 'paused' | 'evaluating' | 'finished' | 'cancelled' | 'failed';

export interface LiveRun {
  runId: string;
  phase: LivePhase;
  message: string;
  config: TrainConfig;
  train: Point[];
  val: Point[];
  lr: Point[];
  best: Point | null;
  overfit: string | null;
  progress: StepProgress | null;
  totalSteps: number;
  trainableParams?: number;
  totalParams?: number;
  result?: TrainResult;
  /** Set when storage is full: the run continues in memory and this says what to do. */
  storageProblem?: string;
}

/** What a run trains; the page's own settings unless a caller (the pretraining comparison) says otherwise. */
export interface RunSpec {
  modelId: string;
  config: TrainConfig;
  notes?: string;
}

/**
 * What a run controller needs from the page, and no more: it reads these and announces on the bus; it never
 * writes the page's state (a restarted worker's backend goes out as 'backend-ready', and the page sets it).
 */
export interface RunHost {
  readonly settings: Pick<PageSettings, 'modelId' | 'config' | 'backend'>;
  readonly bus: Bus;
  readonly client: WorkerClient;
  readonly db: TabtuneDb;
  readonly dataset: ActiveDataset | null;
  readonly backend: BackendChoice | null;
  loadSplits(hash: string): Promise<DataSplits>;
}

export class RunController {
  live: LiveRun | null = null;
  private pending = new PendingWrites();
  private valLoss: number[] = [];
  private trainLoss: number[] = [];
  private valAccuracy: number[] = [];
  private readonly client: WorkerClient;
  /** The page's runs that are jobs (the page's own controller; null for the pretraining comparison's). */
  private jobs: JobRuns | null = null;
  /** A job run taken live mid-way is loading its stored curves; the worker's messages wait for them. */
  private restoring: Promise<void> | null = null;

  /** `client` is the worker this controller trains in: the page's own, or a second one for a side-by-side run. */
  constructor(
    private readonly ctx: RunHost,
    client?: WorkerClient,
    private readonly onChange: () => void = () => ctx.bus.emit('run-live'),
  ) {
    this.client = client ?? ctx.client;
    this.client.on((m) => void this.onMessage(m));
  }

  get busy(): boolean {
    return !!this.live && ['loading', 'baseline', 'training', 'paused', 'evaluating'].includes(this.live.phase);
  }

  /** True when Train adds to a queue instead of waiting for the live run to end. */
  get queues(): boolean {
    return !!this.jobs;
  }

  /** From now on Train creates jobs on `queue` (src/ui/job-runs.ts), and unfinished job runs show their job's status. */
  async useQueue(queue: PageJobs): Promise<void> {
    const controller = this;
    const view: LiveView = {
      get busy() {
        return controller.busy;
      },
      liveRunId: () => this.live?.runId,
      show: (runId, config, phase, message) => this.begin(runId, config, phase, message),
      setPhase: (phase, message) => this.setPhase(phase, message),
      persist: (write) => this.persist(write),
    };
    this.jobs = new JobRuns(queue, this.ctx, view);
    await this.jobs.load();
  }

  async start(spec: RunSpec = { modelId: this.ctx.settings.modelId, config: this.ctx.settings.config }): Promise<void> {
    const { ctx } = this;
    if (this.jobs) return this.jobs.enqueue(spec);
    if (!ctx.dataset || this.busy) return;
    const config = structuredClone(spec.config);
    const runId = `run-${new Date().toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 6)}`;
    const ref = modelRef(spec.modelId, location.href);
    const record = newRunRecord({
      id: runId,
      dataset: { hash: ctx.dataset.hash, name: ctx.dataset.name, labels: ctx.dataset.splits.labels },
      model: ref,
      config,
      backend: ctx.backend?.backend ?? 'cpu',
      status: 'running',
      now: Date.now(),
      notes: spec.notes,
    });
    await createRun(ctx.db, record);
    this.begin(runId, config);
    ctx.bus.emit('runs');
    const suites = suiteData(await listSuites(ctx.db, ctx.dataset.hash));
    this.client.send({ type: 'train', runId, model: ref, data: await withMixedData(ctx.dataset.splits, config, ctx.loadSplits), config, suites });
  }

  /** A job run the worker started while another run (or none) was live: it becomes the live run, with the curves
   * it stored before a pause or a reload. */
  private adopt(runId: string): void {
    this.begin(runId, this.jobs!.config(runId));
    const live = this.live!;
    const restoring = getRun(this.ctx.db, runId).then((run) => {
      if (!run || this.live !== live) return;
      live.train = run.lossCurve.map((p) => ({ x: p.step, y: p.loss }));
      this.valLoss = run.epochMetrics.map((e) => e.valLoss);
      this.trainLoss = run.epochMetrics.map((e) => e.trainLoss);
      this.valAccuracy = run.epochMetrics.map((e) => e.valAccuracy);
      live.val = run.epochMetrics.map((e) => ({ x: e.step, y: e.valLoss }));
    });
    const done: Promise<void> = restoring.finally(() => {
      if (this.restoring === done) this.restoring = null;
    });
    this.restoring = done;
  }

  /** Messages wait for `p` (and what they already waited for) before they are handled, in the order they came. */
  private waitFor(p: Promise<unknown>): void {
    const done: Promise<void> = Promise.all([this.restoring, p]).then(() => {
      if (this.restoring === done) this.restoring = null;
    });
    this.restoring = done;
  }

  private isJob(runId: string | undefined): boolean {
    return !!this.jobs?.has(runId);
  }

  /** Continues an interrupted run (from before runs were jobs) from its last stored checkpoint, with the same
   * data order. */
  async resumeStored(runId: string): Promise<void> {
    const { ctx } = this;
    if (this.busy) return;
    const run = await getRun(ctx.db, runId);
    const ckpt = await latestCheckpoint(ctx.db, runId);
    if (!run || !ckpt) throw new Error('This run has no checkpoint to resume from.');
    const splits = await ctx.loadSplits(run.datasetHash);
    this.begin(runId, run.config);
    this.live!.train = run.lossCurve.map((p) => ({ x: p.step, y: p.loss }));
    this.valLoss = run.epochMetrics.map((e) => e.valLoss);
    this.trainLoss = run.epochMetrics.map((e) => e.trainLoss);
    this.valAccuracy = run.epochMetrics.map((e) => e.valAccuracy);
    this.live!.val = run.epochMetrics.map((e) => ({ x: e.step, y: e.valLoss }));
    await updateRun(ctx.db, runId, { status: 'running' });
    ctx.bus.emit('runs');
    this.client.send({
      type: 'train',
      runId,
      model: modelRef(run.modelId, location.href),
      data: await withMixedData(splits, run.config, this.ctx.loadSplits),
      config: run.config,
      before: run.before,
      suites: suiteData(await listSuites(ctx.db, run.datasetHash)),
      resume: ckpt,
    });
  }

  pause(): void {
    if (this.live?.phase !== 'training') return;
    if (this.isJob(this.live.runId)) return this.steer('pause', 'Pausing after the current step…');
    this.client.send({ type: 'pause' });
    this.setPhase('paused', 'Paused between two steps. Resume carries on exactly where it stopped.');
    void updateRun(this.ctx.db, this.live.runId, { status: 'paused' });
  }

  resume(): void {
    if (this.live?.phase !== 'paused') return;
    if (this.isJob(this.live.runId)) return this.steer('resume', 'Resuming…');
    this.client.send({ type: 'resume' });
    this.setPhase('training', 'Training…');
    void updateRun(this.ctx.db, this.live.runId, { status: 'running' });
  }

  cancel(): void {
    if (!this.busy && this.live?.phase !== 'queued') return;
    if (this.isJob(this.live!.runId)) return this.steer('cancel', 'Cancelling after the current step…');
    this.client.send({ type: 'cancel' });
    this.live!.message = 'Cancelling after the current step…';
    this.onChange();
  }

  /** Asks the queue to pause, resume or cancel the live job; its status change then updates the page. */
  private steer(action: 'pause' | 'resume' | 'cancel', message: string): void {
    const live = this.live!;
    live.message = message;
    this.onChange();
    this.jobs!.steer(action, live.runId).catch((e: unknown) => {
      live.message = e instanceof Error ? e.message : String(e);
      this.onChange();
    });
  }

  /** Retries the writes that failed for lack of space, after the user freed some. */
  async retryStorage(): Promise<void> {
    await this.pending.flush();
    if (this.live && this.pending.size === 0) this.live.storageProblem = undefined;
    this.onChange();
    this.ctx.bus.emit('runs');
  }

  private begin(runId: string, config: TrainConfig, phase: LivePhase = 'loading', message = 'Loading the model…') {
    this.valLoss = [];
    this.trainLoss = [];
    this.valAccuracy = [];
    this.live = { runId, phase, message, config, train: [], val: [], lr: [], best: null, overfit: null, progress: null, totalSteps: 0 };
    this.onChange();
  }

  private setPhase(phase: LivePhase, message: string) {
    if (!this.live) return;
    this.live.phase = phase;
    this.live.message = message;
    this.onChange();
  }

  /** Every store write goes through here: a quota error keeps the write queued in memory and says so plainly. */
  private async persist(write: () => Promise<unknown>): Promise<void> {
    if (!(await this.pending.run('run data', write))) {
      if (this.live) {
        this.live.storageProblem =
          'The browser has no storage space left for this site. Training goes on and its results are kept in memory; free space (delete old runs or datasets below), then press "Retry saving".';
      }
      this.onChange();
    }
  }

  private async onMessage(m: FromWorker): Promise<void> {
    const runId = m.type === 'done' ? m.result.runId : 'runId' in m ? m.runId : undefined;
    if (runId && this.jobs && this.live?.runId !== runId) {
      // A job run (this page's, or one another tab queued into this tab's queue) becomes the live run.
      if (this.jobs.has(runId)) this.adopt(runId);
      else {
        const jobs = this.jobs;
        this.waitFor(
          jobs.claim(runId).then((mine) => {
            if (!mine || this.live?.runId === runId) return;
            this.adopt(runId);
            return this.restoring;
          }),
        );
      }
    }
    if (this.restoring) await this.restoring;
    const live = this.live;
    const db = this.ctx.db;
    if (!live || runId !== live.runId) return;
    switch (m.type) {
      case 'status':
        if (live.phase !== 'paused' || m.phase !== 'training') {
          const words = { loading: 'Loading the model…', baseline: 'Measuring the untrained model (zero-shot)…', training: 'Training…', paused: 'Paused.', evaluating: 'Evaluating the tuned model on the held-out test examples…' };
          this.setPhase(m.phase, words[m.phase] + (m.detail && m.phase === 'loading' ? ` (${m.detail})` : ''));
        }
        return;
      case 'baseline': {
        live.totalSteps = m.totalSteps;
        live.trainableParams = m.trainableParams;
        live.totalParams = m.totalParams;
        live.lr = linearWarmupDecaySeries(m.totalSteps, warmupStepsFromRatio(m.totalSteps, live.config.warmupRatio), live.config.lr).map((y, x) => ({ x, y }));
        await this.persist(() =>
          updateRun(db, live.runId, { before: m.before, totalSteps: m.totalSteps, trainableParams: m.trainableParams, totalParams: m.totalParams, pooling: m.pooling }),
        );
        this.onChange();
        return;
      }
      case 'progress':
        // A run taken up again from a checkpoint repeats the steps after it: the points it will redo go.
        while (live.train.length && live.train[live.train.length - 1].x >= m.step) live.train.pop();
        while (live.val.length && live.val[live.val.length - 1].x >= m.step) {
          live.val.pop();
          this.valLoss.pop();
          this.trainLoss.pop();
          this.valAccuracy.pop();
        }
        live.progress = m;
        if (m.loss !== undefined) live.train.push({ x: m.step, y: m.loss });
        this.onChange();
        return;
      case 'eval': {
        this.valLoss.push(m.valLoss);
        this.trainLoss.push(m.trainLoss);
        this.valAccuracy.push(m.valAccuracy);
        live.val.push({ x: m.step, y: m.valLoss });
        const signal = overfitSignal(this.valLoss, this.trainLoss, live.config.patience);
        live.best = live.val[signal.bestEpoch] ?? null;
        live.overfit = signal.message;
        this.onChange();
        return;
      }
      case 'checkpoint': {
        const lossCurve = live.train.map((p) => ({ step: p.x, loss: p.y }));
        const epochMetrics = this.valLoss.map((v, i) => ({ epoch: i + 1, step: live.val[i].x, trainLoss: this.trainLoss[i], valLoss: v, valAccuracy: this.valAccuracy[i] }));
        // Only the latest (resume, use) and the lowest-validation-loss checkpoints are kept: one every 50 steps
        // would otherwise pile up, 12 bytes per trainable parameter each (weights and two AdamW moments).
        await this.persist(async () => {
          await saveCheckpoint(db, m.runId, m.checkpoint, { lossCurve, epochMetrics, elapsedMs: live.progress?.elapsedMs ?? 0 });
          await pruneCheckpoints(db, m.runId);
        });
        this.ctx.bus.emit('runs');
        return;
      }
      case 'done': {
        const r = m.result;
        live.result = r;
        // The run's own dataset version: a queued run may end after the page moved to another dataset.
        const stored = await getRun(db, r.runId);
        const test = stored && stored.datasetHash !== this.ctx.dataset?.hash ? (await this.ctx.loadSplits(stored.datasetHash)).test : (this.ctx.dataset?.splits.test ?? []);
        const lossCurve = live.train.map((p) => ({ step: p.x, loss: p.y }));
        // Stored first, then announced: a page that says "finished" (or "cancelled") has it on disk, so a reload
        // right after finds the run as the page described it.
        await this.persist(() => recordFinishedRun(db, { run: r.runId, result: r, test, finished: Date.now(), lossCurve }));
        this.setPhase('finished', `Run finished: accuracy ${pct(r.before.accuracy)} before, ${pct(r.after.accuracy)} after (bag-of-words baseline ${pct(r.baseline.accuracy)}), ${r.steps} steps in ${r.seconds.toFixed(1)} s.`);
        this.ctx.bus.emit('runs');
        return;
      }
      case 'cancelled':
        // A job's loop stops for a pause as for a cancel: the job's status says which (src/ui/job-runs.ts).
        if (this.isJob(live.runId)) return;
        await this.persist(() => updateRun(db, m.runId, { status: 'cancelled', finished: Date.now() }));
        this.setPhase('cancelled', 'Run cancelled. Its last checkpoint is kept; Resume in the runs list continues from it.');
        this.ctx.bus.emit('runs');
        return;
      case 'error':
        if (this.isJob(live.runId)) {
          // The queue decides what follows (a retry on the CPU after a lost GPU, or a failed job) and restarts
          // the worker itself; its status change updates the page.
          live.message = m.message;
          this.onChange();
          return;
        }
        if (m.deviceLost) {
          // Nothing is lost: the checkpoints up to the failure are stored. A fresh worker on the CPU takes over,
          // and Resume in the runs list continues the run from its last checkpoint.
          await this.persist(() => updateRun(db, live.runId, { status: 'interrupted', error: m.message }));
          this.setPhase('failed', `${m.message} tabtune restarted its training worker on the CPU (wasm): press Resume in the runs list to continue.`);
          const ready = await this.client.restart('wasm');
          if (this.client === this.ctx.client) this.ctx.bus.emit('backend-ready', ready.choice);
        } else {
          this.setPhase('failed', m.message);
          await this.persist(() => updateRun(db, live.runId, { status: 'failed', error: m.message, finished: Date.now() }));
          // An aborted wasm module cannot run anything again: a fresh worker keeps the page usable.
          if (m.workerBroken) await this.client.restart(this.ctx.settings.backend);
        }
        this.ctx.bus.emit('runs');
        return;
    }
  }
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}
