// Two tabs on one database, as two clients in one page: Web Locks are per origin, so they contend for the queue
// lock just as two tabs would. One runs the queue; the other records and follows jobs (its events come over the
// BroadcastChannel), stops them, and takes the queue over when the first closes, resuming the job it left.
import { afterAll, describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import { IdbJobStore, openTabtune, workerEngine, type JobEvent, type JobStatus, type Tabtune } from '../../src/web';
import { WorkerClient } from '../../src/ui/worker-client';
import { generateEmails, toChatJsonl } from '../../src/data/synth';

const dbName = `tabtune-jobs-lock-${Date.now()}`;
afterAll(() => deleteDB(dbName));
const statuses = (events: JobEvent[]) => events.filter((e) => e.type === 'status').map((e) => (e.data as { status: JobStatus }).status);

/** A tab: the jobs API on the database by its name (so with its lock), and a training worker of its own. */
const openTab = (): Promise<Tabtune> => openTabtune({ store: dbName, engine: workerEngine({ worker: new WorkerClient(), backend: 'wasm', ownsWorker: true }) });

describe('two tabs on one database', () => {
  it('one runs the queue; the other follows, cancels, and takes a job over from its resume point when the first closes', async () => {
    const first = await openTab();
    const second = await openTab();
    expect([first.runsQueue(), second.runsQueue()]).toEqual([true, false]);
    const train = await second.files.create({ file: { name: 'train.jsonl', text: toChatJsonl(generateEmails({ count: 40, seed: 1 })) }, purpose: 'fine-tune' });
    const validation = await second.files.create({ file: { name: 'val.jsonl', text: toChatJsonl(generateEmails({ count: 12, seed: 2 })) }, purpose: 'fine-tune' });
    // 3 epochs of 10 steps; epoch ends are resume points.
    const params = { training_file: train.id, validation_file: validation.id, model: 'tiny-bert', hyperparameters: { n_epochs: 3, batch_size: 4 }, seed: 11 };

    // Created in the second tab, run in the first, followed live from the second.
    const straightJob = await second.fineTuning.jobs.create(params);
    const followed: JobEvent[] = [];
    for await (const e of second.fineTuning.jobs.events(straightJob.id, { follow: true })) followed.push(e);
    expect(followed).toEqual((await first.fineTuning.jobs.listEvents(straightJob.id)).data);
    expect(statuses(followed)).toEqual(['validating_files', 'queued', 'running', 'succeeded']);
    const straight = await second.fineTuning.jobs.retrieve(straightJob.id);

    // A cancel asked in the second tab stops the run in the first.
    const doomed = await second.fineTuning.jobs.create(params);
    await new Promise<void>((resolve) => {
      const stop = second.fineTuning.jobs.subscribe(doomed.id, (e) => e.type === 'metrics' && (stop(), resolve()));
    });
    const cancelled = await second.fineTuning.jobs.cancel(doomed.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.tabtune.step).toBeLessThan(30);

    const job = await second.fineTuning.jobs.create(params);
    const closing = await new Promise<Promise<void>>((resolve) => {
      const stop = second.fineTuning.jobs.subscribe(job.id, (e) => e.type === 'metrics' && (stop(), resolve(first.close())));
    });
    await closing;
    const done = await second.fineTuning.jobs.wait(job.id);
    expect(done.status).toBe('succeeded');
    expect(second.runsQueue()).toBe(true);
    expect(done.tabtune.adapter_sha256).toBe(straight.tabtune.adapter_sha256);
    const events = (await second.fineTuning.jobs.listEvents(job.id)).data;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(statuses(events)).toEqual(['validating_files', 'queued', 'running', 'queued', 'running', 'succeeded']);
    const requeued = events.filter((e) => e.type === 'status')[3].message;
    expect(requeued).toMatch(/its process ended; resumes from step [1-9]\d*$/);
    const look = await IdbJobStore.open(dbName);
    expect(await look.getResumePoint(job.id)).toBeNull();
    await look.close();
    console.log(`two tabs: ${requeued}; sha256 ${done.tabtune.adapter_sha256!.slice(0, 12)}… as uninterrupted`);
    await second.close();
  });
});
