// Schema upgrades in a real browser: a database a user made with an older tabtune opens in this one with every
// record intact and the newest stores and indexes in place. Upgrades are numbered steps, each run once, in order,
// from the version found on disk.
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDB, openDB, type IDBPDatabase } from 'idb';
import { DB_VERSION, MIGRATIONS, migrate, openTabtuneDb, type Migration, type RunRecord, type TabtuneDb, type TabtuneSchema } from '../../src/store/db';
import { deleteDataset, getDataset, getExamples, listDatasets } from '../../src/store/datasets';
import { getRun, listRuns } from '../../src/store/runs';
import { latestCheckpoint } from '../../src/store/checkpoints';
import { getPredictions } from '../../src/store/predictions';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';
import { addSuite, listSuites } from '../../src/store/suites';
import { IdbJobStore } from '../../src/jobs/web/idb-store';
import type { FileObject } from '../../src/jobs/types';

/**
 * Version 1 exactly as it shipped, frozen here: users' version-1 databases look like this whatever later
 * code says, so upgrades are tested from the real thing (and MIGRATIONS[0] must keep making it).
 */
function shippedVersion1(db: IDBPDatabase<unknown>) {
  db.createObjectStore('datasets', { keyPath: 'hash' }).createIndex('created', 'created');
  db.createObjectStore('examples', { keyPath: ['datasetHash', 'index'] }).createIndex('datasetHash', 'datasetHash');
  const runs = db.createObjectStore('runs', { keyPath: 'id' });
  runs.createIndex('datasetHash', 'datasetHash');
  runs.createIndex('created', 'created');
  db.createObjectStore('checkpoints', { keyPath: ['runId', 'step'] }).createIndex('runId', 'runId');
  db.createObjectStore('predictions', { keyPath: ['runId', 'exampleIndex'] }).createIndex('runId', 'runId');
}

/** Version 2 as it shipped: version 1 and the evaluation suites' store. */
function shippedVersion2(db: IDBPDatabase<unknown>, oldVersion: number) {
  if (oldVersion < 1) shippedVersion1(db);
  db.createObjectStore('suites', { keyPath: 'id' }).createIndex('datasetHash', 'datasetHash');
}

/** Every store with its key path and indexes: what "the schema" is, read back from the browser. */
function shape(db: IDBPDatabase<unknown>) {
  const names = [...db.objectStoreNames].sort();
  if (!names.length) return {};
  const tx = db.transaction(names);
  const out: Record<string, { keyPath: unknown; autoIncrement: boolean; indexes: Record<string, unknown> }> = {};
  for (const n of names) {
    const s = tx.objectStore(n);
    const indexes: Record<string, unknown> = {};
    for (const i of [...s.indexNames].sort()) {
      const idx = s.index(i);
      indexes[i] = { keyPath: idx.keyPath, unique: idx.unique, multiEntry: idx.multiEntry };
    }
    out[n] = { keyPath: s.keyPath, autoIncrement: s.autoIncrement, indexes };
  }
  return out;
}

const names: string[] = [];
const opened: IDBPDatabase<unknown>[] = [];
function newName() {
  const n = `tabtune-upgrade-${Math.random().toString(36).slice(2)}`;
  names.push(n);
  return n;
}
function keep<T extends IDBPDatabase<unknown> | TabtuneDb>(db: T): T {
  opened.push(db as IDBPDatabase<unknown>);
  return db;
}
afterEach(async () => {
  for (const db of opened.splice(0)) db.close();
  for (const n of names.splice(0)) await deleteDB(n);
});

const dataset = {
  hash: 'h-v1',
  name: 'emails',
  sourceFile: 'mail.jsonl',
  format: 'chat-jsonl',
  instruction: 'Classify the email.',
  labels: ['order', 'spam'],
  countsPerLabel: { order: 2, spam: 1 },
  total: 3,
  splitSeed: 7,
  splitCounts: { train: 1, validation: 1, test: 1 },
  created: 1_700_000_000_000,
};
const examples = [
  { datasetHash: 'h-v1', index: 0, text: 'Where is my parcel?', label: 'order', split: 'train' as const },
  { datasetHash: 'h-v1', index: 1, text: 'You won a prize', label: 'spam', split: 'validation' as const },
  { datasetHash: 'h-v1', index: 2, text: 'Order 42 is late', label: 'order', split: 'test' as const },
];
const run: RunRecord = {
  id: 'run-v1',
  datasetHash: 'h-v1',
  modelId: 'tiny-bert',
  modelRevision: 'bundled',
  method: 'lora',
  config: DEFAULT_TRAIN_CONFIG,
  seed: 3,
  backend: 'wasm',
  status: 'completed',
  created: 1_700_000_001_000,
  elapsedMs: 1234,
  step: 20,
  totalSteps: 20,
  epochMetrics: [{ epoch: 1, step: 20, trainLoss: 0.5, valLoss: 0.6, valAccuracy: 0.75 }],
  lossCurve: [{ step: 10, loss: 0.9 }, { step: 20, loss: 0.5 }],
  labels: ['order', 'spam'],
};
const checkpoint = { runId: 'run-v1', step: 20, epoch: 1, batchIndex: 0, created: 1_700_000_002_000, adapter: new Uint8Array([1, 2, 3, 4]).buffer, optimizer: new Uint8Array([9, 8]).buffer, valLoss: 0.6 };
const predictions = [
  { runId: 'run-v1', exampleIndex: 2, predicted: 0, probs: [0.8, 0.2], correct: true },
  { runId: 'run-v1', exampleIndex: 1, predicted: 0, probs: [0.6, 0.4], correct: false },
];

