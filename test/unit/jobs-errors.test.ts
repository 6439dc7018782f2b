import { afterAll, describe, expect, it } from 'vitest';
import { MemoryJobStore, TabtuneError, openTabtune, nodeEngine, type FileObject } from '../../src/node';
import { generateEmails, toChatJsonl } from '../../src/data/synth';

const store = new MemoryJobStore();
// run: false: these cases are refused before anything would train.
const tt = await openTabtune({ store, engine: nodeEngine(), run: false });
afterAll(() => tt.close());
const emails = { name: 'emails.jsonl', text: toChatJsonl(generateEmails({ count: 30, seed: 1 })) };

async function refusal(p: Promise<unknown>): Promise<TabtuneError> {
  const e = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(e).toBeInstanceOf(TabtuneError);
  return e as TabtuneError;
}

describe('jobs API refusals: a code, a message, nothing written', async () => {
  const file = await tt.files.create({ file: emails, purpose: 'fine-tune' });
  const ok = { training_file: file.id, model: 'tiny-bert' };
  const jobsBefore = async () => (await tt.fineTuning.jobs.list()).data.length;

  it('files.create refuses a wrong purpose and a bad file, with the importer\'s file and line', async () => {
    expect((await refusal(tt.files.create({ file: emails, purpose: 'batch' as 'fine-tune' }))).code).toBe('invalid_purpose');
    const lines = emails.text.split('\n');
    lines[3] = '{"messages": [{"role": "user", "content": "hi"}]}';
    const bad = await refusal(tt.files.create({ file: { name: 'bad.jsonl', text: lines.join('\n') }, purpose: 'fine-tune' }));
    expect(bad.code).toBe('invalid_file');
    expect(bad.errors[0]).toMatchObject({ file: 'bad.jsonl', line: 4 });
    expect(bad.message).toContain('bad.jsonl:4');
    expect((await tt.files.list()).data.map((f) => f.id)).toEqual([file.id]);
  });

  it('jobs.create refuses each bad input with its code and param, and writes no job', async () => {
    const cases: [Record<string, unknown>, string, string | null][] = [
      [{ ...ok, model: 'no-such-model' }, 'model_not_found', 'model'],
      [{ ...ok, training_file: 'file-missing' }, 'file_not_found', 'training_file'],
      [{ ...ok, validation_file: 'file-missing' }, 'file_not_found', 'validation_file'],
      [{ ...ok, hyperparameters: { n_epochs: 0 } }, 'invalid_hyperparameters', 'hyperparameters.n_epochs'],
      [{ ...ok, hyperparameters: { n_epochs: 2.5 } }, 'invalid_hyperparameters', 'hyperparameters.n_epochs'],
      [{ ...ok, hyperparameters: { batch_size: 1000 } }, 'invalid_hyperparameters', 'hyperparameters.batch_size'],
      [{ ...ok, hyperparameters: { learning_rate_multiplier: 0 } }, 'invalid_hyperparameters', 'hyperparameters.learning_rate_multiplier'],
      [{ ...ok, hyperparameters: { learning_rate_multiplier: 11 } }, 'invalid_hyperparameters', 'hyperparameters.learning_rate_multiplier'],
      [{ ...ok, hyperparameters: { warmup: 3 } }, 'invalid_hyperparameters', 'hyperparameters.warmup'],
      [{ ...ok, method: { type: 'supervised' } }, 'invalid_method', 'method.type'],
      [{ ...ok, method: { type: 'lora', lora: { r: 0 } } }, 'invalid_method', 'method.lora.r'],
      [{ ...ok, method: { type: 'head', lora: { r: 4 } } }, 'invalid_method', 'method.lora'],
      [{ ...ok, suffix: 'has space' }, 'invalid_suffix', 'suffix'],
      [{ ...ok, seed: -1 }, 'invalid_seed', 'seed'],
      [{ ...ok, tabtune: { config: { maxLen: 4 } } }, 'invalid_hyperparameters', 'tabtune.config.maxLen'],
      [{ ...ok, tabtune: { config: { warmupRatio: 1.5 } } }, 'invalid_hyperparameters', 'tabtune.config.warmupRatio'],
      [{ ...ok, tabtune: { config: { epochs: 3 } } }, 'invalid_hyperparameters', 'tabtune.config.epochs'],
      [{ ...ok, tabtune: { config: { mixShare: 0.2 } } }, 'invalid_hyperparameters', 'tabtune.config.mixShare'],
      [{ ...ok, tabtune: { config: { earlyStopping: 'yes' } } }, 'invalid_hyperparameters', 'tabtune.config.earlyStopping'],
      [{ ...ok, tabtune: { config: { trainTokens: 1 } } }, 'invalid_hyperparameters', 'tabtune.config.trainTokens'],
      [{ ...ok, tabtune: { config: { readWhole: 'yes' } } }, 'invalid_hyperparameters', 'tabtune.config.readWhole'],
      [{ ...ok, hyperparameters: { learning_rate_multiplier: 2 }, tabtune: { config: { lr: 1e-3 } } }, 'invalid_hyperparameters', 'tabtune.config.lr'],
      [{ ...ok, tabtune: { test_file: file.id } }, 'invalid_input', 'tabtune.test_file'],
      [{ ...ok, validation_file: file.id, tabtune: { test_file: 'file-missing' } }, 'file_not_found', 'tabtune.test_file'],
      [{ ...ok, tabtune: { suites: [{ name: 'mine', file: 'file-missing' }] } }, 'file_not_found', 'tabtune.suites[0].file'],
      [{ ...ok, tabtune: { suites: [{ name: ' ', file: file.id }] } }, 'invalid_input', 'tabtune.suites[0].name'],
      [{ ...ok, tabtune: { mix: { file: file.id, share: 0 } } }, 'invalid_input', 'tabtune.mix.share'],
      [{ ...ok, tabtune: { mix: { file: 'file-missing', share: 0.2 } } }, 'file_not_found', 'tabtune.mix.file'],
    ];
    for (const [params, code, param] of cases) {
      const e = await refusal(tt.fineTuning.jobs.create(params as never));
      expect([JSON.stringify(params), e.code, e.param]).toEqual([JSON.stringify(params), code, param]);
      expect(e.message.length).toBeGreaterThan(20);
    }
    expect(await jobsBefore()).toBe(0);
  });

  it('refuses a file uploaded for another purpose', async () => {
    const other: FileObject = { ...file, id: 'file-other', purpose: 'batch' as 'fine-tune' };
    await store.putFile(other, []);
    const e = await refusal(tt.fineTuning.jobs.create({ ...ok, training_file: 'file-other' }));
    expect([e.code, e.param]).toEqual(['invalid_purpose', 'training_file']);
    await store.deleteFile('file-other');
  });

  it('takes a small one-label file for evaluation only ("evals"), never to train on', async () => {
    const few = { name: 'spam-only.jsonl', text: toChatJsonl(generateEmails({ count: 40, seed: 5 }).filter((e) => e.label === 'spam').slice(0, 3)) };
    const refused = await refusal(tt.files.create({ file: few, purpose: 'fine-tune' }));
    expect(refused.code).toBe('invalid_file');
    expect(refused.message).toContain('only 3 usable examples');
    const evals = await tt.files.create({ file: few, purpose: 'evals' });
    expect(evals.tabtune).toMatchObject({ examples: 3, labels: { spam: 3 } });
    const e = await refusal(tt.fineTuning.jobs.create({ ...ok, training_file: evals.id }));
    expect([e.code, e.param]).toEqual(['invalid_purpose', 'training_file']);
    const m = await refusal(tt.fineTuning.jobs.create({ ...ok, tabtune: { mix: { file: evals.id, share: 0.5 } } }));
    expect([m.code, m.param]).toEqual(['invalid_purpose', 'tabtune.mix.file']);
    expect(await jobsBefore()).toBe(0);
    await tt.files.delete(evals.id);
  });

  it('a retried create with the same idempotency key returns the first job; different parameters are refused', async () => {
    const a = await tt.fineTuning.jobs.create({ ...ok, idempotency_key: 'k1' });
    const b = await tt.fineTuning.jobs.create({ ...ok, idempotency_key: 'k1' });
    expect(b.id).toBe(a.id);
    const e = await refusal(tt.fineTuning.jobs.create({ ...ok, seed: 3, idempotency_key: 'k1' }));
    expect(e.code).toBe('idempotency_key_reused');
    expect(e.message).toContain(a.id);
    expect(await jobsBefore()).toBe(1);
    // Steering refusals: a job that cannot be resumed, an unknown job, a file in use, a base model.
    expect((await refusal(tt.fineTuning.jobs.resume(a.id))).code).toBe('invalid_state');
    expect((await refusal(tt.fineTuning.jobs.retrieve('ftjob-nope'))).code).toBe('job_not_found');
    expect((await refusal(tt.files.delete(file.id))).code).toBe('invalid_state');
    expect((await refusal(tt.models.delete('tiny-bert'))).code).toBe('model_not_deletable');
    expect((await refusal(tt.predict({ model: 'tiny-bert', input: 'hello' }))).code).toBe('missing_labels');
    expect((await refusal(tt.predict({ model: 'ft:tiny-bert:local::ftjob-nope', input: 'hello' }))).code).toBe('model_not_found');
    const cancelled = await tt.fineTuning.jobs.cancel(a.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await refusal(tt.fineTuning.jobs.cancel(a.id))).code).toBe('invalid_state');
    expect((await tt.files.delete(file.id)).deleted).toBe(true);
  });
});

describe('jobs API settings a request may give', () => {
  it('readWhole: true unless a request turns it off', async () => {
    const { resolveParams } = await import('../../src/jobs/params');
    const p = { model: 'tabtune-mini', training_file: 'file-x' };
    expect(resolveParams(p).config.readWhole).toBe(true);
    expect(resolveParams({ ...p, tabtune: { config: { readWhole: false } } }).config.readWhole).toBe(false);
  });
});
