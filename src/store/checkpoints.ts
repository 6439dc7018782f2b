// Checkpoints: the trainable weights and optimizer state at a step, enough to resume or to use the model.
import { inTransaction, type CheckpointRecord, type TabtuneDb } from './db';

/** Stores a checkpoint and moves the run's step forward in the same transaction. */
export async function saveCheckpoint(db: TabtuneDb, ckpt: CheckpointRecord): Promise<void> {
  const tx = db.transaction(['checkpoints', 'runs'], 'readwrite');
  await inTransaction(tx, async (add) => {
    const run = await tx.objectStore('runs').get(ckpt.runId);
    add(tx.objectStore('checkpoints').put(ckpt));
    if (run) add(tx.objectStore('runs').put({ ...run, step: Math.max(run.step, ckpt.step) }));
  });
}

export async function listCheckpoints(db: TabtuneDb, runId: string): Promise<CheckpointRecord[]> {
  const rows = await db.getAllFromIndex('checkpoints', 'runId', runId);
  return rows.sort((a, b) => a.step - b.step);
}

export async function latestCheckpoint(db: TabtuneDb, runId: string): Promise<CheckpointRecord | undefined> {
  const rows = await listCheckpoints(db, runId);
  return rows[rows.length - 1];
}

/** Keeps the latest checkpoint and the one with the lowest validation loss; deletes the rest. */
export async function pruneCheckpoints(db: TabtuneDb, runId: string): Promise<number> {
  const rows = await listCheckpoints(db, runId);
  if (rows.length <= 2) return 0;
  const last = rows[rows.length - 1];
  const withVal = rows.filter((r) => r.valLoss !== undefined);
  const best = withVal.length ? withVal.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a)) : last;
  const doomed = rows.filter((r) => r !== last && r !== best);
  const tx = db.transaction('checkpoints', 'readwrite');
  await inTransaction(tx, (add) => doomed.forEach((r) => add(tx.store.delete([r.runId, r.step]))));
  return doomed.length;
}