/** Writes one record of each kind with the raw idb calls an older tabtune would have made. */
async function fillVersion1(db: IDBPDatabase<unknown>) {
  const tx = db.transaction(['datasets', 'examples', 'runs', 'checkpoints', 'predictions'], 'readwrite');
  await Promise.all([
    tx.objectStore('datasets').put(dataset),
    ...examples.map((e) => tx.objectStore('examples').put(e)),
    tx.objectStore('runs').put(run),
    tx.objectStore('checkpoints').put(checkpoint),
    ...predictions.map((p) => tx.objectStore('predictions').put(p)),
    tx.done,
  ]);
}

/** Reads everything back through the app's own store functions and indexes. */
async function expectVersion1Data(db: TabtuneDb) {
  expect(await listDatasets(db)).toEqual([dataset]);
  expect(await getDataset(db, 'h-v1')).toEqual(dataset);
  expect(await getExamples(db, 'h-v1')).toEqual(examples);
  expect((await getExamples(db, 'h-v1', 'test')).map((e) => e.text)).toEqual(['Order 42 is late']);
  expect(await getRun(db, 'run-v1')).toEqual(run);
  expect(await listRuns(db)).toEqual([run]);
  expect(await db.getAllFromIndex('runs', 'datasetHash', 'h-v1')).toEqual([run]);
  const ck = await latestCheckpoint(db, 'run-v1');
  expect(ck && { ...ck, adapter: [...new Uint8Array(ck.adapter)], optimizer: [...new Uint8Array(ck.optimizer)] }).toEqual({ ...checkpoint, adapter: [1, 2, 3, 4], optimizer: [9, 8] });
  expect((await getPredictions(db, 'run-v1')).sort((a, b) => a.exampleIndex - b.exampleIndex)).toEqual([predictions[1], predictions[0]]);
}

const suite = { id: 's-v2', datasetHash: 'h-v1', name: 'hard cases', sourceFile: 'hard.csv', created: 1_700_000_003_000, examples: [{ text: 'Refund my order', label: 'order' }] };
const jobFile: FileObject = {
  id: 'file-v3', object: 'file', bytes: 12, created_at: 1_700_000_004, filename: 'a.jsonl', purpose: 'fine-tune', status: 'processed',
  tabtune: { format: 'chat-jsonl', examples: 1, labels: { order: 1 } },
};

