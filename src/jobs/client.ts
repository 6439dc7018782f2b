// The client: `openTabtune({ store, engine })` gives the hosted services' fine-tuning API over a local store and
// engine. Opening a store picks up where the last client left it: jobs still validating are validated again, a
// job left `running` (its process ended) goes back to the queue and resumes from its last checkpoint. Where other
// clients may open the same store (tabs, processes), only the holder of its queue lock does that and runs jobs;
// the others record, read and steer jobs, and take the queue over when the holder goes.
import type { JobEngine } from './engine';
import type { JobStore } from './store';
import { makeContext } from './context';
import { filesApi, type FilesApi } from './files-api';
import { jobsApi, type JobsApi } from './jobs-api';
import { modelsApi, type ModelsApi, type PredictParams } from './models-api';
import { Runner } from './runner';
import { openBus, silentBus } from './bus';
import { relayEvents } from './event-relay';
import { QueueLockHolder, soleClient, type QueueLock } from './queue-lock';
import { SpillingStore, type PendingWrite } from './spill-store';
import type { Prediction } from './types';

export interface OpenOptions {
  store: JobStore;
  engine: JobEngine;
  /** Run queued jobs in this client (default true). False: only record and read jobs (another client runs them). */
  run?: boolean;
  /** Reads a file given to files.create as a path; Node's openTabtune supplies it. */
  readPath?: (path: string) => Promise<string>;
  /** Where other clients may open the same store: the lock that makes one of them at a time run its queue
   * (`navigator.locks` in the page, node/folder-lock.ts for a folder). Without it the store is this client's alone. */
  queueLock?: QueueLock;
  /** Names the store for its lock and for the channel that carries events and stops between its clients
   * (the database's name, the folder's path); default `tabtune`. */
  sharedName?: string;
}

export interface Tabtune {
  files: FilesApi;
  fineTuning: { jobs: JobsApi };
  models: ModelsApi;
  predict(params: PredictParams): Promise<Prediction>;
  /** Resolves when the queue is empty and nothing runs (at once in a client that does not hold the queue). */
  idle(): Promise<void>;
  /** Writes the store refused for lack of space, kept in memory in order until it takes them (see spill-store.ts). */
  storage: {
    pending(): PendingWrite[];
    /** Tries them again now (every later write does too); what is still pending when the client closes is lost. */
    retry(): Promise<{ saved: number; pending: number }>;
  };
  /** Whether this client runs the store's queue now (another client on the store may). */
  runsQueue(): boolean;
  /** Stops the queue; a running job stops at its next step and resumes from its last checkpoint next time. */
  close(): Promise<void>;
}

export async function openTabtune(opts: OpenOptions): Promise<Tabtune> {
  const shared = opts.queueLock !== undefined;
  const name = opts.sharedName ?? 'tabtune';
  const bus = shared ? openBus(name) : silentBus;
  const store = new SpillingStore(opts.store);
  const ctx = makeContext(store, opts.engine, { readPath: opts.readPath, bus, shared });
  // Said in the job's own log, so whoever follows the job learns of it; the first of these is itself kept.
  store.onKept = (id) =>
    void ctx.serial.run(() => ctx.log.append(id, 'warn', 'warning', "The disk is full: this job's progress is kept in memory until there is space (free some, then storage.retry()); closing the client now would lose it.", { kind: 'storage_full' })).catch(() => {});
  store.onSaved = (id, writes) =>
    void ctx.serial.run(() => ctx.log.append(id, 'warn', 'warning', `There is space again: the ${writes} writes of this job kept in memory are saved.`, { kind: 'storage_saved', writes })).catch(() => {});
  const stopRelay = shared ? relayEvents(ctx.log, bus, ctx.store, 1000) : () => {};
  const willRun = opts.run ?? true;
  const runner = new Runner(ctx, willRun);
  const jobs = jobsApi(ctx, runner) as JobsApi & { validate(id: string): Promise<void>; settle(): Promise<void> };
  const { models, predict } = modelsApi(ctx);

  // Only the queue's holder picks up what a previous client left unfinished: two clients doing it would queue a
  // job twice, or queue one that the other is running.
  const queue = new QueueLockHolder(opts.queueLock ?? soleClient, `tabtune-queue:${name}`, async () => {
    const revalidate = (await ctx.store.listJobs()).filter((j) => j.status === 'validating_files').map((j) => j.id);
    await runner.takeQueue();
    for (const id of revalidate) await jobs.validate(id).catch(() => {});
  });
  if (willRun) await queue.start();

  const { validate: _, settle: __, ...publicJobs } = jobs;
  return {
    files: filesApi(ctx),
    fineTuning: { jobs: publicJobs },
    models,
    predict,
    idle: () => runner.idle(),
    storage: { pending: () => store.pending(), retry: () => store.retry() },
    runsQueue: () => queue.held,
    async close() {
      await jobs.settle();
      await runner.close();
      await ctx.serial.flush();
      if (store.pending().length) await store.retry().catch(() => {});
      await queue.release();
      stopRelay();
      bus.close();
      await ctx.engine.dispose?.();
      await ctx.store.close?.();
    },
  };
}
