// The one typed IndexedDB schema (idb). Upgrades walk version by version, so a later schema adds a step and
// every older database reaches the newest shape without losing what a user made.
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { TrainConfig } from '../config';
import type { BackendName, Checkpoint, EvalSummary, Example, ForgettingReport, Method, ModelType, Pooling, SplitName, SuiteEvaluation, TrainResult } from '../domain';
import type { CheckpointObject, FileObject, FineTuningJob, JobEvent, TunedModelRecord } from '../jobs/types';

/**
 * One step per schema version: MIGRATIONS[v - 1] turns a version v-1 database into version v, inside the upgrade
 * transaction. A shipped step is never edited (users' databases were made by it): a new shape is a new step at
 * the end, which adds or reshapes stores and moves records through `tx`, and never drops what a user made.
 * Steps are synchronous: IndexedDB ends the upgrade transaction at the first await of anything else.
 */
export type Migration = (db: IDBPDatabase<TabtuneSchema>, tx: UpgradeTransaction) => void;

export const MIGRATIONS: Migration[] = [
  // Version 1: the first schema.
  (db) => {
    db.createObjectStore('datasets', { keyPath: 'hash' }).createIndex('created', 'created');
    db.createObjectStore('examples', { keyPath: ['datasetHash', 'index'] }).createIndex('datasetHash', 'datasetHash');
    const runs = db.createObjectStore('runs', { keyPath: 'id' });
    runs.createIndex('datasetHash', 'datasetHash');
    runs.createIndex('created', 'created');
    db.createObjectStore('checkpoints', { keyPath: ['runId', 'step'] }).createIndex('runId', 'runId');
    db.createObjectStore('predictions', { keyPath: ['runId', 'exampleIndex'] }).createIndex('runId', 'runId');
  },
  // Version 2: user-added evaluation suites per dataset (issue #9). Nothing earlier changes.
  (db) => {
    db.createObjectStore('suites', { keyPath: 'id' }).createIndex('datasetHash', 'datasetHash');
  },
  // Version 3: the jobs API's records in the page (src/jobs/web/idb-store.ts), beside the page's own. Examples,
  // events and checkpoints are keyed under their file or job, so one key range reads them in order. A tuned
  // model's weights sit apart from its record, so listing models reads no weights. Nothing earlier changes.
  (db) => {
    db.createObjectStore('jobFiles', { keyPath: 'id' });
    db.createObjectStore('jobFileExamples', { keyPath: 'fileId' });
    db.createObjectStore('jobs', { keyPath: 'id' });
    db.createObjectStore('jobEvents', { keyPath: ['jobId', 'seq'] });
    db.createObjectStore('jobCheckpoints', { keyPath: ['jobId', 'step'] });
    db.createObjectStore('jobResumePoints', { keyPath: 'jobId' });
    db.createObjectStore('jobResults', { keyPath: 'jobId' });
    db.createObjectStore('tunedModels', { keyPath: 'id' });
    db.createObjectStore('tunedModelWeights', { keyPath: 'id' });
  },
];

export const DB_VERSION = MIGRATIONS.length;

export interface DatasetRecord {
  /** SHA-256 of the canonical content: the dataset version's identity. */
  hash: string;
  name: string;
  sourceFile: string;
  format: string;
  instruction?: string;
  labels: string[];
  countsPerLabel: Record<string, number>;
  total: number;
  splitSeed: number;
  splitCounts: Record<SplitName, number>;
  created: number;
}

export interface ExampleRecord {
  datasetHash: string;
  index: number;
  text: string;
  label: string;
  split: SplitName;
}

export type RunStatus = 'queued' | 'running' | 'paused' | 'interrupted' | 'completed' | 'failed' | 'cancelled';

export interface EpochMetric {
  epoch: number;
  step: number;
  trainLoss: number;
  valLoss: number;
  valAccuracy: number;
}

