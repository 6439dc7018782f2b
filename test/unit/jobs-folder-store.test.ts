import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { readSafetensors } from '../../src/model/safetensors';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTabtune, nodeEngine } from '../../src/node';
import { generateEmails, toChatJsonl } from '../../src/data/synth';
import { writeFile } from 'node:fs/promises';

const dir = await mkdtemp(join(tmpdir(), 'tabtune-jobs-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a folder store', () => {
  it('keeps queued jobs across a restart, and a new client on the folder runs them in order', async () => {
    const path = join(dir, 'train.csv');
    await writeFile(path, 'text,label\n' + generateEmails({ count: 30, seed: 3 }).map((e) => `"${e.text.replace(/"/g, '""')}",${e.label}`).join('\n'));
    // The first process records jobs but does not run them, then ends.
    const first = await openTabtune({ store: dir, run: false });
    const file = await first.files.create({ file: path, purpose: 'fine-tune' });
    expect(file).toMatchObject({ filename: 'train.csv', tabtune: { format: 'csv', examples: 30 } });
    const params = { training_file: file.id, model: 'tiny-bert', hyperparameters: { n_epochs: 1, batch_size: 8 } };
    const a = await first.fineTuning.jobs.create(params);
    const b = await first.fineTuning.jobs.create(params);
    await first.close();
    expect((await readdir(join(dir, 'jobs'))).sort()).toEqual([a.id, b.id].sort());
    expect(await readdir(dir)).not.toContain(expect.stringContaining('.tmp-'));

    const second = await openTabtune({ store: dir, engine: nodeEngine({ backend: 'wasm' }) });
    expect((await second.fineTuning.jobs.retrieve(a.id)).status).toMatch(/queued|running/);
    await second.idle();
    const [da, db] = [await second.fineTuning.jobs.retrieve(a.id), await second.fineTuning.jobs.retrieve(b.id)];
    expect([da.status, db.status]).toEqual(['succeeded', 'succeeded']);
    expect(da.finished_at! <= db.finished_at!).toBe(true);
    const p = await second.predict({ model: db.fine_tuned_model!, input: 'Please find attached invoice 4411 for March.' });
    expect(Object.keys(p.probabilities).sort()).toEqual(db.tabtune.labels);
    await second.close();

    // A third client sees everything the second one wrote.
    const third = await openTabtune({ store: dir, run: false });
    expect((await third.models.list()).data.filter((m) => m.id.startsWith('ft:')).map((m) => m.id).sort()).toEqual([da.fine_tuned_model, db.fine_tuned_model].sort());
    expect((await third.fineTuning.jobs.checkpoints.list(a.id)).data.map((c) => c.epoch)).toEqual([1]);
    // An epoch's checkpoint keeps its weights and no optimizer state (two moments per weight): only the resume
    // point resumes.
    const folder = join(dir, 'jobs', a.id, 'checkpoints');
    const kept = await readdir(folder);
    expect(kept.map((f) => f.replace(/^[^.]+/, '*')).sort()).toEqual(['*.adapter.safetensors', '*.json', '*.optimizer.safetensors']);
    const optimizer = readSafetensors(await readFile(join(folder, kept.find((f) => f.endsWith('.optimizer.safetensors'))!)));
    expect(Object.keys(optimizer.tensors)).toEqual([]);
    expect(optimizer.metadata).toMatchObject({ count: '0', omitted: 'weights-only checkpoint' });
    expect(Object.keys(readSafetensors(await readFile(join(folder, kept.find((f) => f.endsWith('.adapter.safetensors'))!))).tensors).length).toBeGreaterThan(0);
    await third.close();
  });

  it('resumes a job its process left running from its last checkpoint, to the bytes of an uninterrupted run', async () => {
    const store = join(dir, 'restart');
    const first = await openTabtune({ store, engine: nodeEngine({ backend: 'wasm' }) });
    const file = await first.files.create({ file: { name: 'e.jsonl', text: toChatJsonl(generateEmails({ count: 40, seed: 4 })) }, purpose: 'fine-tune' });
    const params = { training_file: file.id, model: 'tiny-bert', hyperparameters: { n_epochs: 8, batch_size: 4 }, seed: 5 };
    const straight = await first.fineTuning.jobs.wait((await first.fineTuning.jobs.create(params)).id);
    const job = await first.fineTuning.jobs.create(params);
    // The process ends mid-run: close() is asked for inside the first checkpoint's callback, so the stop is requested
    // before the loop takes another step, however busy the machine is (awaiting the event first let a loaded machine
    // finish all 64 steps before close() was called).
    await new Promise<void>((resolve, reject) => {
      const stop = first.fineTuning.jobs.subscribe(job.id, (e) => {
        if (e.type !== 'checkpoint') return;
        stop();
        first.close().then(resolve, reject);
      });
    });
    expect((await (await openTabtune({ store, run: false })).fineTuning.jobs.retrieve(job.id)).status).toBe('running');

    const second = await openTabtune({ store, engine: nodeEngine({ backend: 'wasm' }) });
    const done = await second.fineTuning.jobs.wait(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.tabtune.adapter_sha256).toBe(straight.tabtune.adapter_sha256);
    const messages = (await second.fineTuning.jobs.listEvents(job.id)).data.filter((e) => e.type === 'status').map((e) => e.message);
    expect(messages.some((m) => /its process ended; resumes from step \d+/.test(m))).toBe(true);
    await second.close();
  });
});
