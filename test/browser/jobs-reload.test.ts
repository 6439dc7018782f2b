// A page reloaded mid-job: the worker dies with the page, and the next page opens the same IndexedDB database.
// The job, left `running`, goes back to the queue and carries on from its stored resume point in a new worker,
// ending with the adapter bytes of the same job run without a break (src/train/loop.ts resumes bit-exactly).
import { afterAll, describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import { IdbJobStore, openTabtune, workerEngine, type JobEvent, type JobStatus, type Tabtune } from '../../src/web';
import { WorkerClient } from '../../src/ui/worker-client';
import { generateEmails, toChatJsonl } from '../../src/data/synth';

const dbName = `tabtune-jobs-reload-${Date.now()}`;
afterAll(() => deleteDB(dbName));
const statuses = (events: JobEvent[]) => events.filter((e) => e.type === 'status').map((e) => (e.data as { status: JobStatus }).status);

/** A page: its own connection to the database and its own training worker. */
async function openPage(): Promise<{ tt: Tabtune; store: IdbJobStore; worker: WorkerClient }> {
  const store = await IdbJobStore.open(dbName);
  const worker = new WorkerClient();
  const tt = await openTabtune({ store, engine: workerEngine({ worker, backend: 'wasm', ownsWorker: true }) });
  return { tt, store, worker };
}

/** Polls until `read` gives something; a job that never gets there fails the test in a minute, not at its timeout. */
async function until<T>(read: () => Promise<T | null>, ms = 60_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    const v = await read();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`Nothing after ${ms} ms`);
}

const first = await openPage();
const train = await first.tt.files.create({ file: { name: 'train.jsonl', text: toChatJsonl(generateEmails({ count: 40, seed: 1 })) }, purpose: 'fine-tune' });
const validation = await first.tt.files.create({ file: { name: 'val.jsonl', text: toChatJsonl(generateEmails({ count: 12, seed: 2 })) }, purpose: 'fine-tune' });
// 3 epochs of 10 steps; epoch ends are resume points.
const params = { training_file: train.id, validation_file: validation.id, model: 'tiny-bert', hyperparameters: { n_epochs: 3, batch_size: 4 }, seed: 11 };
const straight = await first.tt.fineTuning.jobs.wait((await first.tt.fineTuning.jobs.create(params)).id);
const straightWeights = new Uint8Array((await first.store.getModelWeights(straight.fine_tuned_model!))!);

describe('a reload mid-job', () => {
  it('a page that dies mid-job: the next page resumes the job from its resume point, same adapter SHA-256', async () => {
    const job = await first.tt.fineTuning.jobs.create(params);
    const point = await until(() => first.store.getResumePoint(job.id));
    // The page goes: close() is asked for but the worker is gone before it can answer, and the connection closes.
    void first.tt.close();
    first.worker.terminate();
    await first.store.close();

    const second = await openPage();
    try {
      const done = await second.tt.fineTuning.jobs.wait(job.id);
      expect(done.status).toBe('succeeded');
      expect(done.tabtune.adapter_sha256).toBe(straight.tabtune.adapter_sha256);
      expect(new Uint8Array((await second.store.getModelWeights(done.fine_tuned_model!))!)).toEqual(straightWeights);
      const events = (await second.tt.fineTuning.jobs.listEvents(job.id)).data;
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      expect(statuses(events)).toEqual(['validating_files', 'queued', 'running', 'queued', 'running', 'succeeded']);
      const requeued = events.filter((e) => e.type === 'status')[3];
      expect(requeued.message).toMatch(/its process ended; resumes from step (10|20)$/);
      expect(point.step).toBeGreaterThanOrEqual(10);
      expect((await second.tt.fineTuning.jobs.checkpoints.list(job.id)).data.map((c) => [c.step_number, c.epoch])).toEqual([[10, 1], [20, 2], [30, 3]]);
      expect(await second.store.getResumePoint(job.id)).toBeNull();
      console.log(`reload: ${requeued.message}; sha256 ${done.tabtune.adapter_sha256!.slice(0, 12)}… as uninterrupted`);
    } finally {
      await second.tt.close();
    }
  });

  it('a client closed mid-job stops it between steps; the next one resumes it there, same adapter SHA-256', async () => {
    const third = await openPage();
    const job = await third.tt.fineTuning.jobs.create(params);
    await new Promise<void>((resolve) => {
      const stop = third.tt.fineTuning.jobs.subscribe(job.id, (e) => e.type === 'metrics' && (stop(), resolve()));
    });
    await third.tt.close(); // ends the worker too: the engine owns it
    // What the closed client left in the database: the job still `running`, and where it stopped.
    const look = await IdbJobStore.open(dbName);
    const left = (await look.getJob(job.id))!;
    const stoppedAt = (await look.getResumePoint(job.id))?.step;
    await look.close();
    expect(left.status).toBe('running');

    const fourth = await openPage();
    try {
      const done = await fourth.tt.fineTuning.jobs.wait(job.id);
      expect(done.status).toBe('succeeded');
      expect(done.tabtune.adapter_sha256).toBe(straight.tabtune.adapter_sha256);
      const events = (await fourth.tt.fineTuning.jobs.listEvents(job.id)).data;
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
      expect(statuses(events)).toEqual(['validating_files', 'queued', 'running', 'queued', 'running', 'succeeded']);
      const resumedAt = Number(/resumes from step (\d+)$/.exec(events.filter((e) => e.type === 'status')[3].message)![1]);
      expect(resumedAt).toBe(stoppedAt);
      expect(resumedAt).toBeGreaterThan(0);
      expect(resumedAt).toBeLessThan(30);
      console.log(`closed client: resumed from step ${resumedAt} of 30`);
    } finally {
      await fourth.tt.close();
    }
  });
});
