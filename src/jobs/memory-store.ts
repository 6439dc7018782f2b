// The JobStore in memory: for tests and scripts that need no persistence. Records are copied in and out, so a
// caller changing a returned object never changes what is stored (as with a real store).
import type { Checkpoint, Example, TrainResult } from '../domain';
import type { JobStore } from './store';
import type { CheckpointObject, FileObject, FineTuningJob, JobEvent, TunedModelRecord } from './types';

const copy = <T>(x: T): T => structuredClone(x);

export class MemoryJobStore implements JobStore {
  private files = new Map<string, { file: FileObject; examples: Example[] }>();
  private jobs = new Map<string, FineTuningJob>();
  private events = new Map<string, JobEvent[]>();
  private checkpoints = new Map<string, { meta: CheckpointObject; checkpoint: Checkpoint }[]>();
  private resume = new Map<string, Checkpoint>();
  private results = new Map<string, TrainResult>();
  private models = new Map<string, { record: TunedModelRecord; weights: ArrayBuffer }>();

  async putFile(file: FileObject, examples: Example[]) {
    this.files.set(file.id, copy({ file, examples }));
  }
  async getFile(id: string) {
    return copy(this.files.get(id)?.file ?? null);
  }
  async getFileExamples(id: string) {
    return copy(this.files.get(id)?.examples ?? null);
  }
  async listFiles() {
    return [...this.files.values()].map((f) => copy(f.file)).sort((a, b) => a.id.localeCompare(b.id));
  }
  async deleteFile(id: string) {
    return this.files.delete(id);
  }

  async putJob(job: FineTuningJob) {
    this.jobs.set(job.id, copy(job));
  }
  async getJob(id: string) {
    return copy(this.jobs.get(id) ?? null);
  }
  async listJobs() {
    return [...this.jobs.values()].map(copy).sort((a, b) => a.id.localeCompare(b.id));
  }

  async appendEvent(jobId: string, event: JobEvent) {
    this.events.set(jobId, [...(this.events.get(jobId) ?? []), copy(event)]);
  }
  async listEvents(jobId: string) {
    return copy(this.events.get(jobId) ?? []);
  }

  async putCheckpoint(jobId: string, meta: CheckpointObject, checkpoint: Checkpoint) {
    this.checkpoints.set(jobId, [...(this.checkpoints.get(jobId) ?? []), copy({ meta, checkpoint })]);
  }
  async listCheckpoints(jobId: string) {
    return (this.checkpoints.get(jobId) ?? []).map((c) => copy(c.meta));
  }
  async putResumePoint(jobId: string, checkpoint: Checkpoint | null) {
    if (checkpoint) this.resume.set(jobId, copy(checkpoint));
    else this.resume.delete(jobId);
  }
  async getResumePoint(jobId: string) {
    return copy(this.resume.get(jobId) ?? null);
  }
  async putResult(jobId: string, result: TrainResult) {
    this.results.set(jobId, copy(result));
  }
  async getResult(jobId: string) {
    return copy(this.results.get(jobId) ?? null);
  }

  async putModel(record: TunedModelRecord, weights: ArrayBuffer) {
    this.models.set(record.model.id, copy({ record, weights }));
  }
  async getModel(id: string) {
    return copy(this.models.get(id)?.record ?? null);
  }
  async getModelWeights(id: string) {
    const w = this.models.get(id)?.weights;
    return w ? w.slice(0) : null;
  }
  async listModels() {
    return [...this.models.values()].map((m) => copy(m.record)).sort((a, b) => a.model.id.localeCompare(b.model.id));
  }
  async deleteModel(id: string) {
    return this.models.delete(id);
  }
}