export interface RunRecord {
  id: string;
  datasetHash: string;
  datasetName?: string;
  modelId: string;
  modelRevision: string;
  method: Method;
  config: TrainConfig;
  seed: number;
  backend: BackendName;
  status: RunStatus;
  /** Set when the run is a job of the jobs API (src/ui/page-jobs.ts): the job owns its status; its id is the run's. */
  jobId?: string;
  error?: string;
  created: number;
  started?: number;
  finished?: number;
  elapsedMs: number;
  step: number;
  totalSteps: number;
  epochMetrics: EpochMetric[];
  lossCurve: { step: number; loss: number }[];
  before?: EvalSummary;
  after?: EvalSummary;
  /** The bag-of-words baseline on the same test split (runs stored before it existed have none). */
  baseline?: EvalSummary;
  adapterSha256?: string;
  parentRunId?: string;
  labels: string[];
  pooling?: Pooling;
  modelType?: ModelType;
  trainableParams?: number;
  totalParams?: number;
  stoppedEarly?: boolean;
  forgetting?: ForgettingReport;
  /** Scores on the dataset's user-added evaluation suites (the test split is `before` / `after`). */
  suites?: SuiteEvaluation[];
  /** Marked as the dataset's current version after passing the promotion gate. */
  promoted?: boolean;
  promotedAt?: number;
  notes?: string;
}

/** A user-added evaluation file of one dataset version; every run on that version is scored on it. */
export interface SuiteRecord {
  id: string;
  datasetHash: string;
  name: string;
  sourceFile: string;
  created: number;
  examples: Example[];
}

/** A checkpoint as stored: keyed by its run and step, and stamped with when it was written. */
export interface CheckpointRecord extends Checkpoint {
  runId: string;
  created: number;
}

export interface PredictionRecord {
  runId: string;
  exampleIndex: number;
  predicted: number;
  probs: number[];
  correct: boolean;
}

export interface TabtuneSchema extends DBSchema {
  datasets: { key: string; value: DatasetRecord; indexes: { created: number } };
  examples: { key: [string, number]; value: ExampleRecord; indexes: { datasetHash: string } };
  runs: { key: string; value: RunRecord; indexes: { datasetHash: string; created: number } };
  checkpoints: { key: [string, number]; value: CheckpointRecord; indexes: { runId: string } };
  predictions: { key: [string, number]; value: PredictionRecord; indexes: { runId: string } };
  suites: { key: string; value: SuiteRecord; indexes: { datasetHash: string } };
  jobFiles: { key: string; value: FileObject };
  jobFileExamples: { key: string; value: { fileId: string; examples: Example[] } };
  jobs: { key: string; value: FineTuningJob };
  jobEvents: { key: [string, number]; value: { jobId: string; seq: number; event: JobEvent } };
  jobCheckpoints: { key: [string, number]; value: { jobId: string; step: number; meta: CheckpointObject; checkpoint: Checkpoint } };
  jobResumePoints: { key: string; value: { jobId: string; checkpoint: Checkpoint } };
  jobResults: { key: string; value: { jobId: string; result: TrainResult } };
  tunedModels: { key: string; value: { id: string; record: TunedModelRecord } };
  tunedModelWeights: { key: string; value: { id: string; weights: ArrayBuffer } };
}

export type TabtuneDb = IDBPDatabase<TabtuneSchema>;

export type UpgradeTransaction = IDBPTransaction<TabtuneSchema, StoreNames<TabtuneSchema>[], 'versionchange'>;

/** Runs the steps after `oldVersion` up to `newVersion`, in order; a fresh database (version 0) runs them all. */
export function migrate(db: TabtuneDb, oldVersion: number, newVersion: number, tx: UpgradeTransaction, steps: readonly Migration[] = MIGRATIONS): void {
  for (let v = oldVersion; v < newVersion; v++) steps[v](db, tx);
}

export function openTabtuneDb(name = 'tabtune'): Promise<TabtuneDb> {
  return openDB<TabtuneSchema>(name, DB_VERSION, {
    upgrade(db, oldVersion, newVersion, tx) {
      migrate(db, oldVersion, newVersion ?? DB_VERSION, tx);
    },
    blocked() {
      console.warn('tabtune: another tab holds an older version of the database open; close it to upgrade.');
    },
  });
}

/**
 * Queues a transaction's requests and waits for its commit. If queuing throws (a bad key, a full disk), the
 * transaction is aborted so none of its writes land, and the abort's echoes on the queued requests are
 * silenced — the caller gets the one real error.
 */
export async function inTransaction(
  tx: { abort(): void; done: Promise<void> },
  queue: (add: (request: Promise<unknown>) => void) => void | Promise<void>,
): Promise<void> {
  const ops: Promise<unknown>[] = [];
  const add = (p: Promise<unknown>) => {
    p.catch(() => {});
    ops.push(p);
  };
  try {
    await queue(add);
  } catch (e) {
    try {
      tx.abort();
    } catch {
      /* already finished */
    }
    await tx.done.catch(() => {});
    throw e;
  }
  await Promise.all([...ops, tx.done]);
}
