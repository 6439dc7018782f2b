// The JobStore in the page: the app's own IndexedDB database (src/store/db.ts, version 3's stores), so jobs,
// their checkpoints and tuned models survive a reload beside the page's runs. Every write is one transaction:
// a full disk or a closed tab leaves the old record or the new one, never a file without its examples or a
// model without its weights.
import type { Checkpoint, Example, TrainResult } from '../../domain';
import { inTransaction, openTabtuneDb, type TabtuneDb } from '../../store/db';
import type { JobStore } from '../store';
import type { CheckpointObject, FileObject, FineTuningJob, JobEvent, TunedModelRecord } from '../types';

/** Every key [jobId, n] of one job, in n order. */
const underJob = (jobId: string) => IDBKeyRange.bound([jobId, -Infinity], [jobId, Infinity]);

export class IdbJobStore implements JobStore {
  /** Opens (and upgrades) the app's database; `close()` then closes it. */
  static async open(name = 'tabtune'): Promise<IdbJobStore> {
    return new IdbJobStore(await openTabtuneDb(name), true);
  }

  /** On a database the caller opened (the page's): `close()` leaves it open unless `owned`. */
  constructor(
    private readonly db: TabtuneDb,
    private readonly owned = false,
  ) {}

  async putFile(file: FileObject, examples: Example[]) {
    const tx = this.db.transaction(['jobFiles', 'jobFileExamples'], 'readwrite');
    await inTransaction(tx, (add) => {
      add(tx.objectStore('jobFiles').put(file));
      add(tx.objectStore('jobFileExamples').put({ fileId: file.id, examples }));
    });
  }
  async getFile(id: string) {
    return (await this.db.get('jobFiles', id)) ?? null;
  }
  async getFileExamples(id: string) {
    return (await this.db.get('jobFileExamples', id))?.examples ?? null;
  }
  async listFiles() {
    return this.db.getAll('jobFiles');
  }
  async deleteFile(id: string) {
    const tx = this.db.transaction(['jobFiles', 'jobFileExamples'], 'readwrite');
    let found = false;
    await inTransaction(tx, async (add) => {
      found = (await tx.objectStore('jobFiles').getKey(id)) !== undefined;
      add(tx.objectStore('jobFiles').delete(id));
      add(tx.objectStore('jobFileExamples').delete(id));
    });
    return found;
  }

  async putJob(job: FineTuningJob) {
    await this.db.put('jobs', job);
  }
  async getJob(id: string) {
    return (await this.db.get('jobs', id)) ?? null;
  }
  async listJobs() {
    return this.db.getAll('jobs');
  }

  async appendEvent(jobId: string, event: JobEvent) {
    // add, not put: a second writer with the same seq is refused rather than rewriting the log.
    await this.db.add('jobEvents', { jobId, seq: event.seq, event });
  }
  async listEvents(jobId: string) {
    return (await this.db.getAll('jobEvents', underJob(jobId))).map((r) => r.event);
  }

  async putCheckpoint(jobId: string, meta: CheckpointObject, checkpoint: Checkpoint) {
    // Keyed by step: an epoch trained again after a reload replaces its checkpoint instead of listing it twice.
    await this.db.put('jobCheckpoints', { jobId, step: meta.step_number, meta, checkpoint });
  }
  async listCheckpoints(jobId: string) {
    return (await this.db.getAll('jobCheckpoints', underJob(jobId))).map((r) => r.meta);
  }
  async putResumePoint(jobId: string, checkpoint: Checkpoint | null) {
    if (checkpoint) await this.db.put('jobResumePoints', { jobId, checkpoint });
    else await this.db.delete('jobResumePoints', jobId);
  }
  async getResumePoint(jobId: string) {
    return (await this.db.get('jobResumePoints', jobId))?.checkpoint ?? null;
  }
  async putResult(jobId: string, result: TrainResult) {
    await this.db.put('jobResults', { jobId, result });
  }
  async getResult(jobId: string) {
    return (await this.db.get('jobResults', jobId))?.result ?? null;
  }

  async putModel(record: TunedModelRecord, weights: ArrayBuffer) {
    const tx = this.db.transaction(['tunedModels', 'tunedModelWeights'], 'readwrite');
    await inTransaction(tx, (add) => {
      add(tx.objectStore('tunedModelWeights').put({ id: record.model.id, weights }));
      add(tx.objectStore('tunedModels').put({ id: record.model.id, record }));
    });
  }
  async getModel(id: string) {
    return (await this.db.get('tunedModels', id))?.record ?? null;
  }
  async getModelWeights(id: string) {
    return (await this.db.get('tunedModelWeights', id))?.weights ?? null;
  }
  async listModels() {
    return (await this.db.getAll('tunedModels')).map((r) => r.record);
  }
  async deleteModel(id: string) {
    const tx = this.db.transaction(['tunedModels', 'tunedModelWeights'], 'readwrite');
    let found = false;
    await inTransaction(tx, async (add) => {
      found = (await tx.objectStore('tunedModels').getKey(id)) !== undefined;
      add(tx.objectStore('tunedModels').delete(id));
      add(tx.objectStore('tunedModelWeights').delete(id));
    });
    return found;
  }

  async close() {
    if (this.owned) this.db.close();
  }
}
