// What the client's parts share: the store, the engine, the one writer and the event log, and the few job
// mutations more than one part makes (a status change is always a job write and its event, in that order).
import type { JobEngine } from './engine';
import type { JobStore } from './store';
import { EventLog } from './event-log';
import { silentBus, type Bus } from './bus';
import { Serial } from './serial';
import { TabtuneError } from './errors';
import { seconds } from './ids';
import type { FineTuningJob, JobError, JobStatus } from './types';

export interface Context {
  store: JobStore;
  engine: JobEngine;
  serial: Serial;
  log: EventLog;
  /** Reads a file named by a path (Node); absent where there is no file system. */
  readPath?: (path: string) => Promise<string>;
  /** Other clients may open the store (tabs, processes): only the queue lock's holder runs jobs. */
  shared: boolean;
  /** To the other clients on the store. */
  bus: Bus;
  /** How often a shared store is read for what no bus carried (stop requests, queued jobs, events). */
  pollMs: number;
}

export function makeContext(store: JobStore, engine: JobEngine, opts: { readPath?: (path: string) => Promise<string>; bus?: Bus; shared?: boolean; pollMs?: number } = {}): Context {
  return { store, engine, serial: new Serial(), log: new EventLog(store), readPath: opts.readPath, shared: opts.shared ?? false, bus: opts.bus ?? silentBus, pollMs: opts.pollMs ?? 250 };
}

export async function mustGetJob(ctx: Context, id: string): Promise<FineTuningJob> {
  const job = typeof id === 'string' ? await ctx.store.getJob(id) : null;
  if (!job) throw new TabtuneError('job_not_found', `No fine-tuning job "${id}".`, 'fine_tuning_job_id');
  return job;
}

const STATUS_MESSAGES: Record<JobStatus, string> = {
  validating_files: 'Validating training file',
  queued: 'Job queued',
  running: 'Fine-tuning job started',
  paused: 'Job paused',
  succeeded: 'The job has successfully completed',
  failed: 'The job failed',
  cancelled: 'Job cancelled',
};

/** Moves a job to `status` (with any other changes) and logs it. Call inside ctx.serial. */
export async function setStatus(
  ctx: Context,
  id: string,
  status: JobStatus,
  change: (job: FineTuningJob) => void = () => {},
  detail?: string,
  error?: JobError,
): Promise<FineTuningJob> {
  const job = await mustGetJob(ctx, id);
  const from = job.status;
  job.status = status;
  // A status change answers any stop another client asked for.
  delete job.tabtune.stop_requested;
  if (error) job.error = error;
  if (status === 'succeeded' || status === 'failed' || status === 'cancelled') job.finished_at = seconds();
  change(job);
  await ctx.store.putJob(job);
  const message = error ? `${STATUS_MESSAGES[status]}: ${error.message}` : detail ? `${STATUS_MESSAGES[status]}: ${detail}` : STATUS_MESSAGES[status];
  await ctx.log.append(id, status === 'failed' ? 'error' : 'info', 'status', message, { status, from, ...(error ? { error } : {}) });
  return job;
}

export async function updateJob(ctx: Context, id: string, change: (job: FineTuningJob) => void): Promise<FineTuningJob> {
  const job = await mustGetJob(ctx, id);
  change(job);
  await ctx.store.putJob(job);
  return job;
}
