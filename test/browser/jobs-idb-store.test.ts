// The page's JobStore on IndexedDB: every record back as written, logs and checkpoints in order, and each write
// whole or not at all (a file never without its examples, a model never without its weights).
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import { IdbJobStore } from '../../src/jobs/web/idb-store';
import type { CheckpointObject, FileObject, FineTuningJob, JobEvent, TunedModelRecord } from '../../src/jobs/types';
import type { Checkpoint, Example } from '../../src/domain';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';

let store: IdbJobStore | null = null;
let name = '';
async function fresh() {
  name = `tabtune-jobstore-${Math.random().toString(36).slice(2)}`;
  return (store = await IdbJobStore.open(name));
}
afterEach(async () => {
  await store?.close();
  await deleteDB(name);
});

const file = (id: string): FileObject => ({
  id, object: 'file', bytes: 10, created_at: 1, filename: `${id}.jsonl`, purpose: 'fine-tune', status: 'processed',
  tabtune: { format: 'chat-jsonl', examples: 2, labels: { a: 1, b: 1 } },
});
const examples: Example[] = [{ text: 'x', label: 'a' }, { text: 'y', label: 'b' }];
const job = (id: string): FineTuningJob => ({
  id, object: 'fine_tuning.job', created_at: 1, finished_at: null, model: 'tiny-bert', fine_tuned_model: null, organization_id: 'local',
  status: 'queued', training_file: 'file-a', validation_file: null, method: { type: 'lora' }, hyperparameters: { n_epochs: 1, batch_size: 4, learning_rate_multiplier: 1 },
  result_files: [], trained_tokens: null, error: null, seed: 0, suffix: null, tabtune: { created_at_ms: 1, config: DEFAULT_TRAIN_CONFIG },
});
const event = (seq: number): JobEvent => ({ id: `ev-${seq}`, object: 'fine_tuning.job.event', seq, created_at: seq, level: 'info', type: 'message', message: `m${seq}`, data: null });
const ckpt = (step: number): Checkpoint => ({ step, epoch: 1, batchIndex: 0, adapter: new Uint8Array([step, 1, 2]).buffer, optimizer: new Float32Array([step / 2]).buffer });
const meta = (step: number): CheckpointObject => ({ id: `ck-${step}`, object: 'fine_tuning.job.checkpoint', created_at: 1, fine_tuning_job_id: 'ftjob-a', step_number: step, epoch: 1, metrics: { step, train_loss: 0.5, valid_loss: 0.4, valid_accuracy: 0.9 } });
const model = (id: string): TunedModelRecord => ({ model: { id, object: 'model', created: 1, owned_by: 'local', tabtune: { base_model: 'tiny-bert', job_id: 'ftjob-a', labels: ['a', 'b'] } }, config: DEFAULT_TRAIN_CONFIG, baseline_train: examples });
const bytes = (b: ArrayBuffer | null) => (b ? [...new Uint8Array(b)] : null);

