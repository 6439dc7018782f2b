// The queue: one job at a time per engine, oldest first. Jobs wait as `queued`; the runner takes the next one
// when the previous ends. Pause and cancel of the running job stop the loop between steps; the loop then hands
// out a checkpoint of where it stopped, which a pause keeps as the job's resume point, so a resumed job carries
// on from it (src/train/loop.ts resumes bit-exactly) instead of holding the engine while it waits.
// Of several clients on one store only the queue lock's holder runs jobs (client.ts takes the lock and calls
// `takeQueue`); the others pass their stops and new jobs on to it (remote-stop.ts, the bus).
import type { Checkpoint, EvalSummary, TrainResult } from '../domain';
import { DEFAULT_DRIFT_LIMIT, isForgetting } from '../guards/forgetting';
import { overfitRisk } from '../guards/overfit';
import type { Context } from './context';
import { mustGetJob, setStatus, updateJob } from './context';
import { isDeviceLost } from './engine';
import { newId, seconds } from './ids';
import { loadJobData } from './job-data';
import { fineTunedModelName } from './params';
import { stopElsewhere, watchStopRequests } from './remote-stop';
import type { CheckpointObject, FineTuningJob, Score } from './types';
import { writeSafetensors } from '../model/safetensors';

type Stop = 'cancel' | 'pause' | 'shutdown';

interface Current {
  jobId: string;
  stop: Stop | null;
  done: Promise<void>;
}

const score = (s: EvalSummary): Score => ({ accuracy: s.accuracy, macro_f1: s.macroF1 });

/** How long a client that will never run the queue waits for another to stop a job before answering. */
const GIVE_UP_MS = 30_000;
/** How often the queue's holder looks for jobs queued by a client no bus reaches (another process). */
const QUEUE_POLL_MS = 1000;

export class Runner {
  private current: Current | null = null;
  private loop: Promise<void> | null = null;
  private closed = false;
  /** True once this client holds the store's queue. */
  private enabled = false;
  private timers: (() => void)[] = [];
  /** Jobs that have lost their device once: a second loss fails them, as any other engine failure does. */
  private lostDevice = new Set<string>();
  /**
   * @param willRun this client takes the queue when it can (false: it only records and reads jobs).
   */
  constructor(
    private ctx: Context,
    private willRun: boolean,
  ) {
    const off = ctx.bus.on((m) => {
      // Only the holder acts on it: a client without the queue passing it on again would echo it among the others.
      if (m.type === 'queued') this.enabled && this.kick();
      else if (m.type === 'stop' && this.current?.jobId === m.jobId) this.current.stop ??= m.why;
    });
    this.timers.push(off);
  }

  /** Called once this client holds the queue lock: jobs a previous holder left `running` go back to the queue,
   * or stop as another client asked meanwhile; then the queue starts. */
  async takeQueue(): Promise<void> {
    const { ctx } = this;
    for (const job of await ctx.store.listJobs()) {
      if (job.status !== 'running') continue;
      await ctx.serial.run(async () => {
        const point = await ctx.store.getResumePoint(job.id);
        const asked = (await mustGetJob(ctx, job.id)).tabtune.stop_requested;
        if (asked === 'cancel') {
          await ctx.store.putResumePoint(job.id, null);
          await setStatus(ctx, job.id, 'cancelled');
        } else if (asked === 'pause') await setStatus(ctx, job.id, 'paused', () => {}, `stopped at step ${point?.step ?? 0}; resume carries on from there`);
        else await setStatus(ctx, job.id, 'queued', () => {}, `its process ended; ${point ? `resumes from step ${point.step}` : 'starts again'}`);
      });
    }
    this.enabled = true;
    if (ctx.shared) {
      const timer = setInterval(() => this.kick(), QUEUE_POLL_MS);
      this.timers.push(() => clearInterval(timer));
    }
    this.kick();
  }

  /** Starts the queue if it is idle; safe to call any number of times. A client without the queue tells its holder. */
  kick(): void {
    if (this.closed) return;
    if (!this.enabled) {
      if (this.ctx.shared) this.ctx.bus.post({ type: 'queued' });
      return;
    }
    if (this.loop) return;
    this.loop = this.drain().finally(() => {
      this.loop = null;
    });
  }

