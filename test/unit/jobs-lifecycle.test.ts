import { afterAll, describe, expect, it } from 'vitest';
import { MemoryJobStore, openTabtune, nodeEngine, type JobEvent, type JobStatus } from '../../src/node';
import { generateEmails, toChatJsonl } from '../../src/data/synth';

// tiny-bert on wasm: 40 training and 12 validation emails, batch 4, so an epoch is 10 steps and a job a few seconds.
const store = new MemoryJobStore();
const tt = await openTabtune({ store, engine: nodeEngine({ backend: 'wasm' }) });
afterAll(() => tt.close());
const jobs = tt.fineTuning.jobs;
const train = await tt.files.create({ file: { name: 'train.jsonl', text: toChatJsonl(generateEmails({ count: 40, seed: 1 })) }, purpose: 'fine-tune' });
const validationExamples = generateEmails({ count: 12, seed: 2 });
const validation = await tt.files.create({ file: { name: 'val.jsonl', text: toChatJsonl(validationExamples) }, purpose: 'fine-tune' });
const params = { training_file: train.id, validation_file: validation.id, model: 'tiny-bert', hyperparameters: { n_epochs: 2, batch_size: 4 }, seed: 7 };
const statuses = (events: JobEvent[]) => events.filter((e) => e.type === 'status').map((e) => (e.data as { status: JobStatus }).status);

