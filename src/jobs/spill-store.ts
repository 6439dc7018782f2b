// A JobStore that keeps, in memory and in order, the writes its store refused for lack of space, and every write
// after the first of them (a later write must not land before an earlier one: an event before its job's status,
// a `succeeded` before its model). Reads see the kept writes, so training goes on, `retrieve` and `events` show
// where the job is and `predict` finds the finished model; each later write tries the kept ones first, and
// `retry()` does so on request. Any other failure of a write is the caller's, as without this store.
import type { Checkpoint, Example, TrainResult } from '../domain';
import { isOutOfSpace } from './out-of-space';
import type { JobStore } from './store';
import type { CheckpointObject, FileObject, FineTuningJob, JobEvent, TunedModelRecord } from './types';

/** A write kept in memory: what it is, and the job it belongs to. */
export interface PendingWrite {
  label: string;
  job_id: string | null;
}

interface Item extends PendingWrite {
  key: string;
  write: () => Promise<unknown>;
  error?: unknown;
}

const DELETED = Symbol('deleted');
const copy = <T>(x: T): T => structuredClone(x);

export class SpillingStore implements JobStore {
  private queue: Item[] = [];
  /** The newest kept value per record key (DELETED for a kept delete); a key leaves once its last write is saved. */
  private overlay = new Map<string, unknown>();
  private keptPerKey = new Map<string, number>();
  /** Jobs some of whose writes were kept since the last time all of theirs were saved. */
  private spilled = new Set<string>();
  private tail: Promise<unknown> = Promise.resolve();
  /** A job's writes start to be kept (once until they are saved). */
  onKept: ((jobId: string) => void) | null = null;
  /** All of a job's kept writes have been saved. */
  onSaved: ((jobId: string, writes: number) => void) | null = null;
  private savedPerJob = new Map<string, number>();

  constructor(readonly inner: JobStore) {}

  pending(): PendingWrite[] {
    return this.queue.map(({ label, job_id }) => ({ label, job_id }));
  }

