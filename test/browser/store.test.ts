// The IndexedDB store in a real browser: schema, atomic writes, cascades, interrupted runs, a full disk.
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import { openTabtuneDb, type RunRecord, type TabtuneDb } from '../../src/store/db';
import type { Checkpoint } from '../../src/domain';
import { saveDataset, getExamples, getDataset, deleteDataset } from '../../src/store/datasets';
import { createRun, updateRun, listRuns, deleteRun, markInterruptedRuns, getRun } from '../../src/store/runs';
import { saveCheckpoint, latestCheckpoint, listCheckpoints, pruneCheckpoints } from '../../src/store/checkpoints';
import { savePredictions, getPredictions } from '../../src/store/predictions';
import { PendingWrites } from '../../src/store/pending';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';

let db: TabtuneDb;
let name: string;
async function fresh() {
  name = `tabtune-test-${Math.random().toString(36).slice(2)}`;
  db = await openTabtuneDb(name);
  return db;
}
afterEach(async () => {
  db?.close();
  await deleteDB(name);
});

const dataset = (hash = 'h1') => ({
  hash,
  name: 'demo',
  sourceFile: 'demo.jsonl',
  format: 'chat-jsonl',
  labels: ['a', 'b'],
  countsPerLabel: { a: 2, b: 1 },
  total: 3,
  splitSeed: 0,
  splitCounts: { train: 1, validation: 1, test: 1 },
  created: Date.now(),
});
const rows = [
  { index: 0, text: 'x', label: 'a', split: 'train' as const },
  { index: 1, text: 'y', label: 'b', split: 'validation' as const },
  { index: 2, text: 'z', label: 'a', split: 'test' as const },
];
const run = (id: string, over: Partial<RunRecord> = {}): RunRecord => ({
  id,
  datasetHash: 'h1',
  modelId: 'tiny-bert',
  modelRevision: 'bundled',
  method: 'lora',
  config: DEFAULT_TRAIN_CONFIG,
  seed: 0,
  backend: 'wasm',
  status: 'running',
  created: Date.now(),
  elapsedMs: 0,
  step: 0,
  totalSteps: 10,
  epochMetrics: [],
  lossCurve: [],
  labels: ['a', 'b'],
  ...over,
});
const ckpt = (step: number, valLoss?: number): Checkpoint => ({ step, epoch: 0, batchIndex: step, adapter: new Uint8Array([step]).buffer, optimizer: new ArrayBuffer(4), valLoss });