describe('a job from create to succeeded', () => {
  it('moves validating_files → queued → running → succeeded, with its events complete and in order', async () => {
    const job = await jobs.create({ ...params, suffix: 'emails', hyperparameters: { ...params.hyperparameters, learning_rate_multiplier: 0.5 } });
    expect(job).toMatchObject({ object: 'fine_tuning.job', status: 'validating_files', model: 'tiny-bert', fine_tuned_model: null, seed: 7, error: null });
    expect(job.hyperparameters).toEqual({ n_epochs: 2, batch_size: 4, learning_rate_multiplier: 0.5 });
    expect(job.tabtune.config.lr).toBeCloseTo(2e-2 * 0.5, 12); // tiny-bert's default rate, halved

    const followed: JobEvent[] = [];
    for await (const e of jobs.events(job.id, { follow: true })) followed.push(e);
    const done = await jobs.retrieve(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.fine_tuned_model).toBe(`ft:tiny-bert:local:emails:${job.id}`);
    expect(done.trained_tokens).toBeGreaterThan(40 * 2 * 5);
    expect(done.finished_at).toBeGreaterThanOrEqual(done.created_at);
    expect(done.tabtune.after!.accuracy).toBeGreaterThanOrEqual(0);
    expect(done.tabtune.baseline!.accuracy).toBeGreaterThan(0);
    expect(done.tabtune.step).toBe(20);
    expect(done.tabtune.token_params).toBe(0); // tiny-bert trains no token rows by default

    // The followed stream is the stored log, gap-free and in order.
    const listed = (await jobs.listEvents(job.id)).data;
    expect(followed.map((e) => e.seq)).toEqual(listed.map((e) => e.seq));
    expect(listed.map((e) => e.seq)).toEqual(listed.map((_, i) => i));
    expect(statuses(listed)).toEqual(['validating_files', 'queued', 'running', 'succeeded']);
    const steps = listed.filter((e) => e.type === 'metrics').map((e) => (e.data as { step: number }).step);
    expect(steps).toEqual([10, 20]); // loss read every 10 steps and at each epoch's end
    for (const e of listed) expect(['info', 'warn', 'error']).toContain(e.level);
    expect(listed.some((e) => e.type === 'warning' && (e.data as { kind: string }).kind === 'overfit-risk')).toBe(true);

    const checkpoints = (await jobs.checkpoints.list(job.id)).data;
    expect(checkpoints.map((c) => [c.step_number, c.epoch])).toEqual([[10, 1], [20, 2]]);
    const evals = listed.filter((e) => e.type === 'evaluation' && 'valid_loss' in (e.data ?? {}));
    expect(checkpoints.map((c) => c.metrics.valid_loss)).toEqual(evals.map((e) => (e.data as { valid_loss: number }).valid_loss));
    expect(checkpoints.every((c) => c.metrics.valid_accuracy! >= 0 && c.metrics.valid_accuracy! <= 1)).toBe(true);

    // predict with the ft: model answers as the run itself did on its test examples (the validation file).
    const result = (await jobs.result(job.id))!;
    const labels = done.tabtune.labels!;
    for (const i of [0, 5]) {
      const p = await tt.predict({ model: done.fine_tuned_model!, input: validationExamples[i].text });
      expect(p.label).toBe(labels[result.after.predictions[i]]);
      labels.forEach((l, k) => expect(p.probabilities[l]).toBeCloseTo(result.after.probs[i][k], 6));
      expect(p.baseline!.label).toBe(labels[result.baseline.predictions[i]]);
    }
    expect((await tt.models.list()).data.map((m) => m.id)).toContain(done.fine_tuned_model);
  });

  it('says how many of its trainable parameters are token rows, and warns about them when they dominate', async () => {
    const job = await jobs.wait((await jobs.create({ ...params, tabtune: { config: { trainTokens: true } } })).id);
    const rows = job.tabtune.token_params!;
    // Embedding rows of 64 floats (tiny-bert's hidden size), one per distinct token of the 40 training emails.
    expect(rows).toBeGreaterThan(0);
    expect(rows % 64).toBe(0);
    const plain = await jobs.wait((await jobs.create(params)).id);
    expect(job.tabtune.trainable_params! - rows).toBe(plain.tabtune.trainable_params);
    const warning = (await jobs.listEvents(job.id)).data.find((e) => e.type === 'warning' && (e.data as { kind: string }).kind === 'overfit-risk')!;
    expect((warning.data as { suggestions: string[] }).suggestions.join(' ')).toContain(`${rows.toLocaleString('en-US')} of the ${job.tabtune.trainable_params!.toLocaleString('en-US')} trainable parameters are embedding rows`);
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
    // b starts only after a has finished: its running event comes after a's succeeded event.
    expect(statuses(evB)).toEqual(['validating_files', 'queued', 'running', 'succeeded']);
    expect(at(evB, 'running').created_at).toBeGreaterThanOrEqual(at(evA, 'succeeded').created_at);
    expect((await jobs.retrieve(a.id)).finished_at! <= (await jobs.retrieve(b.id)).finished_at!).toBe(true);
    const evC = (await jobs.listEvents(c.id)).data;
    expect(statuses(evC)).not.toContain('running');
    expect((await jobs.retrieve(c.id)).status).toBe('cancelled');
    // Same seed, same data: the two runs end with the same adapter.
    expect((await jobs.retrieve(a.id)).tabtune.adapter_sha256).toBe((await jobs.retrieve(b.id)).tabtune.adapter_sha256);
  });

  it('cancels a running job between steps', async () => {
    const job = await jobs.create({ ...params, hyperparameters: { n_epochs: 20, batch_size: 4 } });
    await new Promise<void>((resolve) => {
      const stop = jobs.subscribe(job.id, (e) => e.type === 'metrics' && (stop(), resolve()));
    });
    const cancelled = await jobs.cancel(job.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.fine_tuned_model).toBeNull();
    expect(cancelled.tabtune.step!).toBeLessThan(200);
    expect(statuses((await jobs.listEvents(job.id)).data)).toEqual(['validating_files', 'queued', 'running', 'cancelled']);
  });

  it('pauses and resumes to the same final adapter bytes as an uninterrupted run with the same seed', async () => {
    const straight = await jobs.wait((await jobs.create({ ...params, hyperparameters: { n_epochs: 3, batch_size: 4 } })).id);
    const job = await jobs.create({ ...params, hyperparameters: { n_epochs: 3, batch_size: 4 } });
    await new Promise<void>((resolve) => {
      const stop = jobs.subscribe(job.id, (e) => e.type === 'metrics' && (stop(), resolve()));
    });
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
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    expect(done.tabtune.adapter_sha256).toBe(straight.tabtune.adapter_sha256);
  });
});