  /** Tries the kept writes again, in order; stops at the first still refused for lack of space. */
  retry(): Promise<{ saved: number; pending: number }> {
    return this.serial(async () => ({ saved: await this.drain(), pending: this.queue.length }));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn);
    this.tail = p.catch(() => {});
    return p;
  }

  /** Writes now, or keeps the write when the store is out of space or already keeps earlier ones. */
  private write(key: string, jobId: string | null, label: string, value: unknown, write: (v: never) => Promise<unknown>): Promise<void> {
    return this.serial(async () => {
      if (!this.queue.length) {
        try {
          await write(value as never);
          return;
        } catch (e) {
          if (!isOutOfSpace(e)) throw e;
        }
      }
      // A copy: the caller may change its object once this returns, before the write is saved.
      const kept = value === DELETED ? value : copy(value);
      const item: Item = { key, label, job_id: jobId, write: () => write(kept as never) };
      this.queue.push(item);
      this.overlay.set(key, kept);
      this.keptPerKey.set(key, (this.keptPerKey.get(key) ?? 0) + 1);
      if (jobId && !this.spilled.has(jobId)) {
        this.spilled.add(jobId);
        this.onKept?.(jobId);
      }
      await this.drain();
      if (item.error) throw item.error;
    });
  }

  private async drain(): Promise<number> {
    let saved = 0;
    while (this.queue.length) {
      const head = this.queue[0];
      try {
        await head.write();
        saved += 1;
        if (head.job_id) this.savedPerJob.set(head.job_id, (this.savedPerJob.get(head.job_id) ?? 0) + 1);
      } catch (e) {
        if (isOutOfSpace(e)) break;
        head.error = e;
      }
      this.queue.shift();
      const left = this.keptPerKey.get(head.key)! - 1;
      if (left) this.keptPerKey.set(head.key, left);
      else {
        this.keptPerKey.delete(head.key);
        this.overlay.delete(head.key);
      }
    }
    for (const jobId of [...this.spilled]) {
      if (this.queue.some((i) => i.job_id === jobId)) continue;
      this.spilled.delete(jobId);
      const n = this.savedPerJob.get(jobId) ?? 0;
      this.savedPerJob.delete(jobId);
      this.onSaved?.(jobId, n);
    }
    return saved;
  }

  private kept<T>(key: string): { has: boolean; value: T | null } {
    if (!this.overlay.has(key)) return { has: false, value: null };
    const v = this.overlay.get(key);
    return { has: true, value: v === DELETED ? null : copy(v as T) };
  }
  private keptUnder<T>(prefix: string): [string, T | typeof DELETED][] {
    return [...this.overlay].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v === DELETED ? DELETED : copy(v as T)]);
  }
  private marked(job: FineTuningJob | null): FineTuningJob | null {
    if (job && this.queue.some((i) => i.job_id === job.id)) job.tabtune.unsaved = true;
    return job;
  }

  putFile(file: FileObject, examples: Example[]) {
    return this.write(`file:${file.id}`, null, `file ${file.id}`, { file, examples }, (v: { file: FileObject; examples: Example[] }) => this.inner.putFile(v.file, v.examples));
  }
  async getFile(id: string) {
    const k = this.kept<{ file: FileObject }>(`file:${id}`);
    return k.has ? (k.value?.file ?? null) : this.inner.getFile(id);
  }
  async getFileExamples(id: string) {
    const k = this.kept<{ examples: Example[] }>(`file:${id}`);
    return k.has ? (k.value?.examples ?? null) : this.inner.getFileExamples(id);
  }
  async listFiles() {
    const byId = new Map((await this.inner.listFiles()).map((f) => [f.id, f]));
    for (const [id, v] of this.keptUnder<{ file: FileObject }>('file:')) v === DELETED ? byId.delete(id) : byId.set(id, v.file);
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
  async deleteFile(id: string) {
    const existed = (await this.getFile(id)) !== null;
    await this.write(`file:${id}`, null, `delete file ${id}`, DELETED, () => this.inner.deleteFile(id));
    return existed;
  }

  putJob(job: FineTuningJob) {
    // `unsaved` describes this store's memory, not the job: it is never written.
    const { unsaved: _, ...tabtune } = job.tabtune;
    const clean = { ...job, tabtune };
    return this.write(`job:${job.id}`, job.id, `job ${job.id} (${job.status})`, clean, (v: FineTuningJob) => this.inner.putJob(v));
  }
  async getJob(id: string) {
    const k = this.kept<FineTuningJob>(`job:${id}`);
    return this.marked(k.has ? k.value : await this.inner.getJob(id));
  }
  async listJobs() {
    const byId = new Map((await this.inner.listJobs()).map((j) => [j.id, j]));
    for (const [id, v] of this.keptUnder<FineTuningJob>('job:')) if (v !== DELETED) byId.set(id, v);
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)).map((j) => this.marked(j)!);
  }

  appendEvent(jobId: string, event: JobEvent) {
    return this.write(`event:${jobId}:${event.seq}`, jobId, `event ${event.seq} of ${jobId}`, event, (v: JobEvent) => this.inner.appendEvent(jobId, v));
  }
  async listEvents(jobId: string) {
    const events = await this.inner.listEvents(jobId);
    const stored = new Set(events.map((e) => e.seq));
    for (const [, e] of this.keptUnder<JobEvent>(`event:${jobId}:`)) if (e !== DELETED && !stored.has(e.seq)) events.push(e);
    return events.sort((a, b) => a.seq - b.seq);
  }

  putCheckpoint(jobId: string, meta: CheckpointObject, checkpoint: Checkpoint) {
    return this.write(`checkpoint:${jobId}:${meta.id}`, jobId, `checkpoint at step ${meta.step_number} of ${jobId}`, { meta, checkpoint }, (v: { meta: CheckpointObject; checkpoint: Checkpoint }) => this.inner.putCheckpoint(jobId, v.meta, v.checkpoint));
  }
  async listCheckpoints(jobId: string) {
    const byId = new Map((await this.inner.listCheckpoints(jobId)).map((c) => [c.id, c]));
    for (const [id, v] of this.keptUnder<{ meta: CheckpointObject }>(`checkpoint:${jobId}:`)) if (v !== DELETED) byId.set(id, v.meta);
    return [...byId.values()].sort((a, b) => a.step_number - b.step_number);
  }
  putResumePoint(jobId: string, checkpoint: Checkpoint | null) {
    return this.write(`resume:${jobId}`, jobId, checkpoint ? `resume point at step ${checkpoint.step} of ${jobId}` : `no resume point for ${jobId}`, checkpoint, (v: Checkpoint | null) => this.inner.putResumePoint(jobId, v));
  }
  async getResumePoint(jobId: string) {
    const k = this.kept<Checkpoint>(`resume:${jobId}`);
    return k.has ? k.value : this.inner.getResumePoint(jobId);
  }
  putResult(jobId: string, result: TrainResult) {
    return this.write(`result:${jobId}`, jobId, `result of ${jobId}`, result, (v: TrainResult) => this.inner.putResult(jobId, v));
  }
  async getResult(jobId: string) {
    const k = this.kept<TrainResult>(`result:${jobId}`);
    return k.has ? k.value : this.inner.getResult(jobId);
  }

  putModel(record: TunedModelRecord, weights: ArrayBuffer) {
    const id = record.model.id;
    return this.write(`model:${id}`, record.model.tabtune.job_id, `model ${id}`, { record, weights }, (v: { record: TunedModelRecord; weights: ArrayBuffer }) => this.inner.putModel(v.record, v.weights));
  }
  async getModel(id: string) {
    const k = this.kept<{ record: TunedModelRecord }>(`model:${id}`);
    return k.has ? (k.value?.record ?? null) : this.inner.getModel(id);
  }
  async getModelWeights(id: string) {
    const k = this.kept<{ weights: ArrayBuffer }>(`model:${id}`);
    return k.has ? (k.value?.weights ?? null) : this.inner.getModelWeights(id);
  }
  async listModels() {
    const byId = new Map((await this.inner.listModels()).map((m) => [m.model.id, m]));
    for (const [id, v] of this.keptUnder<{ record: TunedModelRecord }>('model:')) v === DELETED ? byId.delete(id) : byId.set(id, v.record);
    return [...byId.values()].sort((a, b) => a.model.id.localeCompare(b.model.id));
  }
  async deleteModel(id: string) {
    const existed = (await this.getModel(id)) !== null;
    await this.write(`model:${id}`, null, `delete model ${id}`, DELETED, () => this.inner.deleteModel(id));
    return existed;
  }

  async close() {
    await this.inner.close?.();
  }
}
