// A full disk loses nothing: the writes the store refuses for lack of space are kept in memory, in order, training
// goes on, reads see them (retrieve, events, predict), and they are saved when there is space again, to the same
// final state as a run that never met a full disk. Any other write failure still fails the job.
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryJobStore, openTabtune, nodeEngine, type FineTuningJob, type JobEvent, type JobStore } from '../../src/node';
import { isOutOfSpace } from '../../src/jobs/out-of-space';
import { generateEmails, toChatJsonl } from '../../src/data/synth';

const WRITES = new Set(['putFile', 'deleteFile', 'putJob', 'appendEvent', 'putCheckpoint', 'putResumePoint', 'putResult', 'putModel', 'deleteModel']);

/** A MemoryJobStore behind a disk that refuses writes while `full(n)` says so (n: the write's number), logging
 * every write it takes, in the order it takes them. */
function disk(full: (n: number) => boolean, refuse: () => unknown = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError')) {
  const inner = new MemoryJobStore();
  const taken: string[] = [];
  let n = 0;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !WRITES.has(prop)) return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        if (full(n++)) throw refuse();
        await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        const [a, b] = args as [{ id?: string; seq?: number; status?: string }, { seq?: number; step?: number }];
        taken.push(prop === 'appendEvent' ? `event ${a}:${b.seq}` : prop === 'putJob' ? `job ${a.id} ${a.status}` : prop);
      };
    },
  }) as JobStore;
  return { store, inner, taken };
}

const text = toChatJsonl(generateEmails({ count: 40, seed: 1 }));
const valText = toChatJsonl(generateEmails({ count: 12, seed: 2 }));
const params = { model: 'tiny-bert', hyperparameters: { n_epochs: 3, batch_size: 4 }, seed: 7 };
const engine = nodeEngine({ backend: 'wasm' });
const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const tt of opened) await tt.close();
});

async function runJob(store: JobStore, during?: (tt: Awaited<ReturnType<typeof openTabtune>>, id: string) => void) {
  const tt = await openTabtune({ store, engine });
  opened.push(tt);
  const train = await tt.files.create({ file: { name: 'train.jsonl', text }, purpose: 'fine-tune' });
  const val = await tt.files.create({ file: { name: 'val.jsonl', text: valText }, purpose: 'fine-tune' });
  const job = await tt.fineTuning.jobs.create({ ...params, training_file: train.id, validation_file: val.id });
  during?.(tt, job.id);
  await tt.fineTuning.jobs.wait(job.id);
  return { tt, id: job.id };
}

/** What two runs of one job must share: everything but ids, clocks and speeds. */
const same = (j: FineTuningJob) => ({ ...j, id: 0, created_at: 0, finished_at: 0, training_file: 0, validation_file: 0, fine_tuned_model: j.fine_tuned_model?.replace(j.id, 'JOB'), tabtune: { ...j.tabtune, created_at_ms: 0, seconds: 0 } });
const told = (events: JobEvent[]) => events.filter((e) => !/^storage_/.test(String((e.data as { kind?: string } | null)?.kind))).map((e) => `${e.level} ${e.type} ${e.message}`);
const storageNotes = (events: JobEvent[]) => events.map((e) => (e.data as { kind?: string } | null)?.kind).filter((k) => /^storage_/.test(String(k)));

const reference = await (async () => {
  const d = disk(() => false);
  const { tt, id } = await runJob(d.store);
  return { job: await tt.fineTuning.jobs.retrieve(id), events: (await tt.fineTuning.jobs.listEvents(id)).data, checkpoints: (await tt.fineTuning.jobs.checkpoints.list(id)).data, result: (await tt.fineTuning.jobs.result(id))! };
})();

describe('isOutOfSpace', () => {
  it('tells a full disk from other failures', () => {
    expect(isOutOfSpace(new DOMException('full', 'QuotaExceededError'))).toBe(true);
    expect(isOutOfSpace(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))).toBe(true);
    expect(isOutOfSpace(Object.assign(new Error('EDQUOT'), { code: 'EDQUOT' }))).toBe(true);
    expect(isOutOfSpace(new Error('wrapped', { cause: new DOMException('full', 'QuotaExceededError') }))).toBe(true);
    expect(isOutOfSpace(new DOMException('aborted', 'AbortError'))).toBe(false);
    expect(isOutOfSpace(Object.assign(new Error('EIO'), { code: 'EIO' }))).toBe(false);
    expect(isOutOfSpace(new Error('quota in a message is not enough'))).toBe(false);
    expect(isOutOfSpace(null)).toBe(false);
  });
});