describe('the store', () => {
  it('creates every object store with its indexes', async () => {
    await fresh();
    expect([...db.objectStoreNames].sort()).toEqual([
      'checkpoints', 'datasets', 'examples', 'jobCheckpoints', 'jobEvents', 'jobFileExamples', 'jobFiles', 'jobResults', 'jobResumePoints', 'jobs',
      'predictions', 'runs', 'suites', 'tunedModelWeights', 'tunedModels',
    ]);
    const tx = db.transaction('runs');
    expect([...tx.store.indexNames].sort()).toEqual(['created', 'datasetHash']);
  });

  it('saves a dataset with its examples in one transaction, or nothing at all', async () => {
    await fresh();
    await saveDataset(db, dataset(), rows);
    expect((await getExamples(db, 'h1', 'test')).map((r) => r.text)).toEqual(['z']);
    // A row with an invalid key fails the whole save: neither the record nor the rows before it are stored.
    const bad = [...rows, { index: NaN, text: 'w', label: 'b', split: 'train' as const }];
    await expect(saveDataset(db, dataset('h2'), bad)).rejects.toThrow();
    expect(await getDataset(db, 'h2')).toBeUndefined();
    expect(await getExamples(db, 'h2')).toEqual([]);
  });

  it('updates runs field by field, and deletes a run with its checkpoints and predictions', async () => {
    await fresh();
    await createRun(db, run('r1'));
    await updateRun(db, 'r1', { step: 4 });
    await updateRun(db, 'r1', { status: 'completed' });
    expect(await getRun(db, 'r1')).toMatchObject({ step: 4, status: 'completed' });
    await saveCheckpoint(db, 'r1', ckpt(5), { lossCurve: [{ step: 5, loss: 0.5 }], epochMetrics: [], elapsedMs: 50 });
    expect(await getRun(db, 'r1')).toMatchObject({ step: 5, lossCurve: [{ step: 5, loss: 0.5 }], elapsedMs: 50 });
    await savePredictions(db, 'r1', [{ exampleIndex: 0, predicted: 1, probs: [0.2, 0.8], correct: false }]);
    expect((await getRun(db, 'r1'))!.step).toBe(5);
    await deleteRun(db, 'r1');
    expect(await listRuns(db)).toEqual([]);
    expect(await listCheckpoints(db, 'r1')).toEqual([]);
    expect(await getPredictions(db, 'r1')).toEqual([]);
  });

  it('marks runs left running by a closed tab as interrupted, keeping their checkpoints', async () => {
    await fresh();
    await createRun(db, run('live'));
    await createRun(db, run('done', { status: 'completed' }));
    await saveCheckpoint(db, 'live', ckpt(10));
    await saveCheckpoint(db, 'live', ckpt(20));
    expect(await markInterruptedRuns(db)).toEqual(['live']);
    expect((await getRun(db, 'live'))!.status).toBe('interrupted');
    expect((await getRun(db, 'done'))!.status).toBe('completed');
    expect((await latestCheckpoint(db, 'live'))!.step).toBe(20);
  });

  it('prunes checkpoints to the best and the latest', async () => {
    await fresh();
    await createRun(db, run('p'));
    for (const [s, v] of [[1, 0.9], [2, 0.5], [3, 0.7], [4, 0.8]]) await saveCheckpoint(db, 'p', ckpt(s, v));
    expect(await pruneCheckpoints(db, 'p')).toBe(2);
    expect((await listCheckpoints(db, 'p')).map((c) => c.step)).toEqual([2, 4]);
  });

  it('deletes a dataset with its examples, and its runs only when asked', async () => {
    await fresh();
    await saveDataset(db, dataset(), rows);
    await createRun(db, run('keep'));
    await deleteDataset(db, 'h1');
    expect(await getExamples(db, 'h1')).toEqual([]);
    expect(await getRun(db, 'keep')).toBeDefined();
    await saveDataset(db, dataset(), rows);
    await deleteDataset(db, 'h1', true);
    expect(await getRun(db, 'keep')).toBeUndefined();
  });

  it('loses nothing when the disk is full: the failed write waits in memory and lands after space is freed', async () => {
    await fresh();
    await createRun(db, run('q'));
    const pending = new PendingWrites();
    const realPut = IDBObjectStore.prototype.put;
    let puts = 0;
    let full = true;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      puts += 1;
      if (full && puts === 5) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realPut.apply(this, args);
    } as IDBObjectStore['put'];
    try {
      expect(await pending.run('c1', () => saveCheckpoint(db, 'q', ckpt(1)))).toBe(true); // puts 1-2
      expect(await pending.run('c2', () => saveCheckpoint(db, 'q', ckpt(2)))).toBe(true); // puts 3-4
      expect(await pending.run('c3', () => saveCheckpoint(db, 'q', ckpt(3)))).toBe(false); // put 5 fails
      expect(pending.size).toBe(1);
      // What was stored before is intact, and the failed transaction left no half-write.
      expect((await listCheckpoints(db, 'q')).map((c) => c.step)).toEqual([1, 2]);
      expect((await getRun(db, 'q'))!.step).toBe(2);
      full = false;
      expect(await pending.flush()).toBe(1);
      expect((await listCheckpoints(db, 'q')).map((c) => c.step)).toEqual([1, 2, 3]);
      expect((await getRun(db, 'q'))!.step).toBe(3);
    } finally {
      IDBObjectStore.prototype.put = realPut;
    }
  });
});

