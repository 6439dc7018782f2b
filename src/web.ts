// tabtune as a library in the page: the same API as src/index.ts, opened on the app's IndexedDB database (jobs,
// checkpoints and tuned models survive a reload) with the training worker as the engine, so training never blocks
// the page. This module is the composition root: jobs/ knows only the engine's port, not the page's WorkerClient.
import { openTabtune as openWith, type Tabtune } from './jobs/client';
import type { JobStore } from './jobs/store';
import type { JobEngine } from './jobs/engine';
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
}

export async function openTabtune(opts: WebOpenOptions = {}): Promise<Tabtune> {
  const { store: where, engine: given, run, ...engineOpts } = opts;
  const store = typeof where === 'object' ? where : await IdbJobStore.open(where ?? DEFAULT_DB_NAME);
  const engine = given ?? workerEngine({ ...engineOpts, worker: new WorkerClient(), ownsWorker: true });
  return openWith({ store, engine, run });
}
