// Runs: every training run is a version, kept with its settings, metrics and results.
import type { IDBPTransaction } from 'idb';
import { inTransaction, type RunRecord, type TabtuneDb, type TabtuneSchema } from './db';

export type { RunRecord } from './db';

/** What every new run record starts from: its dataset version, model, settings and where it runs. */
export interface NewRun {
  id: string;
  dataset: { hash: string; name?: string; labels: string[] };
  model: { id: string; revision?: string };
  config: RunRecord['config'];
  backend: RunRecord['backend'];
  status: RunRecord['status'];
  now: number;
  notes?: string;
  jobId?: string;
}

export function newRunRecord(r: NewRun): RunRecord {
  return {
    id: r.id,
    datasetHash: r.dataset.hash,
    datasetName: r.dataset.name,
    modelId: r.model.id,
    modelRevision: r.model.revision ?? 'bundled',
    method: r.config.method,
    config: r.config,
    seed: r.config.seed,
    backend: r.backend,
    status: r.status,
    created: r.now,
    started: r.now,
    elapsedMs: 0,
    step: 0,
    totalSteps: 0,
    epochMetrics: [],
    lossCurve: [],
    labels: r.dataset.labels,
    notes: r.notes,
    ...(r.jobId ? { jobId: r.jobId } : {}),
  };
}

export async function createRun(db: TabtuneDb, run: RunRecord): Promise<void> {
  await db.add('runs', run);
}

export function getRun(db: TabtuneDb, id: string): Promise<RunRecord | undefined> {
  return db.get('runs', id);
}

export function listRuns(db: TabtuneDb): Promise<RunRecord[]> {
  return db.getAll('runs');
}

/** Read-modify-write inside one transaction, so two updates never overwrite each other's fields. */
export async function updateRun(db: TabtuneDb, id: string, patch: Partial<RunRecord>): Promise<RunRecord> {
  const tx = db.transaction('runs', 'readwrite');
  let next: RunRecord | undefined;
  await inTransaction(tx, async (add) => {
    const current = await tx.store.get(id);
    if (!current) throw new Error(`Run ${id} is not stored (was it deleted?).`);
    next = { ...current, ...patch, id };
    add(tx.store.put(next));
  });
  return next!;
}

/** A run with its checkpoints and predictions, in one transaction. */
export async function deleteRun(db: TabtuneDb, id: string): Promise<void> {
  const tx = db.transaction(['runs', 'checkpoints', 'predictions'], 'readwrite');
  await inTransaction(tx, (add) => queueRunDeletion(tx, add, id));
}

/** After a reload nothing is training: runs left "running" or "paused" become "interrupted" (resumable). A job's
 * run is left alone: its job resumes by itself (src/jobs/client.ts), and the page mirrors the job's status. */
export async function markInterruptedRuns(db: TabtuneDb): Promise<string[]> {
  const tx = db.transaction('runs', 'readwrite');
  const marked: string[] = [];
  let cursor = await tx.store.openCursor();
  while (cursor) {
    if (!cursor.value.jobId && (cursor.value.status === 'running' || cursor.value.status === 'paused')) {
      marked.push(cursor.value.id);
      await cursor.update({ ...cursor.value, status: 'interrupted' });
    }
    cursor = await cursor.continue();
  }
  await tx.done;
  return marked;
}

/** Queues the deletion of a run and everything keyed by it, inside the caller's transaction. */
export async function queueRunDeletion(
  tx: IDBPTransaction<TabtuneSchema, ('runs' | 'checkpoints' | 'predictions' | 'datasets' | 'examples' | 'suites')[], 'readwrite'>,
  add: (request: Promise<unknown>) => void,
  id: string,
): Promise<void> {
  add(tx.objectStore('runs').delete(id));
  for (const store of ['checkpoints', 'predictions'] as const) {
    let c = await tx.objectStore(store).index('runId').openKeyCursor(IDBKeyRange.only(id));
    while (c) {
      add(tx.objectStore(store).delete(c.primaryKey));
      c = await c.continue();
    }
  }
}
