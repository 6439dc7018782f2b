// Datasets and their examples. A dataset and all its examples are written in one transaction: a crash or a
// full disk leaves the old state or the new one, never half a dataset.
import { queueRunDeletion } from './runs';
import { inTransaction, type DatasetRecord, type ExampleRecord, type TabtuneDb } from './db';
import type { SplitName } from '../domain';

export async function saveDataset(db: TabtuneDb, record: DatasetRecord, examples: { index: number; text: string; label: string; split: SplitName }[]): Promise<void> {
  const rows: ExampleRecord[] = examples.map((e) => ({ datasetHash: record.hash, index: e.index, text: e.text, label: e.label, split: e.split }));
  const tx = db.transaction(['datasets', 'examples'], 'readwrite');
  // All requests are queued at once; nothing unrelated is awaited inside the transaction (it would auto-commit).
  await inTransaction(tx, (add) => {
    add(tx.objectStore('datasets').put(record));
    for (const r of rows) add(tx.objectStore('examples').put(r));
  });
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

/** Deletes a dataset, its examples and evaluation suites; with `withRuns`, also its runs, checkpoints and
 * predictions. One transaction. */
export async function deleteDataset(db: TabtuneDb, hash: string, withRuns = false): Promise<void> {
  const tx = db.transaction(['datasets', 'examples', 'suites', 'runs', 'checkpoints', 'predictions'], 'readwrite');
  await inTransaction(tx, async (add) => {
    add(tx.objectStore('datasets').delete(hash));
    for (const id of await tx.objectStore('suites').index('datasetHash').getAllKeys(IDBKeyRange.only(hash))) add(tx.objectStore('suites').delete(id));
    let cursor = await tx.objectStore('examples').index('datasetHash').openKeyCursor(IDBKeyRange.only(hash));
    while (cursor) {
      add(tx.objectStore('examples').delete(cursor.primaryKey));
      cursor = await cursor.continue();
    }
    if (!withRuns) return;
    const runIds = await tx.objectStore('runs').index('datasetHash').getAllKeys(IDBKeyRange.only(hash));
    for (const id of runIds) await queueRunDeletion(tx, add, id);
  });
}
