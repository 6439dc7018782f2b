// The JobStore as a folder of JSON files and safetensors bytes, for Node: readable with any tool, and safe to kill
// at any moment. Every file is written to a temporary name and renamed into place (rename is atomic on one file
// system); a record made of several files writes its bytes first and the JSON that names them last, so the JSON
// is the commit point and a crash leaves at worst unreferenced bytes.
//
// <dir>/files/<id>.json                      { file, examples }
// <dir>/jobs/<id>/job.json                   the job object
// <dir>/jobs/<id>/events/<seq>.json          one event per file, so appending never rewrites the log
// <dir>/jobs/<id>/checkpoints/<ckpt>.json    metrics; its weights in <ckpt>.adapter / .optimizer.safetensors
// <dir>/jobs/<id>/resume.json                the latest resumable position; bytes in resume-<n>.*.safetensors
// <dir>/jobs/<id>/result.json                the finished run's full result
// <dir>/models/<encoded ft id>/model.json    the tuned model's record; weights in adapter.safetensors
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checkpoint, Example, TrainResult } from '../../domain';
import type { JobStore } from '../store';
import type { CheckpointObject, FileObject, FineTuningJob, JobEvent, TunedModelRecord } from '../types';

type Position = Omit<Checkpoint, 'adapter' | 'optimizer'>;
let tmpCounter = 0;

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${tmpCounter++}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

