// tabtune as a library in Node: the same API as src/index.ts, opened on a folder (default `.tabtune/` in the
// current directory) with the in-process engine on wasm and the bundled models, and file paths accepted.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { openTabtune as openWith, type Tabtune } from './jobs/client';
import type { JobStore } from './jobs/store';
import type { JobEngine } from './jobs/engine';
import { FolderJobStore } from './jobs/node/folder-store';
import { nodeEngine, type NodeEngineOptions } from './jobs/node/engine';
import { folderLock } from './jobs/node/folder-lock';

export * from './index';
export { FolderJobStore } from './jobs/node/folder-store';
export { nodeEngine, BUNDLED_MODELS_DIR, type NodeEngineOptions } from './jobs/node/engine';
export { folderLock } from './jobs/node/folder-lock';

export const DEFAULT_STORE_DIR = '.tabtune';

export interface NodeOpenOptions extends NodeEngineOptions {
  /** A JobStore, or the folder to keep one in (default .tabtune). */
  store?: JobStore | string;
  engine?: JobEngine;
  run?: boolean;
}

export function openTabtune(opts: NodeOpenOptions = {}): Promise<Tabtune> {
  const store = typeof opts.store === 'object' ? opts.store : new FolderJobStore(resolve(opts.store ?? DEFAULT_STORE_DIR));
  // A folder can be opened by other processes (and other clients in this one): one of them runs its queue.
  const shared = store instanceof FolderJobStore ? { queueLock: folderLock(store.dir), sharedName: store.dir } : {};
  return openWith({ store, engine: opts.engine ?? nodeEngine(opts), run: opts.run, readPath: (p) => readFile(p, 'utf8'), ...shared });
}
