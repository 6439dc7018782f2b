// The jobs API in the page: the IndexedDB store and the training worker, through the real protocol and the real
// tiny-bert. 40 training and 12 validation emails, batch 4: an epoch is 10 steps and a job a few seconds on wasm.
import { afterAll, describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import { IdbJobStore, openTabtune, workerEngine, type JobEvent, type JobStatus } from '../../src/web';
import { WorkerClient } from '../../src/ui/worker-client';
import { generateEmails, toChatJsonl } from '../../src/data/synth';

const dbName = `tabtune-jobs-${Date.now()}`;
const store = await IdbJobStore.open(dbName);
const tt = await openTabtune({ store, engine: workerEngine({ worker: new WorkerClient(), backend: 'wasm', ownsWorker: true }) });
afterAll(async () => {
  await tt.close();
  await deleteDB(dbName);
});
const jobs = tt.fineTuning.jobs;
const train = await tt.files.create({ file: { name: 'train.jsonl', text: toChatJsonl(generateEmails({ count: 40, seed: 1 })) }, purpose: 'fine-tune' });
const validationExamples = generateEmails({ count: 12, seed: 2 });
const validation = await tt.files.create({ file: { name: 'val.jsonl', text: toChatJsonl(validationExamples) }, purpose: 'fine-tune' });
const params = { training_file: train.id, validation_file: validation.id, model: 'tiny-bert', hyperparameters: { n_epochs: 2, batch_size: 4 }, seed: 7 };
const statuses = (events: JobEvent[]) => events.filter((e) => e.type === 'status').map((e) => (e.data as { status: JobStatus }).status);
const firstMetrics = (id: string) =>
  new Promise<void>((resolve) => {
    const stop = jobs.subscribe(id, (e) => e.type === 'metrics' && (stop(), resolve()));
  });

describe('jobs in the page (IndexedDB store, training worker)', () => {
  it('moves validating_files → queued → running → succeeded, with its events complete and in order', async () => {
    const job = await jobs.create({ ...params, suffix: 'emails' });
    expect(job.status).toBe('validating_files');
    const followed: JobEvent[] = [];
    for await (const e of jobs.events(job.id, { follow: true })) followed.push(e);
    const done = await jobs.retrieve(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.fine_tuned_model).toBe(`ft:tiny-bert:local:emails:${job.id}`);
    expect(done.trained_tokens).toBeGreaterThan(40 * 2 * 5);
    expect(done.tabtune.step).toBe(20);
    expect(done.tabtune.adapter_sha256).toMatch(/^[0-9a-f]{64}$/);

    const listed = (await jobs.listEvents(job.id)).data;
    expect(followed.map((e) => e.seq)).toEqual(listed.map((e) => e.seq));
    expect(listed.map((e) => e.seq)).toEqual(listed.map((_, i) => i));
    expect(statuses(listed)).toEqual(['validating_files', 'queued', 'running', 'succeeded']);
    expect(listed.filter((e) => e.type === 'metrics').map((e) => (e.data as { step: number }).step)).toEqual([10, 20]);
    const checkpoints = (await jobs.checkpoints.list(job.id)).data;
    expect(checkpoints.map((c) => [c.step_number, c.epoch])).toEqual([[10, 1], [20, 2]]);

    // The tuned model answers in the worker as the run did on its test examples (the validation file).
    const result = (await jobs.result(job.id))!;
    const labels = done.tabtune.labels!;
    const p = await tt.predict({ model: done.fine_tuned_model!, input: validationExamples[0].text });
    expect(p.label).toBe(labels[result.after.predictions[0]]);
    labels.forEach((l, k) => expect(p.probabilities[l]).toBeCloseTo(result.after.probs[0][k], 5));
    expect((await tt.models.list()).data.map((m) => m.id)).toContain(done.fine_tuned_model);
    console.log(`browser job: ${done.tabtune.seconds?.toFixed(1)} s, after ${done.tabtune.after!.accuracy.toFixed(3)}, ${done.trained_tokens} tokens`);
  });

  it('runs queued jobs one after another, and a cancelled queued job never starts', async () => {
    const a = await jobs.create(params);
    const b = await jobs.create(params);
    const c = await jobs.create(params);
    await jobs.cancel(c.id);
    await Promise.all([jobs.wait(a.id), jobs.wait(b.id)]);
    const evA = (await jobs.listEvents(a.id)).data;
    const evB = (await jobs.listEvents(b.id)).data;
    const at = (ev: JobEvent[], s: JobStatus) => ev.find((e) => e.type === 'status' && (e.data as { status: string }).status === s)!;
    expect(statuses(evA)).toEqual(['validating_files', 'queued', 'running', 'succeeded']);
    expect(statuses(evB)).toEqual(['validating_files', 'queued', 'running', 'succeeded']);
    expect(at(evB, 'running').created_at).toBeGreaterThanOrEqual(at(evA, 'succeeded').created_at);
    // b's run began after a's ended: no metrics of b between a's running and succeeded.
    expect(evB.filter((e) => e.type === 'metrics').every((e) => e.created_at >= at(evA, 'succeeded').created_at)).toBe(true);
    // Cancelled while still validating or once queued: either way it never ran.
    const evC = statuses((await jobs.listEvents(c.id)).data);
    expect(evC).not.toContain('running');
    expect(evC.at(-1)).toBe('cancelled');
    expect((await jobs.checkpoints.list(c.id)).data).toEqual([]);
    expect((await jobs.retrieve(c.id)).status).toBe('cancelled');
    expect((await jobs.retrieve(a.id)).tabtune.adapter_sha256).toBe((await jobs.retrieve(b.id)).tabtune.adapter_sha256);
  });

  it('cancels a running job between steps', async () => {
    const job = await jobs.create({ ...params, hyperparameters: { n_epochs: 20, batch_size: 4 } });
    await firstMetrics(job.id);
    const cancelled = await jobs.cancel(job.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.fine_tuned_model).toBeNull();
    expect(cancelled.tabtune.step!).toBeLessThan(200);
    expect(await store.getResumePoint(job.id)).toBeNull();
    expect(statuses((await jobs.listEvents(job.id)).data)).toEqual(['validating_files', 'queued', 'running', 'cancelled']);
    // The worker is free again: the next job runs.
    expect((await jobs.wait((await jobs.create(params)).id)).status).toBe('succeeded');
  });

  it('pauses and resumes to the same final adapter bytes as an uninterrupted run with the same seed', async () => {
    const hyper = { n_epochs: 3, batch_size: 4 };
    const straight = await jobs.wait((await jobs.create({ ...params, hyperparameters: hyper })).id);
    const job = await jobs.create({ ...params, hyperparameters: hyper });
    await firstMetrics(job.id);
    const paused = await jobs.pause(job.id);
    expect(paused.status).toBe('paused');
    const stoppedAt = (await store.getResumePoint(job.id))!.step;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(30);
    await jobs.resume(job.id);
    const done = await jobs.wait(job.id);
    expect(done.status).toBe('succeeded');
    expect(statuses((await jobs.listEvents(job.id)).data)).toEqual(['validating_files', 'queued', 'running', 'paused', 'queued', 'running', 'succeeded']);
    const a = new Uint8Array((await store.getModelWeights(straight.fine_tuned_model!))!);
    const b = new Uint8Array((await store.getModelWeights(done.fine_tuned_model!))!);
    expect(b.length).toBe(a.length);
    expect(b).toEqual(a);
    expect(done.tabtune.adapter_sha256).toBe(straight.tabtune.adapter_sha256);
    console.log(`paused at step ${stoppedAt} of 30; adapter ${a.length} bytes, sha256 ${done.tabtune.adapter_sha256!.slice(0, 12)}…`);
  });
});