async function readBytes(path: string): Promise<ArrayBuffer | null> {
  try {
    const b = await readFile(path);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Names in a folder, without temporaries; none when the folder does not exist. */
async function names(dir: string, suffix: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith(suffix) && !n.includes('.tmp-')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

// Ids come from this API, but a store is also opened by hand: a path separator in an id must not escape the folder.
const safe = (id: string) => encodeURIComponent(id).replace(/\./g, '%2E');

export class FolderJobStore implements JobStore {
  constructor(readonly dir: string) {}

  private async ensure(...parts: string[]): Promise<string> {
    const d = join(this.dir, ...parts);
    await mkdir(d, { recursive: true });
    return d;
  }
  private jobDir(id: string) {
    return join(this.dir, 'jobs', safe(id));
  }

  async putFile(file: FileObject, examples: Example[]) {
    await writeAtomic(join(await this.ensure('files'), `${safe(file.id)}.json`), JSON.stringify({ file, examples }));
  }
  async getFile(id: string) {
    return (await readJson<{ file: FileObject }>(join(this.dir, 'files', `${safe(id)}.json`)))?.file ?? null;
  }
  async getFileExamples(id: string) {
    return (await readJson<{ examples: Example[] }>(join(this.dir, 'files', `${safe(id)}.json`)))?.examples ?? null;
  }
  async listFiles() {
    const dir = join(this.dir, 'files');
    const out: FileObject[] = [];
    for (const n of await names(dir, '.json')) {
      const f = await readJson<{ file: FileObject }>(join(dir, n));
      if (f) out.push(f.file);
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }
  async deleteFile(id: string) {
    const path = join(this.dir, 'files', `${safe(id)}.json`);
    const existed = (await readJson(path)) !== null;
    await rm(path, { force: true });
    return existed;
  }

  async putJob(job: FineTuningJob) {
    await this.ensure('jobs', safe(job.id));
    await writeAtomic(join(this.jobDir(job.id), 'job.json'), JSON.stringify(job, null, 1));
  }
  async getJob(id: string) {
    return readJson<FineTuningJob>(join(this.jobDir(id), 'job.json'));
  }
  async listJobs() {
    let dirs: string[] = [];
    try {
      dirs = await readdir(join(this.dir, 'jobs'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const jobs: FineTuningJob[] = [];
    for (const d of dirs) {
      const j = await readJson<FineTuningJob>(join(this.dir, 'jobs', d, 'job.json'));
      if (j) jobs.push(j);
    }
    return jobs.sort((a, b) => a.id.localeCompare(b.id));
  }

  async appendEvent(jobId: string, event: JobEvent) {
    const dir = await this.ensure('jobs', safe(jobId), 'events');
    await writeAtomic(join(dir, `${String(event.seq).padStart(9, '0')}.json`), JSON.stringify(event));
  }
  async listEvents(jobId: string) {
    const dir = join(this.jobDir(jobId), 'events');
    const out: JobEvent[] = [];
    for (const n of await names(dir, '.json')) {
      const e = await readJson<JobEvent>(join(dir, n));
      if (e) out.push(e);
    }
    return out;
  }

  async putCheckpoint(jobId: string, meta: CheckpointObject, c: Checkpoint) {
    const dir = await this.ensure('jobs', safe(jobId), 'checkpoints');
    const name = safe(meta.id);
    await writeAtomic(join(dir, `${name}.adapter.safetensors`), new Uint8Array(c.adapter));
    await writeAtomic(join(dir, `${name}.optimizer.safetensors`), new Uint8Array(c.optimizer));
    const position: Position = { step: c.step, epoch: c.epoch, batchIndex: c.batchIndex, valLoss: c.valLoss };
    await writeAtomic(join(dir, `${name}.json`), JSON.stringify({ meta, position }));
  }
  async listCheckpoints(jobId: string) {
    const dir = join(this.jobDir(jobId), 'checkpoints');
    const out: CheckpointObject[] = [];
    for (const n of await names(dir, '.json')) {
      const c = await readJson<{ meta: CheckpointObject }>(join(dir, n));
      if (c) out.push(c.meta);
    }
    return out.sort((a, b) => a.step_number - b.step_number);
  }

  async putResumePoint(jobId: string, c: Checkpoint | null) {
    const dir = await this.ensure('jobs', safe(jobId));
    const pointer = join(dir, 'resume.json');
    const old = await readJson<{ name: string }>(pointer);
    if (!c) {
      await rm(pointer, { force: true });
    } else {
      const name = `resume-${Date.now().toString(36)}-${tmpCounter++}`;
      await writeAtomic(join(dir, `${name}.adapter.safetensors`), new Uint8Array(c.adapter));
      await writeAtomic(join(dir, `${name}.optimizer.safetensors`), new Uint8Array(c.optimizer));
      const position: Position = { step: c.step, epoch: c.epoch, batchIndex: c.batchIndex, valLoss: c.valLoss };
      await writeAtomic(pointer, JSON.stringify({ name, position }));
    }
    if (old) for (const part of ['adapter', 'optimizer']) await rm(join(dir, `${old.name}.${part}.safetensors`), { force: true });
  }
  async getResumePoint(jobId: string) {
    const dir = this.jobDir(jobId);
    const p = await readJson<{ name: string; position: Position }>(join(dir, 'resume.json'));
    if (!p) return null;
    const adapter = await readBytes(join(dir, `${p.name}.adapter.safetensors`));
    const optimizer = await readBytes(join(dir, `${p.name}.optimizer.safetensors`));
    if (!adapter || !optimizer) return null;
    return { ...p.position, adapter, optimizer };
  }
  async putResult(jobId: string, result: TrainResult) {
    await this.ensure('jobs', safe(jobId));
    await writeAtomic(join(this.jobDir(jobId), 'result.json'), JSON.stringify(result));
  }
  async getResult(jobId: string) {
    return readJson<TrainResult>(join(this.jobDir(jobId), 'result.json'));
  }

  async putModel(record: TunedModelRecord, weights: ArrayBuffer) {
    const dir = await this.ensure('models', safe(record.model.id));
    await writeAtomic(join(dir, 'adapter.safetensors'), new Uint8Array(weights));
    await writeAtomic(join(dir, 'model.json'), JSON.stringify(record));
  }
  async getModel(id: string) {
    return readJson<TunedModelRecord>(join(this.dir, 'models', safe(id), 'model.json'));
  }
  async getModelWeights(id: string) {
    return readBytes(join(this.dir, 'models', safe(id), 'adapter.safetensors'));
  }
  async listModels() {
    let dirs: string[] = [];
    try {
      dirs = await readdir(join(this.dir, 'models'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const out: TunedModelRecord[] = [];
    for (const d of dirs) {
      const m = await readJson<TunedModelRecord>(join(this.dir, 'models', d, 'model.json'));
      if (m) out.push(m);
    }
    return out.sort((a, b) => a.model.id.localeCompare(b.model.id));
  }
  async deleteModel(id: string) {
    const dir = join(this.dir, 'models', safe(id));
    const existed = (await readJson(join(dir, 'model.json'))) !== null;
    // The record goes first: without it the model is gone even if removing the bytes is interrupted.
    await rm(join(dir, 'model.json'), { force: true });
    await rm(dir, { recursive: true, force: true });
    return existed;
  }
}
