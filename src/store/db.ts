// The one typed IndexedDB schema (idb). Upgrades walk version by version, so a later schema adds a step and
// every older database reaches the newest shape without losing what a user made.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { TrainConfig } from '../config';
import type { EvalSummary } from '../protocol';
import type { Method, ModelType, Pooling } from '../model/types';
import type { BackendName } from '../runtime/backend';
import type { SplitName } from '../data/types';
import type { ForgettingReport } from '../guards/forgetting';

export const DB_VERSION = 1;

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

export type RunStatus = 'running' | 'paused' | 'interrupted' | 'completed' | 'failed' | 'cancelled';

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
  adapterSha256?: string;
  parentRunId?: string;
  labels: string[];
  pooling?: Pooling;
  modelType?: ModelType;
  trainableParams?: number;
  totalParams?: number;
  stoppedEarly?: boolean;
  forgetting?: ForgettingReport;
  /** Marked as the dataset's current version after passing the promotion gate. */
  promoted?: boolean;
  promotedAt?: number;
  notes?: string;
}

export interface CheckpointRecord {
  runId: string;
  step: number;
  epoch: number;
  batchIndex: number;
  created: number;
  /** Trainable weights as safetensors bytes. */
  adapter: ArrayBuffer;
  /** AdamW state as safetensors bytes. */
  optimizer: ArrayBuffer;
  valLoss?: number;
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
}

export type TabtuneDb = IDBPDatabase<TabtuneSchema>;

export function openTabtuneDb(name = 'tabtune'): Promise<TabtuneDb> {
  return openDB<TabtuneSchema>(name, DB_VERSION, {
    upgrade(db, oldVersion) {
      // Version 1: the first schema. Later versions add `if (oldVersion < N)` steps below.
      if (oldVersion < 1) {
        db.createObjectStore('datasets', { keyPath: 'hash' }).createIndex('created', 'created');
        db.createObjectStore('examples', { keyPath: ['datasetHash', 'index'] }).createIndex('datasetHash', 'datasetHash');
        const runs = db.createObjectStore('runs', { keyPath: 'id' });
        runs.createIndex('datasetHash', 'datasetHash');
        runs.createIndex('created', 'created');
        db.createObjectStore('checkpoints', { keyPath: ['runId', 'step'] }).createIndex('runId', 'runId');
        db.createObjectStore('predictions', { keyPath: ['runId', 'exampleIndex'] }).createIndex('runId', 'runId');
      }
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