describe('what tabtune adds to a request', () => {
  it('scores before/after on tabtune.test_file, each suite file under its name and id, with tabtune.config applied', async () => {
    const testExamples = generateEmails({ count: 16, seed: 3 });
    const test = await tt.files.create({ file: { name: 'test.jsonl', text: toChatJsonl(testExamples) }, purpose: 'fine-tune' });
    const suite = await tt.files.create({ file: { name: 'suite.jsonl', text: toChatJsonl(generateEmails({ count: 11, seed: 4 })) }, purpose: 'evals' });
    const job = await jobs.create({
      ...params,
      hyperparameters: { n_epochs: 1, batch_size: 4 },
      tabtune: { test_file: test.id, suites: [{ file: suite.id, name: 'my suite', id: 'suite-1' }], config: { maxLen: 24, lr: 3e-3, warmupRatio: 0 } },
    });
    expect(job.tabtune.config).toMatchObject({ maxLen: 24, lr: 3e-3, warmupRatio: 0, epochs: 1, earlyStopping: false });
    expect(job.hyperparameters.learning_rate_multiplier).toBeCloseTo(3e-3 / 2e-2, 12);
    const done = await jobs.wait(job.id);
    expect(done.status).toBe('succeeded');
    const result = (await jobs.result(job.id))!;
    expect(result.after.predictions).toHaveLength(16); // the test file, not the 12 validation emails
    expect(result.suites!.map((s) => [s.suiteId, s.name, s.after.predictions.length])).toEqual([['suite-1', 'my suite', 11]]);
    expect(done.tabtune.suites!.map((s) => s.name)).toEqual(['my suite']);
    // Scored as the run scored its test examples: the tuned model's answers on the test file.
    const p = await tt.predict({ model: done.fine_tuned_model!, input: testExamples[2].text });
    expect(p.label).toBe(done.tabtune.labels![result.after.predictions[2]]);
  });
});

describe('a page run as a job', () => {
  it('trains on the splits the page pins for a dataset, with an earlier dataset mixed in as the page mixes it', async () => {
    const { splitDataset } = await import('../../src/data/split');
    const { mixIn } = await import('../../src/data/mix');
    const { loadJobData } = await import('../../src/jobs/job-data');
    const { makeContext } = await import('../../src/jobs/context');
    const examples = generateEmails({ count: 50, seed: 8 });
    const earlier = generateEmails({ count: 30, seed: 9 });
    const file = await tt.files.create({ file: { name: 'dataset.jsonl', text: toChatJsonl(examples) }, purpose: 'fine-tune' });
    const earlierFile = await tt.files.create({ file: { name: 'earlier.jsonl', text: toChatJsonl(earlier) }, purpose: 'fine-tune' });
    const job = await jobs.create({ training_file: file.id, model: 'tiny-bert', seed: 3, tabtune: { mix: { file: earlierFile.id, share: 0.25 } } });
    expect(job.tabtune.config).toMatchObject({ mixShare: 0.25, mixFrom: earlierFile.id });
    await jobs.cancel(job.id);
    // What the page does (src/ui/dataset-loader.ts splits with seed 0; run-controller mixes the earlier training split in).
    const page = splitDataset(examples, { seed: 0 });
    const strip = (xs: { text: string; label: string }[]) => xs.map(({ text, label }) => ({ text, label }));
    const labels = [...new Set(examples.map((e) => e.label))].sort();
    const pageTrain = mixIn(strip(page.train), strip(splitDataset(earlier, { seed: 0 }).train), labels, 0.25, 3).train;
    const data = await loadJobData(makeContext(store, null as never), job);
    if (!data.ok) throw new Error(data.error.message);
    expect(data.data.train).toEqual(pageTrain);
    expect(data.data.train.length).toBe(page.train.length + Math.round(0.25 * page.train.length));
    expect(data.data.validation).toEqual(strip(page.validation));
    expect(data.data.test).toEqual(strip(page.test));
    expect(data.data.labels).toEqual(labels);
  });
});
