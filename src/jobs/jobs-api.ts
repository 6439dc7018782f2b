// fineTuning.jobs.*: create checks everything it can before writing (nothing half-written on a refusal), then the
// job validates its files, waits in the queue and runs; the other calls read or steer it.
import type { TrainResult } from '../domain';
import type { Context } from './context';
import { mustGetJob, setStatus } from './context';
import { TabtuneError } from './errors';
import { isFinalEvent } from './event-log';
import { newId, seconds } from './ids';
import { loadJobData } from './job-data';
import { LIMITS, resolveParams } from './params';
import type { Runner } from './runner';
import type { CheckpointObject, FineTuningJob, JobCreateParams, JobEvent, ListPage } from './types';
import { TERMINAL_STATUSES } from './types';

export interface JobsApi {
  create(params: JobCreateParams): Promise<FineTuningJob>;
  retrieve(id: string): Promise<FineTuningJob>;
  list(opts?: { status?: FineTuningJob['status'] }): Promise<ListPage<FineTuningJob>>;
  cancel(id: string): Promise<FineTuningJob>;
  pause(id: string): Promise<FineTuningJob>;
  resume(id: string): Promise<FineTuningJob>;
  /** The job's log so far, oldest first (the hosted API lists newest first; tabtune keeps the order it happened in). */
  listEvents(id: string): Promise<ListPage<JobEvent>>;
  /** The log as an async iterator; with follow, live events too, until the job succeeds, fails or is cancelled. */
  events(id: string, opts?: { follow?: boolean }): AsyncIterable<JobEvent>;
  /** Calls `fn` for each new event of the job; returns the function that stops it. */
  subscribe(id: string, fn: (e: JobEvent) => void): () => void;
  /** Resolves with the job once it has succeeded, failed or been cancelled. */
  wait(id: string): Promise<FineTuningJob>;
  checkpoints: { list(id: string): Promise<ListPage<CheckpointObject>> };
  /** tabtune's full result of a succeeded job: every score, per-example predictions and probabilities. */
  result(id: string): Promise<TrainResult | null>;
}

/** The request as compared across retries with one idempotency key: every field but the key. */
const fingerprint = (p: JobCreateParams) => JSON.stringify({ ...p, idempotency_key: undefined });

