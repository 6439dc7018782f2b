// tabtune as a library in the page: the same API as src/index.ts, opened on the app's IndexedDB database (jobs,
// checkpoints and tuned models survive a reload) with the training worker as the engine, so training never blocks
// the page. This module is the composition root: jobs/ knows only the engine's port, not the page's WorkerClient.
import { openTabtune as openWith, type Tabtune } from './jobs/client';
import type { JobStore } from './jobs/store';
import type { JobEngine } from './jobs/engine';
import type { QueueLock } from './jobs/queue-lock';
import { IdbJobStore } from './jobs/web/idb-store';
import { workerEngine, type WorkerEngineOptions } from './jobs/web/worker-engine';
import { WorkerClient } from './ui/worker-client';

export * from './index';
export { IdbJobStore } from './jobs/web/idb-store';
export { workerEngine, type TrainWorkerPort, type WorkerEngineOptions } from './jobs/web/worker-engine';

export const DEFAULT_DB_NAME = 'tabtune';

export interface WebOpenOptions extends Omit<WorkerEngineOptions, 'worker' | 'ownsWorker'> {
  /** A JobStore, or the IndexedDB database to keep one in (default the app's, `tabtune`). */
  store?: JobStore | string;
  /** Default: the worker engine on a training worker of its own, ended by close(). */
  engine?: JobEngine;
  run?: boolean;
  /** With a JobStore that other tabs open too: the name its queue lock and channel go by (by default a store
   * given as an object is taken to be this client's alone; one given by its database name is shared). */
  sharedName?: string;
}

export async function openTabtune(opts: WebOpenOptions = {}): Promise<Tabtune> {
  const { store: where, engine: given, run, sharedName, ...engineOpts } = opts;
  const store = typeof where === 'object' ? where : await IdbJobStore.open(where ?? DEFAULT_DB_NAME);
  const engine = given ?? workerEngine({ ...engineOpts, worker: new WorkerClient(), ownsWorker: true });
  // Every tab on the database opens a client; the Web Lock named after it lets one run the queue at a time, and
  // the browser lets go of it when that tab closes.
  const name = typeof where === 'object' ? sharedName : (where ?? DEFAULT_DB_NAME);
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  const shared = name !== undefined && locks ? { queueLock: locks as QueueLock, sharedName: name } : {};
  return openWith({ store, engine, run, ...shared });
}