describe('IdbJobStore', () => {
  it('keeps files with their examples, and deletes both together', async () => {
    const s = await fresh();
    await s.putFile(file('file-b'), examples);
    await s.putFile(file('file-a'), examples.slice(0, 1));
    expect((await s.listFiles()).map((f) => f.id)).toEqual(['file-a', 'file-b']);
    expect(await s.getFile('file-b')).toEqual(file('file-b'));
    expect(await s.getFileExamples('file-b')).toEqual(examples);
    expect(await s.deleteFile('file-b')).toBe(true);
    expect(await s.deleteFile('file-b')).toBe(false);
    expect(await s.getFile('file-b')).toBeNull();
    expect(await s.getFileExamples('file-b')).toBeNull();
    expect(await s.getFileExamples('file-a')).toEqual(examples.slice(0, 1));
  });

  it('writes a file and its examples in one transaction: a failed write leaves neither', async () => {
    const s = await fresh();
    // Examples that cannot be stored (a function is not cloneable, as a full disk is not writable) fail the
    // second put of the transaction; the file record of the first must not land either.
    const bad = [...examples, { text: 'z', label: 'a', oops: () => 1 } as unknown as Example];
    await expect(s.putFile(file('file-c'), bad)).rejects.toThrow();
    expect(await s.getFile('file-c')).toBeNull();
    expect(await s.listFiles()).toEqual([]);
    const badWeights = { not: 'bytes', f: () => 1 } as unknown as ArrayBuffer;
    await expect(s.putModel(model('ft:tiny-bert:local::ftjob-a'), badWeights)).rejects.toThrow();
    expect(await s.getModel('ft:tiny-bert:local::ftjob-a')).toBeNull();
    expect(await s.listModels()).toEqual([]);
  });

  it('keeps jobs in id order, events in seq order (numerically), and refuses a second event with a seq', async () => {
    const s = await fresh();
    await s.putJob(job('ftjob-b'));
    await s.putJob(job('ftjob-a'));
    await s.putJob({ ...job('ftjob-a'), status: 'running' });
    expect((await s.listJobs()).map((j) => [j.id, j.status])).toEqual([['ftjob-a', 'running'], ['ftjob-b', 'queued']]);
    expect(await s.getJob('ftjob-c')).toBeNull();
    for (const seq of [0, 1, 2, 9, 10, 11]) await s.appendEvent('ftjob-a', event(seq));
    await s.appendEvent('ftjob-b', event(0));
    expect((await s.listEvents('ftjob-a')).map((e) => e.seq)).toEqual([0, 1, 2, 9, 10, 11]);
    expect(await s.listEvents('ftjob-b')).toEqual([event(0)]);
    await expect(s.appendEvent('ftjob-a', { ...event(10), message: 'again' })).rejects.toThrow();
    expect((await s.listEvents('ftjob-a'))[4].message).toBe('m10');
  });

  it('keeps checkpoints by step (a step written again replaces it), resume points, results and models with weights', async () => {
    const s = await fresh();
    for (const step of [20, 10, 100]) await s.putCheckpoint('ftjob-a', meta(step), ckpt(step));
    await s.putCheckpoint('ftjob-a', { ...meta(20), id: 'ck-20-again' }, ckpt(20));
    expect((await s.listCheckpoints('ftjob-a')).map((c) => [c.id, c.step_number])).toEqual([['ck-10', 10], ['ck-20-again', 20], ['ck-100', 100]]);
    expect(await s.listCheckpoints('ftjob-b')).toEqual([]);

    expect(await s.getResumePoint('ftjob-a')).toBeNull();
    await s.putResumePoint('ftjob-a', ckpt(13));
    const point = (await s.getResumePoint('ftjob-a'))!;
    expect({ ...point, adapter: bytes(point.adapter), optimizer: [...new Float32Array(point.optimizer)] }).toEqual({ ...ckpt(13), adapter: [13, 1, 2], optimizer: [6.5] });
    await s.putResumePoint('ftjob-a', null);
    expect(await s.getResumePoint('ftjob-a')).toBeNull();

    expect(await s.getResult('ftjob-a')).toBeNull();
    const result = { steps: 3, adapterSha256: 'abc' } as unknown as import('../../src/domain').TrainResult;
    await s.putResult('ftjob-a', result);
    expect(await s.getResult('ftjob-a')).toEqual(result);

    const id = 'ft:tiny-bert:local::ftjob-a';
    await s.putModel(model(id), new Uint8Array([9, 8, 7]).buffer);
    expect(await s.getModel(id)).toEqual(model(id));
    expect(bytes(await s.getModelWeights(id))).toEqual([9, 8, 7]);
    expect(await s.listModels()).toEqual([model(id)]);
    expect(await s.deleteModel(id)).toBe(true);
    expect(await s.deleteModel(id)).toBe(false);
    expect(await s.getModelWeights(id)).toBeNull();
  });
});
