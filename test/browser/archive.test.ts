// The backup archive carries the jobs API's stores: a real job (files, events, checkpoints, result, tuned model)
// and a paused one (its resume point) go out in one zip and come back into a fresh database equal record for
// record and byte for byte, and the restored ft: model predicts as before. A damaged archive is refused with the
// part it broke on, and leaves the database it was imported into as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { IdbJobStore, openTabtune, workerEngine } from '../../src/web';
import { WorkerClient } from '../../src/ui/worker-client';
import { generateEmails, toChatJsonl } from '../../src/data/synth';
import { openTabtuneDb, type TabtuneDb } from '../../src/store/db';
import { ARCHIVE_STORES, exportArchive, importArchive } from '../../src/store/archive';
import { sha256Hex } from '../../src/util/sha256';

const names: string[] = [];
const dbs: TabtuneDb[] = [];
async function freshDb(tag: string) {
  const name = `tabtune-archive-${tag}-${Math.random().toString(36).slice(2)}`;
  names.push(name);
  const db = await openTabtuneDb(name);
  dbs.push(db);
  return db;
}
const engine = () => workerEngine({ worker: new WorkerClient(), backend: 'wasm', ownsWorker: true });

/** Every store's records, with each byte payload replaced by its type, length and SHA-256, so toEqual compares bytes. */
async function snapshot(db: TabtuneDb): Promise<Record<string, unknown[]>> {
  const norm = async (v: unknown): Promise<unknown> => {
    if (v instanceof ArrayBuffer) return `ArrayBuffer ${v.byteLength} ${await sha256Hex(new Uint8Array(v))}`;
    if (ArrayBuffer.isView(v)) return `${v.constructor.name} ${v.byteLength} ${await sha256Hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))}`;
    if (Array.isArray(v)) return Promise.all(v.map(norm));
    if (v && typeof v === 'object') return Object.fromEntries(await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await norm(x)])));
    return v;
  };
  const out: Record<string, unknown[]> = {};
  for (const store of [...db.objectStoreNames].sort()) out[store] = (await norm(await db.getAll(store as never))) as unknown[];
  return out;
}
const counts = (snap: Record<string, unknown[]>) => Object.fromEntries(ARCHIVE_STORES.map((s) => [s, snap[s].length]));
const rezip = (zip: Uint8Array, edit: (files: Record<string, Uint8Array>) => void) => {
  const files = unzipSync(zip);
  edit(files);
  return zipSync(files);
};
const editManifest = (files: Record<string, Uint8Array>, edit: (m: { counts: Record<string, number>; parts?: Record<string, unknown> }) => void) => {
  const m = JSON.parse(strFromU8(files['manifest.json']));
  edit(m);
  files['manifest.json'] = strToU8(JSON.stringify(m));
};

let source: TabtuneDb;
let zip: Uint8Array;
let before: Record<string, unknown[]>;
let model: string;
let pausedJob: string;
const inputs = generateEmails({ count: 3, seed: 5 }).map((e) => e.text);
let predicted: Record<string, number>[];

beforeAll(async () => {
  source = await freshDb('source');
  const tt = await openTabtune({ store: new IdbJobStore(source), engine: engine() });
  try {
    const jobs = tt.fineTuning.jobs;
    const train = await tt.files.create({ file: { name: 'train.jsonl', text: toChatJsonl(generateEmails({ count: 40, seed: 1 })) }, purpose: 'fine-tune' });
    const validation = await tt.files.create({ file: { name: 'val.jsonl', text: toChatJsonl(generateEmails({ count: 12, seed: 2 })) }, purpose: 'fine-tune' });
    const params = { training_file: train.id, validation_file: validation.id, model: 'tiny-bert', hyperparameters: { n_epochs: 2, batch_size: 4 }, seed: 7 };
    const done = await jobs.wait((await jobs.create({ ...params, suffix: 'emails' })).id);
    expect(done.status).toBe('succeeded');
    model = done.fine_tuned_model!;
    // A second job paused after its first epoch's metrics: the only way a resume point stays in the store.
    const second = await jobs.create({ ...params, hyperparameters: { n_epochs: 3, batch_size: 4 } });
    await new Promise<void>((resolve) => {
      const stop = jobs.subscribe(second.id, (e) => e.type === 'metrics' && (stop(), resolve()));
    });
    expect((await jobs.pause(second.id)).status).toBe('paused');
    pausedJob = second.id;
    predicted = [];
    for (const input of inputs) predicted.push((await tt.predict({ model, input })).probabilities);
  } finally {
    await tt.close();
  }
  before = await snapshot(source);
  zip = await exportArchive(source);
});
afterAll(async () => {
  for (const db of dbs) db.close();
  for (const name of names) await deleteDB(name);
});