describe('backup archive', () => {
  it('exports everything to one zip and imports it back equal; refuses a newer schema', async () => {
    const { exportArchive, importArchive } = await import('../../src/store/archive');
    const { zipSync, strToU8 } = await import('fflate');
    await fresh();
    await saveDataset(db, dataset(), rows);
    await createRun(db, run('a1', { status: 'completed' }));
    await saveCheckpoint(db, 'a1', { ...ckpt(7, 0.3), epoch: 2, batchIndex: 3, adapter: new Uint8Array([7, 1, 2, 3]).buffer, optimizer: new Float32Array([0.5, -1.25, 3e-8]).buffer });
    await savePredictions(db, 'a1', [{ exampleIndex: 2, predicted: 0, probs: [0.7, 0.3], correct: true }]);
    const { addSuite, listSuites } = await import('../../src/store/suites');
    await addSuite(db, { id: 's1', datasetHash: 'h1', name: 'hard', sourceFile: 'hard.csv', created: 5, examples: [{ text: 'x', label: 'a' }] });
    const zip = await exportArchive(db);
    const before = { runs: await listRuns(db), ex: await getExamples(db, 'h1'), ck: await listCheckpoints(db, 'a1'), suites: await listSuites(db, 'h1'), preds: await getPredictions(db, 'a1'), ds: await getDataset(db, 'h1') };
    db.close();
    await deleteDB(name);
    db = await openTabtuneDb(name);
    const noJobs = { jobFiles: 0, jobFileExamples: 0, jobs: 0, jobEvents: 0, jobCheckpoints: 0, jobResumePoints: 0, jobResults: 0, tunedModels: 0, tunedModelWeights: 0 };
    expect(await importArchive(db, zip)).toEqual({ datasets: 1, examples: 3, runs: 1, checkpoints: 1, predictions: 1, suites: 1, ...noJobs });
    expect(await listRuns(db)).toEqual(before.runs);
    expect(await listSuites(db, 'h1')).toEqual(before.suites);
    expect(await getExamples(db, 'h1')).toEqual(before.ex);
    // Whole records back: every field of the checkpoint (step, epoch, position, loss, both byte payloads), the
    // predictions and the dataset record, not just the adapter bytes.
    const ck = await listCheckpoints(db, 'a1');
    expect(ck).toHaveLength(1);
    const bytes = (b: ArrayBuffer) => Array.from(new Uint8Array(b));
    const { adapter, optimizer, ...fields } = ck[0];
    const { adapter: adapter0, optimizer: optimizer0, ...fields0 } = before.ck[0];
    expect(fields).toEqual(fields0);
    expect(fields).toMatchObject({ step: 7, epoch: 2, batchIndex: 3, valLoss: 0.3 });
    expect(bytes(adapter)).toEqual(bytes(adapter0));
    expect(bytes(optimizer)).toEqual(bytes(optimizer0));
    expect(Array.from(new Float32Array(optimizer))).toEqual([0.5, -1.25, Math.fround(3e-8)]);
    expect(await getPredictions(db, 'a1')).toEqual(before.preds);
    expect(before.preds).toHaveLength(1);
    expect(await getDataset(db, 'h1')).toEqual(before.ds);
    // Importing again without overwrite skips what is there.
    expect(await importArchive(db, zip)).toEqual({ datasets: 0, examples: 0, runs: 0, checkpoints: 0, predictions: 0, suites: 0, ...noJobs });
    const newer = zipSync({ 'manifest.json': strToU8(JSON.stringify({ format: 'tabtune-archive', schemaVersion: 99, created: '', counts: {} })) });
    await expect(importArchive(db, newer)).rejects.toThrow('This archive was made by a newer tabtune (schema 99; this one reads up to 3).');
  });
});