export function jobsApi(ctx: Context, runner: Runner): JobsApi {
  // Validations under way, so closing the client lets them write their outcome first.
  const validating = new Set<Promise<void>>();
  /** A file to train on must be a 'fine-tune' file; a file only scored may be either. */
  async function checkFile(id: unknown, param: string, scoredOnly = false) {
    if (typeof id !== 'string' || !id) throw new TabtuneError('file_not_found', `${param} must be a file id from files.create.`, param);
    const f = await ctx.store.getFile(id);
    if (!f) throw new TabtuneError('file_not_found', `No file "${id}" (${param}); upload it with files.create first.`, param);
    if (f.purpose !== 'fine-tune' && !(scoredOnly && f.purpose === 'evals')) {
      throw new TabtuneError('invalid_purpose', `File ${id} was uploaded with purpose "${f.purpose}"; ${param} needs a file uploaded with purpose "fine-tune"${scoredOnly ? ' or "evals"' : ''}.`, param);
    }
  }

  /** The files tabtune adds to a request (a test file, evaluation suites), checked like the hosted ones. */
  async function checkExtras(params: JobCreateParams): Promise<Pick<FineTuningJob['tabtune'], 'test_file' | 'suite_files' | 'mix'>> {
    const t = params.tabtune;
    if (t === undefined) return {};
    if (typeof t !== 'object' || t === null) throw new TabtuneError('invalid_input', 'tabtune must be an object.', 'tabtune');
    const out: Pick<FineTuningJob['tabtune'], 'test_file' | 'suite_files' | 'mix'> = {};
    if (t.test_file !== undefined) {
      if (params.validation_file == null) throw new TabtuneError('invalid_input', 'tabtune.test_file needs a validation_file: without one the training file is split into train, validation and test.', 'tabtune.test_file');
      await checkFile(t.test_file, 'tabtune.test_file', true);
      out.test_file = t.test_file;
    }
    if (t.suites !== undefined) {
      if (!Array.isArray(t.suites)) throw new TabtuneError('invalid_input', 'tabtune.suites must be a list of { file, name }.', 'tabtune.suites');
      out.suite_files = [];
      for (const [i, s] of t.suites.entries()) {
        const param = `tabtune.suites[${i}]`;
        if (!s || typeof s !== 'object' || typeof s.name !== 'string' || !s.name.trim()) throw new TabtuneError('invalid_input', `${param} needs a name.`, `${param}.name`);
        if (s.id !== undefined && (typeof s.id !== 'string' || !s.id)) throw new TabtuneError('invalid_input', `${param}.id must be a non-empty string.`, `${param}.id`);
        await checkFile(s.file, `${param}.file`, true);
        out.suite_files.push({ file: s.file, name: s.name, ...(s.id !== undefined ? { id: s.id } : {}) });
      }
    }
    if (t.mix !== undefined) {
      const m = t.mix;
      if (!m || typeof m !== 'object') throw new TabtuneError('invalid_input', 'tabtune.mix must be { file, share }.', 'tabtune.mix');
      if (typeof m.share !== 'number' || !(m.share > 0 && m.share <= 1)) throw new TabtuneError('invalid_input', `tabtune.mix.share must be above 0 and at most 1, not ${JSON.stringify(m.share)}.`, 'tabtune.mix.share');
      await checkFile(m.file, 'tabtune.mix.file');
      out.mix = { file: m.file, share: m.share };
    }
    return out;
  }

  /** validating_files → queued (or failed, saying which file and why), then the queue takes it. */
  async function validate(id: string): Promise<void> {
    const job = await mustGetJob(ctx, id);
    const data = await loadJobData(ctx, job);
    await ctx.serial.run(async () => {
      const now = await mustGetJob(ctx, id);
      if (now.status !== 'validating_files') return; // cancelled meanwhile
      if (!data.ok) await setStatus(ctx, id, 'failed', () => {}, undefined, data.error);
      else await setStatus(ctx, id, 'queued');
    });
    runner.kick();
  }

  const api: JobsApi = {
    async create(params) {
      if (!params || typeof params !== 'object') throw new TabtuneError('invalid_input', 'create needs { training_file, model, … }.', null);
      const key = params.idempotency_key;
      if (key !== undefined && (typeof key !== 'string' || !key || key.length > LIMITS.idempotency_key)) {
        throw new TabtuneError('invalid_input', `idempotency_key must be a string of 1 to ${LIMITS.idempotency_key} characters.`, 'idempotency_key');
      }
      if (typeof params.model !== 'string' || !(ctx.engine.hasModel?.(params.model) ?? ctx.engine.baseModels().includes(params.model))) {
        const hint = typeof params.model === 'string' && params.model.startsWith('ft:') ? ' Tuning a tuned model again is not supported yet; tune its base model.' : '';
        throw new TabtuneError('model_not_found', `No base model ${JSON.stringify(params.model)}. Available: ${ctx.engine.baseModels().join(', ')}.${hint}`, 'model');
      }
      await checkFile(params.training_file, 'training_file');
      if (params.validation_file != null) await checkFile(params.validation_file, 'validation_file');
      const extras = await checkExtras(params);
      const resolved = resolveParams(params);
      if (extras.mix) Object.assign(resolved.config, { mixShare: extras.mix.share, mixFrom: extras.mix.file });

      const created = await ctx.serial.run(async () => {
        if (key !== undefined) {
          const existing = (await ctx.store.listJobs()).find((j) => j.tabtune.idempotency_key === key);
          if (existing) {
            // Stripe-style keys, as the hosted services use them: a retry gets the first job back; another request
            // under the same key is refused rather than silently answered with a job it did not ask for.
            if (existing.tabtune.request === fingerprint(params)) return { job: existing, fresh: false };
            throw new TabtuneError('idempotency_key_reused', `Idempotency key ${JSON.stringify(key)} was used for job ${existing.id} with different parameters; use a new key for a different job.`, 'idempotency_key');
          }
        }
        const ms = Date.now();
        const job: FineTuningJob = {
          id: newId('ftjob'),
          object: 'fine_tuning.job',
          created_at: seconds(ms),
          finished_at: null,
          model: params.model,
          fine_tuned_model: null,
          organization_id: 'local',
          status: 'validating_files',
          training_file: params.training_file,
          validation_file: params.validation_file ?? null,
          method: resolved.method,
          hyperparameters: resolved.hyperparameters,
          result_files: [],
          trained_tokens: null,
          error: null,
          seed: resolved.seed,
          suffix: resolved.suffix,
          tabtune: { created_at_ms: ms, config: resolved.config, ...extras, ...(key !== undefined ? { idempotency_key: key, request: fingerprint(params) } : {}) },
        };
        await ctx.store.putJob(job);
        await ctx.log.append(job.id, 'info', 'status', 'Validating training file', { status: 'validating_files', from: null });
        return { job, fresh: true };
      });
      if (created.fresh) {
        const p = validate(created.job.id).catch(() => {});
        validating.add(p);
        void p.finally(() => validating.delete(p));
      }
      return created.job;
    },

    retrieve: (id) => mustGetJob(ctx, id),

    async list(opts = {}) {
      const jobs = await ctx.store.listJobs();
      return { object: 'list', data: opts.status ? jobs.filter((j) => j.status === opts.status) : jobs, has_more: false };
    },

    async cancel(id) {
      const job = await mustGetJob(ctx, id);
      if (TERMINAL_STATUSES.includes(job.status)) throw new TabtuneError('invalid_state', `Job ${id} has already ${job.status === 'cancelled' ? 'been cancelled' : job.status}; there is nothing to cancel.`, 'fine_tuning_job_id');
      if (await runner.stop(id, 'cancel')) return mustGetJob(ctx, id);
      // Not running: it never starts. Checked again inside the writer, in case the queue took it meanwhile.
      const raced = await ctx.serial.run(async () => {
        const now = await mustGetJob(ctx, id);
        if (now.status === 'running') return true;
        if (TERMINAL_STATUSES.includes(now.status)) return false;
        await ctx.store.putResumePoint(id, null);
        await setStatus(ctx, id, 'cancelled');
        return false;
      });
      if (raced) await runner.stop(id, 'cancel');
      return mustGetJob(ctx, id);
    },

    async pause(id) {
      const job = await mustGetJob(ctx, id);
      if (!['queued', 'running', 'validating_files'].includes(job.status)) throw new TabtuneError('invalid_state', `Job ${id} is ${job.status}; only a queued or running job can be paused.`, 'fine_tuning_job_id');
      if (await runner.stop(id, 'pause')) return mustGetJob(ctx, id);
      const raced = await ctx.serial.run(async () => {
        const now = await mustGetJob(ctx, id);
        if (now.status === 'running') return true;
        if (now.status !== 'queued' && now.status !== 'validating_files') return false;
        await setStatus(ctx, id, 'paused', () => {}, 'it will not start until resumed');
        return false;
      });
      if (raced) await runner.stop(id, 'pause');
      return mustGetJob(ctx, id);
    },

    async resume(id) {
      const job = await mustGetJob(ctx, id);
      if (job.status !== 'paused') throw new TabtuneError('invalid_state', `Job ${id} is ${job.status}; only a paused job can be resumed.`, 'fine_tuning_job_id');
      const resumed = await ctx.serial.run(async () => {
        const point = await ctx.store.getResumePoint(id);
        return setStatus(ctx, id, 'queued', () => {}, point ? `resumes from step ${point.step}` : 'starts from the beginning');
      });
      runner.kick();
      return resumed;
    },

    async listEvents(id) {
      await mustGetJob(ctx, id);
      return { object: 'list', data: await ctx.store.listEvents(id), has_more: false };
    },

    events(id, { follow = false } = {}) {
      return {
        async *[Symbol.asyncIterator]() {
          await mustGetJob(ctx, id);
          const pending: JobEvent[] = [];
          let wake: (() => void) | null = null;
          // Subscribed before the stored log is read, so no event falls between the two.
          const unsubscribe = follow ? ctx.log.subscribe(id, (e) => (pending.push(e), wake?.())) : null;
          try {
            let lastSeq = -1;
            for (const e of await ctx.store.listEvents(id)) {
              yield e;
              lastSeq = e.seq;
              if (follow && isFinalEvent(e)) return;
            }
            if (!follow) return;
            for (;;) {
              while (pending.length) {
                const e = pending.shift()!;
                if (e.seq <= lastSeq) continue;
                yield e;
                lastSeq = e.seq;
                if (isFinalEvent(e)) return;
              }
              await new Promise<void>((r) => (wake = r));
              wake = null;
            }
          } finally {
            unsubscribe?.();
          }
        },
      };
    },

    subscribe: (id, fn) => ctx.log.subscribe(id, fn),

    async wait(id) {
      for await (const _ of api.events(id, { follow: true })) void _;
      return mustGetJob(ctx, id);
    },

    checkpoints: {
      async list(id) {
        await mustGetJob(ctx, id);
        return { object: 'list', data: await ctx.store.listCheckpoints(id), has_more: false };
      },
    },

    async result(id) {
      await mustGetJob(ctx, id);
      return ctx.store.getResult(id);
    },
  };
  const settle = async () => void (await Promise.all([...validating]));
  return { ...api, validate, settle } as JobsApi & { validate: typeof validate; settle: typeof settle };
}