describe('backup archive with the jobs stores', () => {
  it('carries every store of the schema', async () => {
    expect([...ARCHIVE_STORES].sort()).toEqual([...source.objectStoreNames].sort());
  });

  it('fills every jobs store from a real job and a paused one, and lays out the zip with binary parts', async () => {
    expect(counts(before)).toEqual({
      datasets: 0, examples: 0, runs: 0, checkpoints: 0, predictions: 0, suites: 0,
      jobFiles: 2, jobFileExamples: 2, jobs: 2, jobEvents: before.jobEvents.length, jobCheckpoints: before.jobCheckpoints.length,
      jobResumePoints: 1, jobResults: 1, tunedModels: 1, tunedModelWeights: 1,
    });
    expect(before.jobEvents.length).toBeGreaterThan(8);
    // Two epochs of the finished job, one or more of the paused one.
    expect(before.jobCheckpoints.length).toBeGreaterThanOrEqual(3);
    expect((before.jobResumePoints[0] as { jobId: string }).jobId).toBe(pausedJob);

    const files = unzipSync(zip);
    const manifest = JSON.parse(strFromU8(files['manifest.json']));
    expect(manifest.counts).toEqual(counts(before));
    const enc = encodeURIComponent;
    const weights = `tunedModelWeights/${enc(model)}/weights.safetensors`;
    // Each binary part is listed with its length and hash; the JSON line names it where the bytes were.
    expect(Object.keys(manifest.parts).sort()).toEqual(Object.keys(files).filter((f) => !/\.jsonl$|^manifest\.json$/.test(f)).sort());
    expect(manifest.parts[weights]).toEqual({ bytes: files[weights].length, sha256: await sha256Hex(files[weights]) });
    expect(JSON.parse(strFromU8(files['tunedModelWeights.jsonl']))).toEqual({ id: model, weights: null, $files: { '/weights': { file: weights, type: 'ArrayBuffer' } } });
    const firstCk = JSON.parse(strFromU8(files['jobCheckpoints.jsonl']).split('\n')[0]);
    const stem = `jobCheckpoints/${enc(firstCk.jobId)}/${firstCk.step}/checkpoint`;
    expect(firstCk.$files).toEqual({
      '/checkpoint/adapter': { file: `${stem}/adapter.safetensors`, type: 'ArrayBuffer' },
      '/checkpoint/optimizer': { file: `${stem}/optimizer.safetensors`, type: 'ArrayBuffer' },
    });
    expect(firstCk.checkpoint).toMatchObject({ adapter: null, optimizer: null, step: firstCk.step });
    expect(files[`jobResumePoints/${enc(pausedJob)}/checkpoint/adapter.safetensors`].length).toBeGreaterThan(1000);
    // JSON-only stores carry no $files.
    expect(strFromU8(files['jobs.jsonl'])).not.toContain('$files');
  });

  it('imports into a fresh database equal record for record and byte for byte; the ft: model predicts the same', async () => {
    const target = await freshDb('target');
    expect(await importArchive(target, zip)).toEqual(counts(before));
    expect(await snapshot(target)).toEqual(before);
    const store = new IdbJobStore(target);
    const resume = (await store.getResumePoint(pausedJob))!;
    expect(resume.adapter).toBeInstanceOf(ArrayBuffer);
    expect(resume.step).toBeGreaterThan(0);

    const tt = await openTabtune({ store, engine: engine() });
    try {
      expect((await tt.models.list()).data.map((m) => m.id)).toContain(model);
      for (const [i, input] of inputs.entries()) expect((await tt.predict({ model, input })).probabilities).toEqual(predicted[i]);
      expect((await tt.fineTuning.jobs.retrieve(pausedJob)).status).toBe('paused');
    } finally {
      await tt.close();
    }

    // Again: every key is there, so nothing is written unless asked to overwrite.
    const none = Object.fromEntries(ARCHIVE_STORES.map((s) => [s, 0]));
    expect(await importArchive(target, zip)).toEqual(none);
    expect(await importArchive(target, zip, { overwrite: true })).toEqual(counts(before));
  });

  describe('refuses a damaged archive, naming the part, and changes nothing', () => {
    let target: TabtuneDb;
    let unchanged: Record<string, unknown[]>;
    beforeAll(async () => {
      // A database with something in it, to see that a refused import leaves it alone.
      target = await freshDb('damaged');
      await new IdbJobStore(target).putFile({ id: 'file-kept', object: 'file', bytes: 3, created_at: 1, filename: 'kept.jsonl', purpose: 'fine-tune', status: 'processed', tabtune: { format: 'chat-jsonl', examples: 1, labels: { a: 1 } } }, [{ text: 'x', label: 'a' }]);
      unchanged = await snapshot(target);
    });
    const refused = async (bad: Uint8Array, message: string) => {
      await expect(importArchive(target, bad)).rejects.toThrow(message);
      expect(await snapshot(target)).toEqual(unchanged);
    };
    const weightsPart = (files: Record<string, Uint8Array>) => Object.keys(files).find((f) => f.startsWith('tunedModelWeights/'))!;

    it('a truncated weights file', async () => {
      let name = '';
      const bad = rezip(zip, (f) => {
        name = weightsPart(f);
        f[name] = f[name].slice(0, -1);
      });
      await refused(bad, `${name} is ${unzipSync(zip)[name].length - 1} bytes; manifest.json recorded ${unzipSync(zip)[name].length}: the file is damaged or truncated.`);
    });

    it('a weights file with one byte changed', async () => {
      let name = '';
      const bad = rezip(zip, (f) => {
        name = weightsPart(f);
        f[name] = f[name].slice();
        f[name][f[name].length - 1] ^= 1;
      });
      await refused(bad, `${name} does not match the SHA-256 manifest.json recorded: the file is damaged.`);
    });

    it('a missing checkpoint file, listed in the manifest or not', async () => {
      const name = Object.keys(unzipSync(zip)).find((f) => f.startsWith('jobCheckpoints/') && f.endsWith('/optimizer.safetensors'))!;
      await refused(rezip(zip, (f) => delete f[name]), `${name} is listed in manifest.json but missing from the archive.`);
      const line = strFromU8(unzipSync(zip)['jobCheckpoints.jsonl']).split('\n').findIndex((l) => l.includes(name)) + 1;
      expect(line).toBeGreaterThan(0);
      const unlisted = rezip(zip, (f) => {
        delete f[name];
        editManifest(f, (m) => delete m.parts![name]);
      });
      await refused(unlisted, `jobCheckpoints.jsonl line ${line} refers to ${name}, which is missing from the archive.`);
    });

    it('a malformed JSON line, a dropped part, a record without its key', async () => {
      const events = (f: Record<string, Uint8Array>) => strFromU8(f['jobEvents.jsonl']).split('\n');
      const broken = rezip(zip, (f) => {
        const lines = events(f);
        lines[2] = lines[2].slice(0, 20);
        f['jobEvents.jsonl'] = strToU8(lines.join('\n'));
      });
      await refused(broken, 'jobEvents.jsonl line 3 is not valid JSON');
      await refused(rezip(zip, (f) => delete f['jobs.jsonl']), 'jobs.jsonl holds 0 records; manifest.json counted 2: the part is missing.');
      // Dropping whole lines keeps every line valid JSON: the manifest's count catches it.
      const short = rezip(zip, (f) => (f['jobEvents.jsonl'] = strToU8(events(f).slice(0, -2).join('\n'))));
      await refused(short, `jobEvents.jsonl holds ${before.jobEvents.length - 2} records; manifest.json counted ${before.jobEvents.length}: the part is damaged or truncated.`);
      // Found only inside the transaction, after every earlier store's records were queued: none of them land.
      const keyless = rezip(zip, (f) => {
        const { id: _, ...record } = JSON.parse(strFromU8(f['tunedModels.jsonl']));
        f['tunedModels.jsonl'] = strToU8(JSON.stringify(record));
      });
      await refused(keyless, 'tunedModels.jsonl line 1 has no valid key (id).');
    });
  });

  it('imports an archive made before the jobs stores (no job parts, no part checks)', async () => {
    const target = await freshDb('old');
    const old = zipSync({
      'manifest.json': strToU8(JSON.stringify({ format: 'tabtune-archive', schemaVersion: 2, created: '2024-01-01T00:00:00.000Z', counts: { datasets: 0, examples: 0, runs: 0, checkpoints: 1, predictions: 0, suites: 0 } })),
      'checkpoints.jsonl': strToU8(JSON.stringify({ step: 4, epoch: 1, batchIndex: 0, runId: 'r/1', created: 9, file: 'checkpoints/r%2F1/4' })),
      'checkpoints/r%2F1/4.adapter.safetensors': new Uint8Array([1, 2, 3]),
      'checkpoints/r%2F1/4.optimizer.safetensors': new Uint8Array([4]),
    });
    const none = Object.fromEntries(ARCHIVE_STORES.map((s) => [s, 0]));
    expect(await importArchive(target, old)).toEqual({ ...none, checkpoints: 1 });
    const [ck] = await target.getAll('checkpoints');
    expect({ ...ck, adapter: [...new Uint8Array(ck.adapter)], optimizer: [...new Uint8Array(ck.optimizer)] }).toEqual({ step: 4, epoch: 1, batchIndex: 0, runId: 'r/1', created: 9, adapter: [1, 2, 3], optimizer: [4] });
  });

  it('keeps NaN, Infinity and -0 and typed arrays inside a record', async () => {
    const db = await freshDb('numbers');
    const result = { steps: 1, trainLoss: [NaN, Infinity, -Infinity, -0, 0.5], nested: { probs: new Float32Array([0.25, 0.75]) } } as unknown as import('../../src/domain').TrainResult;
    await new IdbJobStore(db).putResult('ftjob-n', result);
    const target = await freshDb('numbers-target');
    await importArchive(target, await exportArchive(db));
    const back = (await new IdbJobStore(target).getResult('ftjob-n')) as unknown as { trainLoss: number[]; nested: { probs: Float32Array } };
    expect(back.trainLoss).toEqual([NaN, Infinity, -Infinity, -0, 0.5]);
    expect(Object.is(back.trainLoss[3], -0)).toBe(true);
    expect(back.nested.probs).toBeInstanceOf(Float32Array);
    expect([...back.nested.probs]).toEqual([0.25, 0.75]);
  });
});
