// Per-example predictions of a run on its dataset's pinned test split: what "fixed" and "broke" are computed from.
import { inTransaction, type PredictionRecord, type TabtuneDb } from './db';

export async function savePredictions(db: TabtuneDb, runId: string, rows: Omit<PredictionRecord, 'runId'>[]): Promise<void> {
  const tx = db.transaction('predictions', 'readwrite');
  await inTransaction(tx, (add) => rows.forEach((r) => add(tx.store.put({ ...r, runId }))));
}

export async function getPredictions(db: TabtuneDb, runId: string): Promise<PredictionRecord[]> {
  const rows = await db.getAllFromIndex('predictions', 'runId', runId);
  return rows.sort((a, b) => a.exampleIndex - b.exampleIndex);
}
