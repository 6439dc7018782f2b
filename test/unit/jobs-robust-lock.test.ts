// One queue per store: of several clients on one folder, only the queue lock's holder runs jobs; the others
// record, read, follow and steer them, and one of them takes the queue over when the holder goes.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderJobStore, folderLock, openTabtune, nodeEngine, type JobEngine, type JobEvent, type JobStatus, type Tabtune } from '../../src/node';
import { openTabtune as openClient } from '../../src/jobs/client';
import { generateEmails, toChatJsonl } from '../../src/data/synth';

const dir = await mkdtemp(join(tmpdir(), 'tabtune-lock-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const statuses = (events: JobEvent[]) => events.filter((e) => e.type === 'status').map((e) => (e.data as { status: JobStatus }).status);

/** The wasm engine, counting the runs it is given: a client that does not hold the queue must get none. */
function countingEngine(inner: JobEngine = nodeEngine({ backend: 'wasm' })): { engine: JobEngine; runs: string[] } {
  const runs: string[] = [];
  return { runs, engine: { ...inner, train: (run, hooks, control) => (runs.push(run.runId), inner.train(run, hooks, control)) } };
}

/** The wasm engine taking at least `ms` a step (the same steps, so the same bytes): time for another client's
 * stop to arrive while the job runs. */
function slowEngine(ms = 40): JobEngine {
  const inner = nodeEngine({ backend: 'wasm' });
  return { ...inner, train: (run, hooks, control) => inner.train(run, hooks, { ...control, whilePaused: () => new Promise((r) => setTimeout(r, ms)).then(() => control.whilePaused()) }) };
}

async function until<T>(read: () => Promise<T | null | false> | T | null | false, ms = 60_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    const v = await read();
    if (v !== null && v !== false) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Nothing after ${ms} ms`);
}

const nextEvent = (tt: Tabtune, id: string, pick: (e: JobEvent) => boolean) =>
  new Promise<JobEvent>((resolve) => {
    const stop = tt.fineTuning.jobs.subscribe(id, (e) => pick(e) && (stop(), resolve(e)));
  });

describe('the folder lock', () => {
  it('lets one holder in at a time, answers null when asked only if free, and takes over from a dead process', async () => {
    const where = join(dir, 'lock');
    const lock = folderLock(where, 10);
    const order: string[] = [];
    let letFirstGo!: () => void;
    const first = lock.request('q', {}, async () => {
      order.push('first in');
      await new Promise<void>((r) => (letFirstGo = r));
      order.push('first out');
    });
    await until(() => order.length === 1);
    expect(await lock.request('q', { ifAvailable: true }, async (l) => l)).toBeNull();
    const second = lock.request('q', {}, async () => void order.push('second in'));
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual(['first in']);
    letFirstGo();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);

    // A holder killed before it could remove its file: its pid names no process any more.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(join(where, 'queue.lock'), JSON.stringify({ pid: dead, token: 'gone' }));
    const holder = (await lock.request('q', { ifAvailable: true }, async () => JSON.parse(await readFile(join(where, 'queue.lock'), 'utf8')))) as { pid: number };
    expect(holder.pid).toBe(process.pid);
    await expect(readFile(join(where, 'queue.lock'))).rejects.toThrow(/ENOENT/);
  });
});

describe('two clients on one folder', () => {
  const store = join(dir, 'shared');
  const text = toChatJsonl(generateEmails({ count: 40, seed: 4 }));

  it('runs the queue in one; the other follows its events, and takes a job over from its resume point when the first closes', async () => {
    const a = countingEngine(slowEngine());
    const b = countingEngine();
    const first = await openTabtune({ store, engine: a.engine });
    const second = await openTabtune({ store, engine: b.engine });
    expect([first.runsQueue(), second.runsQueue()]).toEqual([true, false]);

    const file = await second.files.create({ file: { name: 'e.jsonl', text }, purpose: 'fine-tune' });
    // 8 epochs of 10 steps, epoch ends are resume points.
    const params = { training_file: file.id, model: 'tiny-bert', hyperparameters: { n_epochs: 8, batch_size: 4 }, seed: 5 };
    // Created in the second client, run by the first; the second follows it to the end.
    const straightJob = await second.fineTuning.jobs.create(params);
    const followed: JobEvent[] = [];
    for await (const e of second.fineTuning.jobs.events(straightJob.id, { follow: true })) followed.push(e);
    const straight = await second.fineTuning.jobs.retrieve(straightJob.id);
    expect(straight.status).toBe('succeeded');
    expect(followed.map((e) => e.seq)).toEqual(followed.map((_, i) => i));
    expect(statuses(followed)).toEqual(['validating_files', 'queued', 'running', 'succeeded']);
    expect(followed).toEqual((await first.fineTuning.jobs.listEvents(straightJob.id)).data);
    expect(followed.filter((e) => e.type === 'metrics').length).toBeGreaterThan(5);
    expect([a.runs, b.runs]).toEqual([[straightJob.id], []]);

    const job = await second.fineTuning.jobs.create(params);
    // The first client goes mid-run; asked inside the second client's callback for the first checkpoint event,
    // so the stop comes before the run can end however busy the machine is.
    const closing = await new Promise<Promise<void>>((resolve) => {
      const stop = second.fineTuning.jobs.subscribe(job.id, (e) => e.type === 'checkpoint' && (stop(), resolve(first.close())));
    });
    await closing;
    const done = await second.fineTuning.jobs.wait(job.id);
    expect(done.status).toBe('succeeded');
    expect(second.runsQueue()).toBe(true);
    expect(done.tabtune.adapter_sha256).toBe(straight.tabtune.adapter_sha256);
    expect([a.runs, b.runs]).toEqual([[straightJob.id, job.id], [job.id]]);
    const events = (await second.fineTuning.jobs.listEvents(job.id)).data;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(statuses(events)).toEqual(['validating_files', 'queued', 'running', 'queued', 'running', 'succeeded']);
    const requeued = events.filter((e) => e.type === 'status')[3].message;
    expect(requeued).toMatch(/its process ended; resumes from step [1-9]\d*$/);
    console.log(`take-over: ${requeued}; sha256 ${done.tabtune.adapter_sha256!.slice(0, 12)}… as uninterrupted`);
    await second.close();
  });

  it('passes a cancel and a pause asked in a client without the queue on to the one running the job', async () => {
    const first = await openTabtune({ store, engine: slowEngine() });
    const second = await openTabtune({ store });
    const file = (await second.files.list()).data[0];
    const params = { training_file: file.id, model: 'tiny-bert', hyperparameters: { n_epochs: 8, batch_size: 4 }, seed: 5 };
    const straight = (await second.fineTuning.jobs.list({ status: 'succeeded' })).data[0];

    const doomed = await second.fineTuning.jobs.create(params);
    await nextEvent(second, doomed.id, (e) => e.type === 'metrics');
    // A job waiting behind it, cancelled where it was made: it never starts.
    const waiting = await second.fineTuning.jobs.create(params);
    await until(async () => (await second.fineTuning.jobs.retrieve(waiting.id)).status === 'queued');
    expect((await second.fineTuning.jobs.cancel(waiting.id)).status).toBe('cancelled');
    const cancelled = await second.fineTuning.jobs.cancel(doomed.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.tabtune.step).toBeLessThan(64);
    expect(statuses((await first.fineTuning.jobs.listEvents(waiting.id)).data)).toEqual(['validating_files', 'queued', 'cancelled']);

    const paused = await second.fineTuning.jobs.create(params);
    await nextEvent(second, paused.id, (e) => e.type === 'metrics');
    const p = await second.fineTuning.jobs.pause(paused.id);
    expect(p.status).toBe('paused');
    const at = (await new FolderJobStore(store).getResumePoint(paused.id))!.step;
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(64);
    await second.fineTuning.jobs.resume(paused.id);
    const done = await second.fineTuning.jobs.wait(paused.id);
    expect(done.status).toBe('succeeded');
    expect(done.tabtune.adapter_sha256).toBe(straight.tabtune.adapter_sha256);
    expect(statuses((await second.fineTuning.jobs.listEvents(paused.id)).data)).toEqual(['validating_files', 'queued', 'running', 'paused', 'queued', 'running', 'succeeded']);
    await second.close();
    await first.close();
  });

  it('reaches a runner no channel reaches (another process) through the store: queued jobs, events, a cancel', async () => {
    // Slower still: the events come by the store once a second, and the stop as a flag after a second more.
    const first = await openTabtune({ store, engine: slowEngine(100) });
    // Another channel name: nothing this client posts reaches the first, as between two processes.
    const other = await openClient({ store: new FolderJobStore(store), engine: nodeEngine(), queueLock: folderLock(store), sharedName: 'another process' });
    expect(other.runsQueue()).toBe(false);
    const file = (await other.files.list()).data[0];
    const job = await other.fineTuning.jobs.create({ training_file: file.id, model: 'tiny-bert', hyperparameters: { n_epochs: 8, batch_size: 4 }, seed: 5 });
    await nextEvent(other, job.id, (e) => e.type === 'metrics');
    const cancelled = await other.fineTuning.jobs.cancel(job.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.tabtune.stop_requested).toBeUndefined();
    expect(statuses((await other.fineTuning.jobs.listEvents(job.id)).data)).toEqual(['validating_files', 'queued', 'running', 'cancelled']);
    await other.close();
    await first.close();
  });
});
