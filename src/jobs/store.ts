// Where the jobs API keeps its state, behind one small interface so the same client runs on a folder (Node), in
// memory (tests, short scripts) and on IndexedDB (the page: web/idb-store.ts). Every method writes one whole
// record: an implementation makes each write atomic, so a crash leaves the old record or the new one, never half.
import type { Checkpoint, Example, TrainResult } from '../domain';
import type { CheckpointObject, FileObject, FineTuningJob, JobEvent, TunedModelRecord } from './types';

export interface JobStore {
  putFile(file: FileObject, examples: Example[]): Promise<void>;
  getFile(id: string): Promise<FileObject | null>;
  getFileExamples(id: string): Promise<Example[] | null>;
  listFiles(): Promise<FileObject[]>;
  deleteFile(id: string): Promise<boolean>;

  putJob(job: FineTuningJob): Promise<void>;
  getJob(id: string): Promise<FineTuningJob | null>;
  /** In creation order (ids sort by it). */
  listJobs(): Promise<FineTuningJob[]>;

  appendEvent(jobId: string, event: JobEvent): Promise<void>;
  /** In `seq` order. */
  listEvents(jobId: string): Promise<JobEvent[]>;

  /** An epoch's checkpoint: listed with its metrics, its weights kept (without optimizer state: the resume point has it). */
  putCheckpoint(jobId: string, meta: CheckpointObject, checkpoint: Checkpoint): Promise<void>;
  listCheckpoints(jobId: string): Promise<CheckpointObject[]>;
  /** The latest resumable position of an unfinished job (mid-epoch too), replaced as the job moves on. */
  putResumePoint(jobId: string, checkpoint: Checkpoint | null): Promise<void>;
  getResumePoint(jobId: string): Promise<Checkpoint | null>;
  /** The finished run's full result (per-example predictions included). */
  putResult(jobId: string, result: TrainResult): Promise<void>;
  getResult(jobId: string): Promise<TrainResult | null>;

  putModel(record: TunedModelRecord, weights: ArrayBuffer): Promise<void>;
  getModel(id: string): Promise<TunedModelRecord | null>;
  getModelWeights(id: string): Promise<ArrayBuffer | null>;
  listModels(): Promise<TunedModelRecord[]>;
  deleteModel(id: string): Promise<boolean>;

  close?(): Promise<void>;
}