describe('store schema upgrades', () => {
  it('has one step per version, and step 1 still makes the version-1 schema that shipped', async () => {
    expect(DB_VERSION).toBe(MIGRATIONS.length);
    expect(DB_VERSION).toBeGreaterThanOrEqual(1);
    const shipped = keep(await openDB(newName(), 1, { upgrade: (db) => shippedVersion1(db) }));
    const step1 = keep(await openDB<TabtuneSchema>(newName(), 1, { upgrade: (db, old, _new, tx) => migrate(db, old, 1, tx) }));
    expect(shape(step1 as unknown as IDBPDatabase<unknown>)).toEqual(shape(shipped));
    expect(Object.keys(shape(shipped))).toEqual(['checkpoints', 'datasets', 'examples', 'predictions', 'runs']);
  });

  it('opens a version-1 database with data: every record kept, every store and index of the newest schema there', async () => {
    const name = newName();
    const v1 = await openDB(name, 1, { upgrade: (db) => shippedVersion1(db) });
    await fillVersion1(v1);
    v1.close();

    const db = keep(await openTabtuneDb(name));
    expect(db.version).toBe(DB_VERSION);
    const fresh = keep(await openTabtuneDb(newName()));
    expect(shape(db as unknown as IDBPDatabase<unknown>)).toEqual(shape(fresh as unknown as IDBPDatabase<unknown>));
    await expectVersion1Data(db);

    // Opening again changes nothing; and the app's cascades, which touch the newer stores too, work on old data.
    db.close();
    const again = keep(await openTabtuneDb(name));
    await expectVersion1Data(again);
    await deleteDataset(again, 'h-v1', true);
    expect(await listDatasets(again)).toEqual([]);
    expect(await listRuns(again)).toEqual([]);
    expect(await latestCheckpoint(again, 'run-v1')).toBeUndefined();
    expect(await getPredictions(again, 'run-v1')).toEqual([]);
  });

  it('upgrades from every older version the app has had, keeping the data', async () => {
    for (let from = 1; from < DB_VERSION; from++) {
      const name = newName();
      const old = await openDB<TabtuneSchema>(name, from, { upgrade: (db, o, _n, tx) => migrate(db, o, from, tx) });
      await fillVersion1(old as unknown as IDBPDatabase<unknown>);
      old.close();
      const db = keep(await openTabtuneDb(name));
      expect(db.version).toBe(DB_VERSION);
      await expectVersion1Data(db);
    }
  });

  it('opens a version-2 database with data at the newest version: suites and version-1 records kept, the jobs stores empty and usable', async () => {
    const name = newName();
    const v2 = await openDB(name, 2, { upgrade: (db, old) => shippedVersion2(db, old) });
    await fillVersion1(v2);
    await v2.put('suites', suite);
    v2.close();

    const db = keep(await openTabtuneDb(name));
    expect(db.version).toBe(DB_VERSION);
    expect(shape(db as unknown as IDBPDatabase<unknown>)).toEqual(shape(keep(await openTabtuneDb(newName())) as unknown as IDBPDatabase<unknown>));
    await expectVersion1Data(db);
    expect(await listSuites(db, 'h-v1')).toEqual([suite]);
    const jobs = new IdbJobStore(db);
    expect(await jobs.listFiles()).toEqual([]);
    expect(await jobs.listJobs()).toEqual([]);
    expect(await jobs.listModels()).toEqual([]);
    // The jobs API writes beside the page's records and leaves them alone.
    await jobs.putFile(jobFile, [{ text: 'Refund my order', label: 'order' }]);
    expect(await jobs.getFile('file-v3')).toEqual(jobFile);
    expect(await jobs.getFileExamples('file-v3')).toEqual([{ text: 'Refund my order', label: 'order' }]);
    await addSuite(db, { ...suite, id: 's-v3' });
    await expectVersion1Data(db);
    await jobs.close(); // not its database to close: still usable
    expect((await listSuites(db, 'h-v1')).map((s) => s.id).sort()).toEqual(['s-v2', 's-v3']);
  });

  it('step 3 adds the jobs stores and nothing else', async () => {
    const v2 = keep(await openDB<TabtuneSchema>(newName(), 2, { upgrade: (db, old, _n, tx) => migrate(db, old, 2, tx) }));
    const v3 = keep(await openDB<TabtuneSchema>(newName(), 3, { upgrade: (db, old, _n, tx) => migrate(db, old, 3, tx) }));
    const before = shape(v2 as unknown as IDBPDatabase<unknown>);
    const after = shape(v3 as unknown as IDBPDatabase<unknown>);
    for (const [store, s] of Object.entries(before)) expect(after[store]).toEqual(s);
    const added = Object.fromEntries(Object.entries(after).filter(([n]) => !(n in before)));
    const plain = (keyPath: unknown) => ({ keyPath, autoIncrement: false, indexes: {} });
    expect(added).toEqual({
      jobFiles: plain('id'),
      jobFileExamples: plain('fileId'),
      jobs: plain('id'),
      jobEvents: plain(['jobId', 'seq']),
      jobCheckpoints: plain(['jobId', 'step']),
      jobResumePoints: plain('jobId'),
      jobResults: plain('jobId'),
      tunedModels: plain('id'),
      tunedModelWeights: plain('id'),
    });
  });

  it('runs each step once, in order, from the version on disk; a new index is built over existing records', async () => {
    const ran: number[] = [];
    const logged = (v: number, step: Migration): Migration => (db, tx) => {
      ran.push(v);
      step(db, tx);
    };
    // A pretend future: the real steps, then a new store, then an index on existing data.
    type Loose = IDBPDatabase<unknown>;
    const steps: Migration[] = [
      ...MIGRATIONS.map((s, i) => logged(i + 1, s)),
      logged(MIGRATIONS.length + 1, (db) => void (db as unknown as Loose).createObjectStore('notes', { keyPath: 'id' })),
      logged(MIGRATIONS.length + 2, (_db, tx) => void (tx.objectStore('examples') as unknown as { createIndex(n: string, k: string): unknown }).createIndex('label', 'label')),
    ];
    const open = (name: string, version: number) =>
      openDB<TabtuneSchema>(name, version, { upgrade: (db, old, _new, tx) => migrate(db, old, version, tx, steps) });
    const name = newName();
    const v1 = await open(name, 1);
    await fillVersion1(v1 as unknown as Loose);
    v1.close();
    expect(ran).toEqual([1]);

    const top = steps.length;
    const db = keep(await open(name, top));
    expect(ran).toEqual(Array.from({ length: top }, (_, i) => i + 1));
    await expectVersion1Data(db);
    const loose = db as unknown as Loose;
    expect([...loose.objectStoreNames]).toContain('notes');
    expect((await loose.getAllFromIndex('examples', 'label', 'order')).map((e) => (e as { index: number }).index)).toEqual([0, 2]);
    db.close();

    keep(await open(name, top));
    expect(ran).toEqual(Array.from({ length: top }, (_, i) => i + 1)); // nothing reran
  });
});
