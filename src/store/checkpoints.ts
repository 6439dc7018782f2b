// Checkpoints: the trainable weights and optimizer state at a step, enough to resume or to use the model.
import type { Checkpoint } from '../domain';
import { inTransaction, type CheckpointRecord, type RunRecord, type TabtuneDb } from './db';

/** What the page knows of a run's progress when a checkpoint arrives; stored with it. */
export type RunProgress = Pick<RunRecord, 'lossCurve' | 'epochMetrics' | 'elapsedMs'>;

/**
 * Stores a checkpoint and its run's progress in one transaction: a reload never finds a run whose step, curves
 * and checkpoints disagree. The run's step only moves forward.
 */
export async function saveCheckpoint(db: TabtuneDb, runId: string, checkpoint: Checkpoint, progress?: RunProgress): Promise<void> {
  const tx = db.transaction(['checkpoints', 'runs'], 'readwrite');
  await inTransaction(tx, async (add) => {
    const run = await tx.objectStore('runs').get(runId);
    add(tx.objectStore('checkpoints').put({ ...checkpoint, runId, created: Date.now() } satisfies CheckpointRecord));
    if (run) add(tx.objectStore('runs').put({ ...run, ...progress, step: Math.max(run.step, checkpoint.step) }));
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