describe('a full disk', () => {
  it('for a while mid-run: training goes on, the kept writes go through in order, the job ends as without it', async () => {
    // Full from the 20th write attempt (inside training) to the 35th: each write meanwhile tries the kept ones first.
    let refused = 0;
    const d = disk((n) => n >= 20 && n < 35 && ++refused > 0);
    const { tt, id } = await runJob(d.store);
    expect(refused).toBeGreaterThan(0);
    expect(tt.storage.pending()).toEqual([]);
    const job = await tt.fineTuning.jobs.retrieve(id);
    expect(job.status).toBe('succeeded');
    expect(job.tabtune.unsaved).toBeUndefined();
    expect(same(job)).toEqual(same(reference.job));
    const events = (await tt.fineTuning.jobs.listEvents(id)).data;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(told(events)).toEqual(told(reference.events));
    expect(storageNotes(events)).toEqual(['storage_full', 'storage_saved']);
    // The disk took every event once, in seq order.
    const seqs = d.taken.filter((t) => t.startsWith(`event ${id}:`)).map((t) => Number(t.split(':')[1]));
    expect(seqs).toEqual(events.map((e) => e.seq));
    expect((await d.inner.listEvents(id)).map((e) => e.message)).toEqual(events.map((e) => e.message));
    expect((await d.inner.getJob(id))!.status).toBe('succeeded');
    expect((await tt.fineTuning.jobs.checkpoints.list(id)).data.map((c) => c.metrics)).toEqual(reference.checkpoints.map((c) => c.metrics));
    expect({ ...(await d.inner.getResult(id))!, seconds: 0, runId: 0 }).toEqual({ ...reference.result, seconds: 0, runId: 0 });
  });

  it('until after the job ends: the job reads succeeded and unsaved, predict works, and retry() saves it all', async () => {
    let full = false;
    const d = disk(() => full);
    const { tt, id } = await runJob(d.store, (tt, id) => {
      const stop = tt.fineTuning.jobs.subscribe(id, (e) => e.type === 'metrics' && (stop(), (full = true)));
    });
    const job = await tt.fineTuning.jobs.retrieve(id);
    expect(job.status).toBe('succeeded');
    expect(job.tabtune.unsaved).toBe(true);
    expect(job.tabtune.adapter_sha256).toBe(reference.job.tabtune.adapter_sha256);
    const pending = tt.storage.pending();
    expect(pending.length).toBeGreaterThan(10);
    expect(pending.every((p) => p.job_id === id)).toBe(true);
    expect(pending.at(-1)!.label).toMatch(/^event \d+ of /);
    expect(pending.some((p) => p.label === `model ${job.fine_tuned_model}`)).toBe(true);
    // On the disk the job is still running; in memory it is done, and its model answers.
    expect((await d.inner.getJob(id))!.status).toBe('running');
    expect(await d.inner.getModel(job.fine_tuned_model!)).toBeNull();
    const p = await tt.predict({ model: job.fine_tuned_model!, input: 'Invoice 2291 is attached; payment is due in 30 days.' });
    expect(Object.keys(p.probabilities).sort()).toEqual([...job.tabtune.labels!].sort());
    expect((await tt.fineTuning.jobs.result(id))!.adapterSha256).toBe(reference.result.adapterSha256);

    expect(await tt.storage.retry()).toEqual({ saved: 0, pending: pending.length });
    full = false;
    expect(await tt.storage.retry()).toEqual({ saved: pending.length, pending: 0 });
    await tt.idle();
    await new Promise((r) => setTimeout(r, 50)); // the storage_saved note is written behind the retry
    const saved = (await d.inner.getJob(id))!;
    expect(saved.tabtune.unsaved).toBeUndefined();
    expect(same(saved)).toEqual(same(reference.job));
    expect(same(await tt.fineTuning.jobs.retrieve(id))).toEqual(same(reference.job));
    const events = await d.inner.listEvents(id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(told(events)).toEqual(told(reference.events));
    expect(storageNotes(events)).toEqual(['storage_full', 'storage_saved']);
    expect(new Uint8Array((await d.inner.getModelWeights(job.fine_tuned_model!))!).length).toBeGreaterThan(0);
  });

  it('any other write failure fails the job with storage_error', async () => {
    const d = disk((n) => n === 20, () => Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }));
    const { tt, id } = await runJob(d.store);
    const job = await tt.fineTuning.jobs.retrieve(id);
    expect(job.status).toBe('failed');
    expect(job.error).toEqual({ code: 'storage_error', message: 'EIO: i/o error, write', param: null });
    expect(tt.storage.pending()).toEqual([]);
  });
});
