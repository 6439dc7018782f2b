// The promotion gate refuses a run that regresses against the promoted version, and names what broke.
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import { openTabtuneDb, type RunRecord, type TabtuneDb } from '../../src/store/db';
import { saveDataset } from '../../src/store/datasets';
import { createRun, getRun } from '../../src/store/runs';
import { promote, changeLog } from '../../src/store/versions';
import { evaluate } from '../../src/train/metrics';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';

let db: TabtuneDb;
const name = `tabtune-versions-${Date.now()}`;
afterEach(async () => {
  db?.close();
  await deleteDB(name);
});

const labels = ['a', 'b'];
const truth = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
function run(id: string, preds: number[], lr: number): RunRecord {
  const e = evaluate(truth, preds, labels);
  const summary = { ...e, predictions: preds, probs: preds.map((p) => (p ? [0.1, 0.9] : [0.9, 0.1])) };
  return {
    id, datasetHash: 'd1', modelId: 'tiny-bert', modelRevision: 'bundled', method: 'lora', config: { ...DEFAULT_TRAIN_CONFIG, lr }, seed: 0, backend: 'wasm',
    status: 'completed', created: Date.now(), elapsedMs: 1, step: 1, totalSteps: 1, epochMetrics: [], lossCurve: [], labels, before: summary, after: summary,
  };
}

describe('promotion gate', () => {
  it('promotes an improvement, refuses a regression naming the suite and broken examples, and logs the changes', async () => {
    db = await openTabtuneDb(name);
    await saveDataset(
      db,
      { hash: 'd1', name: 'd', sourceFile: 'd', format: 'generated', labels, countsPerLabel: { a: 5, b: 5 }, total: 10, splitSeed: 0, splitCounts: { train: 0, validation: 0, test: 10 }, created: 0 },
      truth.map((t, i) => ({ index: i, text: `text ${i}`, label: labels[t], split: 'test' as const })),
    );
    await createRun(db, run('v1', [0, 1, 0, 1, 0, 1, 0, 1, 1, 0], 1e-3)); // 8/10
    await createRun(db, run('v2', [0, 1, 0, 1, 0, 1, 0, 1, 0, 0], 5e-4)); // 9/10: fixes example 8
    await createRun(db, run('bad', [1, 1, 0, 1, 0, 1, 1, 1, 0, 1], 5e-2)); // 8/10 vs 9/10: breaks 0 and 6
    expect((await promote(db, 'v1', 0.01)).ok).toBe(true);
    expect((await promote(db, 'v2', 0.01)).ok).toBe(true);
    const refused = await promote(db, 'bad', 0.01);
    expect(refused.ok).toBe(false);
    expect(refused.against?.id).toBe('v2');
    expect(refused.regressions[0]).toMatchObject({ suite: 'test split', metric: 'accuracy', promoted: 0.9, candidate: 0.8, broken: [0, 6] });
    expect((await getRun(db, 'bad'))!.promoted).toBeUndefined();
    const log = await changeLog(db, 'd1');
    expect(log.map((e) => e.summary)).toEqual(['v1: 80.0 % accuracy', 'v2: 90.0 % accuracy']);
    expect(log[1].changes).toEqual(['lr 0.001 → 0.0005', 'accuracy 80.0 → 90.0 %, macro-F1 80.0 → 89.9 %', 'fixed 1 test example, broke 0']);
  });
});
