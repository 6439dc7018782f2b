// Datasets and their examples. A dataset and all its examples are written in one transaction: a crash or a
// full disk leaves the old state or the new one, never half a dataset.
import type { DatasetRecord, ExampleRecord, TabtuneDb } from './db';
import type { SplitName } from '../data/types';

export async function saveDataset(db: TabtuneDb, record: DatasetRecord, examples: { index: number; text: string; label: string; split: SplitName }[]): Promise<void> {
  const rows: ExampleRecord[] = examples.map((e) => ({ datasetHash: record.hash, index: e.index, text: e.text, label: e.label, split: e.split }));
  const tx = db.transaction(['datasets', 'examples'], 'readwrite');
  const ds = tx.objectStore('datasets');
  const ex = tx.objectStore('examples');
  // All requests are queued synchronously; nothing unrelated is awaited inside the transaction.
  const writes: Promise<unknown>[] = [ds.put(record), ...rows.map((r) => ex.put(r))];
  await Promise.all([...writes, tx.done]);
}

export function listDatasets(db: TabtuneDb): Promise<DatasetRecord[]> {
  return db.getAll('datasets');
}

export function getDataset(db: TabtuneDb, hash: string): Promise<DatasetRecord | undefined> {
  return db.get('datasets', hash);
}

export async function getExamples(db: TabtuneDb, hash: string, split?: SplitName): Promise<ExampleRecord[]> {
  const rows = await db.getAllFromIndex('examples', 'datasetHash', hash);
  return split ? rows.filter((r) => r.split === split) : rows;
}

/** Deletes a dataset and its examples; with `withRuns`, also its runs, checkpoints and predictions. One transaction. */
export async function deleteDataset(db: TabtuneDb, hash: string, withRuns = false): Promise<void> {
  const tx = db.transaction(['datasets', 'examples', 'runs', 'checkpoints', 'predictions'], 'readwrite');
  const ops: Promise<unknown>[] = [tx.objectStore('datasets').delete(hash)];
  let cursor = await tx.objectStore('examples').index('datasetHash').openKeyCursor(IDBKeyRange.only(hash));
  while (cursor) {
    ops.push(tx.objectStore('examples').delete(cursor.primaryKey));
    cursor = await cursor.continue();
  }
  if (withRuns) {
    const runIds = await tx.objectStore('runs').index('datasetHash').getAllKeys(IDBKeyRange.only(hash));
    for (const id of runIds) {
      ops.push(tx.objectStore('runs').delete(id));
      for (const store of ['checkpoints', 'predictions'] as const) {
        let c = await tx.objectStore(store).index('runId').openKeyCursor(IDBKeyRange.only(id));
        while (c) {
          ops.push(tx.objectStore(store).delete(c.primaryKey));
          c = await c.continue();
        }
      }
    }
  }
  await Promise.all([...ops, tx.done]);
}
