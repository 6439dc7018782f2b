// A finished run lands in one transaction: its results on the run record, its per-example test predictions and,
// for a run that trained elsewhere, its weights. A reload or a full disk never leaves a completed run without the
// predictions its comparisons are computed from.
import type { Checkpoint, Example, TrainResult } from '../domain';
import { inTransaction, type RunRecord, type TabtuneDb } from './db';

export interface FinishedRun {
  /** The id of a run stored when it started (a trained run), or the new record of one stored only now (an
   * imported adapter). */
  run: string | RunRecord;
  result: TrainResult;
  /** The pinned test split the result's predictions are in the order of. */
  test: Example[];
  finished: number;
  /** The page's loss curve, which the worker does not send with the result. */
  lossCurve?: RunRecord['lossCurve'];
  /** Weights that did not arrive as a training checkpoint (an imported adapter). */
  checkpoint?: Checkpoint;
}

export async function recordFinishedRun(db: TabtuneDb, f: FinishedRun): Promise<RunRecord> {
  const { result: r } = f;
  const tx = db.transaction(['runs', 'predictions', 'checkpoints'], 'readwrite');
  let next: RunRecord | undefined;
  await inTransaction(tx, async (add) => {
    const current = typeof f.run === 'string' ? await tx.objectStore('runs').get(f.run) : f.run;
    if (!current) throw new Error(`Run ${f.run} is not stored (was it deleted?).`);
    next = {
      ...current,
      status: 'completed',
      finished: f.finished,
      elapsedMs: r.seconds * 1000,
      step: r.steps,
      before: r.before,
      after: r.after,
      baseline: r.baseline,
      adapterSha256: r.adapterSha256,
      trainableParams: r.trainableParams,
      totalParams: r.totalParams,
      pooling: r.pooling,
      modelType: r.modelType,
      stoppedEarly: r.stoppedEarly,
      forgetting: r.forgetting,
      suites: r.suites,
      ...(f.lossCurve ? { lossCurve: f.lossCurve } : {}),
    };
    // A new run must not replace one stored under the same id; a trained run is its own update.
    add(typeof f.run === 'string' ? tx.objectStore('runs').put(next) : tx.objectStore('runs').add(next));
    if (f.checkpoint) add(tx.objectStore('checkpoints').put({ ...f.checkpoint, runId: r.runId, created: f.finished }));
    const labels = r.after.perClass.map((c) => c.label);
    r.after.predictions.forEach((p, i) =>
      add(tx.objectStore('predictions').put({ runId: r.runId, exampleIndex: i, predicted: p, probs: r.after.probs[i], correct: labels[p] === f.test[i]?.label })),
    );
  });
  return next!;
}
