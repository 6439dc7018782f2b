// The client: `openTabtune({ store, engine })` gives the hosted services' fine-tuning API over a local store and
// engine. Opening a store picks up where the last client left it: jobs still validating are validated again, a
// job left `running` (its process ended) goes back to the queue and resumes from its last checkpoint.
import type { JobEngine } from './engine';
import type { JobStore } from './store';
import { makeContext, setStatus } from './context';
import { filesApi, type FilesApi } from './files-api';
import { jobsApi, type JobsApi } from './jobs-api';
import { modelsApi, type ModelsApi, type PredictParams } from './models-api';
import { Runner } from './runner';
import type { Prediction } from './types';

export interface OpenOptions {
  store: JobStore;
  engine: JobEngine;
  /** Run queued jobs in this client (default true). False: only record and read jobs (another process runs them). */
  run?: boolean;
  /** Reads a file given to files.create as a path; Node's openTabtune supplies it. */
  readPath?: (path: string) => Promise<string>;
}

export interface Tabtune {
  files: FilesApi;
  fineTuning: { jobs: JobsApi };
  models: ModelsApi;
  predict(params: PredictParams): Promise<Prediction>;
  /** Resolves when the queue is empty and nothing runs. */
  idle(): Promise<void>;
  /** Stops the queue; a running job stops at its next step and resumes from its last checkpoint next time. */
  close(): Promise<void>;
}

export async function openTabtune(opts: OpenOptions): Promise<Tabtune> {
  const ctx = makeContext(opts.store, opts.engine, opts.readPath);
  const runner = new Runner(ctx, opts.run ?? true);
  const jobs = jobsApi(ctx, runner) as JobsApi & { validate(id: string): Promise<void>; settle(): Promise<void> };
  const { models, predict } = modelsApi(ctx);

  const revalidate: string[] = [];
  for (const job of await ctx.store.listJobs()) {
    if (job.status === 'running' && (opts.run ?? true)) {
      const point = await ctx.store.getResumePoint(job.id);
      await ctx.serial.run(() => setStatus(ctx, job.id, 'queued', () => {}, `its process ended; ${point ? `resumes from step ${point.step}` : 'starts again'}`));
    } else if (job.status === 'validating_files') revalidate.push(job.id);
  }
  for (const id of revalidate) await jobs.validate(id).catch(() => {});
  runner.kick();

  const { validate: _, settle: __, ...publicJobs } = jobs;
  return {
    files: filesApi(ctx),
    fineTuning: { jobs: publicJobs },
    models,
    predict,
    idle: () => runner.idle(),
    async close() {
      await jobs.settle();
      await runner.close();
      await ctx.serial.flush();
      await ctx.engine.dispose?.();
      await ctx.store.close?.();
    },
  };
}