  /** Resolves when no job is running and none is queued (tests, the CLI's --wait). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  runningJobId(): string | null {
    return this.current?.jobId ?? null;
  }

  /** Stops the job for `why`, here or in the client that runs it; resolves once the runner has recorded the
   * outcome. False if it is not running. */
  async stop(jobId: string, why: Stop): Promise<boolean> {
    const here = async () => {
      const cur = this.current;
      if (!cur || cur.jobId !== jobId) return false;
      cur.stop ??= why;
      await cur.done;
      return true;
    };
    if (await here()) return true;
    // The queue is ours: a job `running` in the store and not here was left by a client before us (takeQueue).
    if (why === 'shutdown' || this.enabled || this.closed || !this.ctx.shared) return false;
    const stopped = await stopElsewhere(this.ctx, jobId, why, () => this.current?.jobId === jobId || this.enabled, this.willRun ? Infinity : GIVE_UP_MS);
    return stopped || here();
  }

  /** Stops taking jobs; a running one stops at its next step and stays `running` in the store, to be resumed
   * from its last checkpoint by the next client that opens the store. */
  async close(): Promise<void> {
    this.closed = true;
    for (const off of this.timers) off();
    if (this.current) await this.stop(this.current.jobId, 'shutdown');
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const next = (await this.ctx.store.listJobs()).find((j) => j.status === 'queued');
      if (!next) return;
      let finish!: () => void;
      this.current = { jobId: next.id, stop: null, done: new Promise((r) => (finish = r)) };
      const cur = this.current;
      const unwatch = this.ctx.shared ? watchStopRequests(this.ctx, next.id, (why) => (cur.stop ??= why)) : () => {};
      this.ctx.log.own(next.id);
      try {
        await this.run(next.id, cur);
      } finally {
        unwatch();
        this.ctx.log.disown(next.id);
        this.current = null;
        finish();
      }
    }
  }

  private async run(id: string, cur: Current): Promise<void> {
    const { ctx } = this;
    const resume = await ctx.store.getResumePoint(id);
    // Still queued: another client on the store may have cancelled or paused it since the queue was read.
    const started = await ctx.serial.run(async () => ((await mustGetJob(ctx, id)).status === 'queued' ? setStatus(ctx, id, 'running', () => {}, resume ? `resuming from step ${resume.step}` : undefined) : null));
    if (!started) return;
    const data = await loadJobData(ctx, started);
    if (!data.ok) {
      await ctx.serial.run(() => setStatus(ctx, id, 'failed', () => {}, undefined, data.error));
      return;
    }
    const cfg = started.tabtune.config;
    let evaluatedStep: { epoch: number; step: number; trainLoss: number; valLoss: number; valAccuracy: number } | null = null;
    let last: Checkpoint | null = null;
    let lastStep = resume?.step ?? 0;
    // Hooks are called synchronously by the loop; their writes queue behind each other on the one writer.
    // A write the store refuses for lack of space is kept in memory by the store (spill-store.ts) and does not fail;
    // any other refusal stops the run and fails the job, as a job whose progress cannot be kept.
    let writeError: unknown = null;
    const write = (fn: () => Promise<unknown>) => void ctx.serial.run(fn).catch((e) => (writeError ??= e));
    try {
      const out = await ctx.engine.train(
        { runId: id, modelId: started.model, data: data.data, config: cfg, resume: resume ?? undefined, suites: data.suites },
        {
          status: (phase, detail) => write(() => ctx.log.append(id, 'info', 'message', detail ? `${phase}: ${detail}` : phase, { phase })),
          baseline: (b) =>
            write(async () => {
              await updateJob(ctx, id, (j) => {
                j.tabtune.labels = data.data.labels;
                j.tabtune.total_steps = b.totalSteps;
                j.tabtune.before = score(b.before);
                j.tabtune.trainable_params = b.trainableParams;
                j.tabtune.token_params = b.tokenParams ?? 0;
                j.tabtune.total_params = b.totalParams;
              });
              await ctx.log.append(id, 'info', 'evaluation', `Before training (zero-shot): accuracy ${b.before.accuracy.toFixed(4)} on ${b.before.predictions.length} test examples; ${b.trainableParams} of ${b.totalParams} parameters train over ${b.totalSteps} steps`, {
                phase: 'before',
                accuracy: b.before.accuracy,
                macro_f1: b.before.macroF1,
                trainable_params: b.trainableParams,
                token_params: b.tokenParams ?? 0,
                total_params: b.totalParams,
                total_steps: b.totalSteps,
              });
              const risk = overfitRisk(data.data.train.length, b.trainableParams, cfg.epochs, cfg.method, b.tokenParams);
              if (risk) await ctx.log.append(id, 'warn', 'warning', risk.message, { kind: 'overfit-risk', suggestions: risk.suggestions });
            }),
          progress: (p) => {
            lastStep = p.step;
            if (p.loss === undefined) return;
            write(async () => {
              await updateJob(ctx, id, (j) => (j.tabtune.step = p.step));
              await ctx.log.append(id, 'info', 'metrics', `Step ${p.step}/${p.totalSteps}: training loss=${p.loss!.toFixed(4)}`, {
                step: p.step,
                total_steps: p.totalSteps,
                epoch: p.epoch,
                train_loss: p.loss,
                learning_rate: p.lr,
                examples_per_sec: p.examplesPerSec,
              });
            });
          },
          evaluated: (e) => {
            evaluatedStep = e;
            write(() =>
              ctx.log.append(id, 'info', 'evaluation', `Epoch ${e.epoch + 1}/${cfg.epochs}: validation loss=${e.valLoss.toFixed(4)}, validation accuracy=${e.valAccuracy.toFixed(4)}`, {
                epoch: e.epoch,
                step: e.step,
                train_loss: e.trainLoss,
                valid_loss: e.valLoss,
                valid_accuracy: e.valAccuracy,
              }),
            );
          },
          checkpoint: (c) => {
            last = c;
            // The loop's end-of-epoch checkpoint follows its evaluation; the others (every N steps, or where a
            // pause stopped it) are resume points only. The session's final weights carry no optimizer state.
            const epochEnd = evaluatedStep;
            evaluatedStep = null;
            const final = !epochEnd && c.batchIndex === 0 && c.epoch >= cfg.epochs;
            if (final) return;
            write(async () => {
              if (epochEnd) {
                const meta: CheckpointObject = {
                  id: newId('ftckpt'),
                  object: 'fine_tuning.job.checkpoint',
                  created_at: seconds(),
                  fine_tuning_job_id: id,
                  step_number: c.step,
                  epoch: c.epoch,
                  metrics: { step: c.step, train_loss: epochEnd.trainLoss, valid_loss: epochEnd.valLoss, valid_accuracy: epochEnd.valAccuracy },
                };
                // An epoch's checkpoint is a model to list and keep; the resume point below is where a job resumes.
                await ctx.store.putCheckpoint(id, meta, weightsOnly(c));
                await ctx.log.append(id, 'info', 'checkpoint', `Checkpoint saved at step ${c.step} (end of epoch ${c.epoch})`, { checkpoint_id: meta.id, ...meta.metrics, epoch: c.epoch });
              }
              await ctx.store.putResumePoint(id, c);
            });
          },
        },
        { isCancelled: () => cur.stop !== null || writeError !== null, whilePaused: async () => {} },
      );
      await ctx.serial.flush();
      if (writeError) return await this.fail(id, 'storage_error', writeError);
      if (out === 'cancelled') {
        if (cur.stop === 'pause') await ctx.serial.run(() => setStatus(ctx, id, 'paused', () => {}, `stopped at step ${last?.step ?? 0}; resume carries on from there`));
        else if (cur.stop === 'cancel') {
          await ctx.serial.run(async () => {
            await ctx.store.putResumePoint(id, null);
            await setStatus(ctx, id, 'cancelled');
          });
        }
        return; // shutdown: left `running` on purpose, see close()
      }
      await this.succeed(id, out.result, out.trainedTokens, last!, data.data.train).catch((e) => this.fail(id, 'storage_error', e));
    } catch (e) {
      await ctx.serial.flush();
      if (isDeviceLost(e) && !this.lostDevice.has(id)) {
        this.lostDevice.add(id);
        await this.retryAfterDeviceLoss(id, e.fallback, e.message, lastStep);
        return;
      }
      await this.fail(id, /training loss became/.test(e instanceof Error ? e.message : String(e)) ? 'training_diverged' : 'engine_error', e);
    }
  }

  private async fail(id: string, code: string, e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e);
    await this.ctx.serial.run(() => setStatus(this.ctx, id, 'failed', () => {}, undefined, { code, message, param: null }));
  }

  /** Back to the front of the queue (it is the oldest queued job), to resume from its last resume point. */
  private async retryAfterDeviceLoss(id: string, fallback: string, why: string, lostAt: number): Promise<void> {
    const { ctx } = this;
    await ctx.serial.run(async () => {
      const from = (await ctx.store.getResumePoint(id))?.step ?? 0;
      await ctx.log.append(id, 'warn', 'warning', `The GPU was lost at step ${lostAt} (${why}); the job continues on ${fallback} from step ${from}.`, { kind: 'device_lost', lost_at_step: lostAt, resumes_from_step: from, fallback });
      await setStatus(ctx, id, 'queued', () => {}, `the GPU was lost; resumes from step ${from} on ${fallback}`);
    });
  }

  private async succeed(id: string, r: TrainResult, trainedTokens: number, final: Checkpoint, train: { text: string; label: string }[]): Promise<void> {
    const { ctx } = this;
    await ctx.serial.run(async () => {
      const job = await mustGetJob(ctx, id);
      const name = fineTunedModelName(job.model, job.suffix, id);
      const labels = job.tabtune.labels ?? [];
      // The model and the result go first; the job's `succeeded` is written last, so it never names a model
      // that is not there.
      await ctx.store.putModel(
        { model: { id: name, object: 'model', created: seconds(), owned_by: 'local', tabtune: { base_model: job.model, job_id: id, labels } }, config: job.tabtune.config, baseline_train: train },
        final.adapter,
      );
      await ctx.store.putResult(id, r);
      await ctx.log.append(id, 'info', 'evaluation', `After training: accuracy ${r.after.accuracy.toFixed(4)} (before ${r.before.accuracy.toFixed(4)}, bag-of-words baseline ${r.baseline.accuracy.toFixed(4)})`, {
        phase: 'after',
        after: score(r.after),
        before: score(r.before),
        baseline: score(r.baseline),
      });
      const flagged = isForgetting(r.forgetting);
      if (flagged) {
        await ctx.log.append(id, 'warn', 'warning', `The tuned encoder drifted ${r.forgetting.meanDrift.toFixed(3)} from the base model on general English (limit ${DEFAULT_DRIFT_LIMIT}): it may have forgotten. Try a lower learning_rate_multiplier or fewer epochs.`, { kind: 'forgetting', ...r.forgetting });
      }
      await ctx.store.putResumePoint(id, null);
      await setStatus(ctx, id, 'succeeded', (j: FineTuningJob) => {
        j.fine_tuned_model = name;
        j.trained_tokens = trainedTokens;
        Object.assign(j.tabtune, {
          step: r.steps,
          before: score(r.before),
          after: score(r.after),
          baseline: score(r.baseline),
          forgetting: { ...r.forgetting, flagged },
          suites: (r.suites ?? []).map((s) => ({ name: s.name, before: score(s.before), after: score(s.after), baseline: s.baseline ? score(s.baseline) : null })),
          adapter_sha256: r.adapterSha256,
          seconds: r.seconds,
        });
      });
    });
  }
}

/**
 * The checkpoint with an empty optimizer state (a safetensors file with no tensors): weights to keep and use, not
 * a place to resume from. A third of the size: AdamW keeps two moments per trainable weight.
 */
function weightsOnly(c: Checkpoint): Checkpoint {
  const empty = writeSafetensors({}, { step: String(c.step), count: '0', omitted: 'weights-only checkpoint' });
  return { ...c, optimizer: empty.slice().buffer as ArrayBuffer };
}
