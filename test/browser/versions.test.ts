// The promotion gate refuses a run that regresses against the promoted version, and names what broke.
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import { openTabtuneDb, type RunRecord, type TabtuneDb } from '../../src/store/db';
import { saveDataset } from '../../src/store/datasets';
import { createRun, getRun } from '../../src/store/runs';
import { promote, changeLog } from '../../src/store/versions';
import { addSuite, checkSuite, deleteSuite, listSuites } from '../../src/store/suites';
import { deleteDataset } from '../../src/store/datasets';
import type { SuiteEvaluation } from '../../src/domain';
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

describe('user-added evaluation suites', () => {
  const suiteTruth = [0, 0, 1, 1];
  const suiteExamples = suiteTruth.map((t, i) => ({ text: `suite text ${i}`, label: labels[t] }));
  function onSuite(preds: number[]): SuiteEvaluation {
    const e = evaluate(suiteTruth, preds, labels);
    const summary = { ...e, predictions: preds, probs: preds.map((p) => (p ? [0.1, 0.9] : [0.9, 0.1])) };
    return { suiteId: 's1', name: 'hard cases', before: summary, after: summary };
  }

  it('a run better on the test split but worse on a user suite is refused, naming the suite and its broken examples', async () => {
    db = await openTabtuneDb(name);
    await saveDataset(
      db,
      { hash: 'd1', name: 'd', sourceFile: 'd', format: 'generated', labels, countsPerLabel: { a: 5, b: 5 }, total: 10, splitSeed: 0, splitCounts: { train: 0, validation: 0, test: 10 }, created: 0 },
      truth.map((t, i) => ({ index: i, text: `text ${i}`, label: labels[t], split: 'test' as const })),
    );
    await addSuite(db, { id: 's1', datasetHash: 'd1', name: 'hard cases', sourceFile: 'hard.csv', created: 1, examples: suiteExamples });
    expect((await listSuites(db, 'd1')).map((s) => s.name)).toEqual(['hard cases']);
    await createRun(db, { ...run('v1', [0, 1, 0, 1, 0, 1, 0, 1, 1, 0], 1e-3), suites: [onSuite([0, 0, 1, 1])] }); // test 8/10, suite 4/4
    await createRun(db, { ...run('v2', [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 5e-4), suites: [onSuite([0, 1, 1, 0])] }); // test 10/10, suite 2/4
    await createRun(db, run('unscored', [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 5e-4)); // never scored on the suite
    expect((await promote(db, 'v1', 0.01)).ok).toBe(true);
    const refused = await promote(db, 'v2', 0.01);
    expect(refused.ok).toBe(false);
    expect(refused.regressions.map((r) => [r.suite, r.metric, r.promoted, r.candidate, r.broken])).toEqual([
      ['suite "hard cases"', 'accuracy', 1, 0.5, [1, 3]],
      ['suite "hard cases"', 'macroF1', 1, 0.5, [1, 3]],
    ]);
    const missing = await promote(db, 'unscored', 0.01);
    expect(missing.ok).toBe(false);
    expect(missing.missing).toEqual(['suite "hard cases"']);
    // The change log reports each suite's movement between promoted versions.
    await createRun(db, { ...run('v3', [0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 2e-4), suites: [onSuite([0, 0, 1, 1])] });
    expect((await promote(db, 'v3', 0.01)).ok).toBe(true);
    const log = await changeLog(db, 'd1');
    expect(log[1].changes).toContain('suite "hard cases": accuracy 100.0 → 100.0 %, fixed 0, broke 0');
    expect(log[1].changes).toContain('fixed 2 test examples, broke 0');
    // Deleting the dataset takes its suites with it, in the same transaction.
    await deleteSuite(db, 'nope');
    await deleteDataset(db, 'd1', true);
    expect(await listSuites(db, 'd1')).toEqual([]);
  });

  it('checks a suite file against the dataset: unknown labels by line, training overlap and missing labels as warnings', () => {
    const examples = [
      { text: 'text 1', label: 'a' },
      { text: 'new one', label: 'c' },
      { text: 'another', label: 'a' },
    ];
    const check = checkSuite('hard.csv', examples, [2, 3, 5], ['a', 'b'], ['Text  1', 'other']);
    expect(check.errors).toEqual([{ file: 'hard.csv', line: 3, field: 'label', message: 'label "c" is not one of this dataset\'s labels (a, b); the model has no output for it.' }]);
    expect(check.warnings).toEqual([
      '1 of 3 examples also appear in the training split: a model scores well on them by memory, so they say little about new texts.',
      'No examples of "b": this suite cannot tell whether those labels regress.',
    ]);
  });
});
