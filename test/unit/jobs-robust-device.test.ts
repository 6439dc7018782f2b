// A lost GPU: the engine throws EngineDeviceLost, and the runner runs the job again once, from its last resume
// point (on the CPU, where the engine has moved), instead of failing it. A second loss, or any other engine
// failure, fails the job with engine_error.
import { afterAll, describe, expect, it } from 'vitest';
import { EngineDeviceLost, type JobEngine } from '../../src/jobs/engine';
import { MemoryJobStore, openTabtune, nodeEngine, type JobEvent, type JobStatus } from '../../src/node';
import { generateEmails, toChatJsonl } from '../../src/data/synth';

const statuses = (events: JobEvent[]) => events.filter((e) => e.type === 'status').map((e) => (e.data as { status: JobStatus }).status);

/**
 * The wasm engine, losing its device at step `at` in its first `losses` runs of a job: the loop stops there and
 * nothing it reports after the loss reaches the runner (a lost device's results cannot be trusted), so the job
 * carries on from the resume point it had. Deterministic: the retry ends with an uninterrupted run's bytes.
 */
function losingEngine(at: number, losses: number, fail: (step: number) => Error = (step) => new EngineDeviceLost(`GPU device lost at step ${step}`)) {
  const inner = nodeEngine({ backend: 'wasm' });
  const runs: { jobId: string; from: number }[] = [];
  const engine: JobEngine = {
    ...inner,
    async train(run, hooks, control) {
      runs.push({ jobId: run.runId, from: run.resume?.step ?? 0 });
      if (runs.length > losses) return inner.train(run, hooks, control);
      let lost = 0;
      const live = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A) => void (lost || fn(...a));
      const out = await inner.train(
        run,
        {
          status: live(hooks.status),
          baseline: live(hooks.baseline),
          evaluated: live(hooks.evaluated),
          checkpoint: live(hooks.checkpoint),
          progress: (p) => {
            if (lost) return;
            hooks.progress(p);
            if (p.step >= at) lost = p.step;
          },
        },
        { ...control, isCancelled: () => lost > 0 || control.isCancelled() },
      );
      if (lost) throw fail(lost);
      return out;
    },
  };
  return { engine, runs };
}

const store = new MemoryJobStore();
const plain = await openTabtune({ store, engine: nodeEngine({ backend: 'wasm' }) });
afterAll(() => plain.close());
const train = await plain.files.create({ file: { name: 'train.jsonl', text: toChatJsonl(generateEmails({ count: 40, seed: 1 })) }, purpose: 'fine-tune' });
const validation = await plain.files.create({ file: { name: 'val.jsonl', text: toChatJsonl(generateEmails({ count: 12, seed: 2 })) }, purpose: 'fine-tune' });
// 3 epochs of 10 steps; epoch ends are resume points.
const params = { training_file: train.id, validation_file: validation.id, model: 'tiny-bert', hyperparameters: { n_epochs: 3, batch_size: 4 }, seed: 7 };
const straight = await plain.fineTuning.jobs.wait((await plain.fineTuning.jobs.create(params)).id);

describe('a lost GPU', () => {
  it('puts the job back in the queue once, says so, and it ends with the adapter of an uninterrupted run', async () => {
    const { engine, runs } = losingEngine(15, 1);
    const tt = await openTabtune({ store: new MemoryJobStore(), engine });
    const file = await tt.files.create({ file: { name: 'train.jsonl', text: toChatJsonl(generateEmails({ count: 40, seed: 1 })) }, purpose: 'fine-tune' });
    const val = await tt.files.create({ file: { name: 'val.jsonl', text: toChatJsonl(generateEmails({ count: 12, seed: 2 })) }, purpose: 'fine-tune' });
    const job = await tt.fineTuning.jobs.create({ ...params, training_file: file.id, validation_file: val.id });
    const done = await tt.fineTuning.jobs.wait(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.error).toBeNull();
    expect(done.tabtune.adapter_sha256).toBe(straight.tabtune.adapter_sha256);
    expect(runs).toEqual([{ jobId: job.id, from: 0 }, { jobId: job.id, from: 10 }]);
    const events = (await tt.fineTuning.jobs.listEvents(job.id)).data;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(statuses(events)).toEqual(['validating_files', 'queued', 'running', 'queued', 'running', 'succeeded']);
    const warned = events.filter((e) => e.level === 'warn' && (e.data as { kind?: string }).kind === 'device_lost');
    expect(warned.map((e) => e.message)).toEqual(['The GPU was lost at step 15 (GPU device lost at step 15); the job continues on the CPU (wasm) from step 10.']);
    expect(warned[0].data).toEqual({ kind: 'device_lost', lost_at_step: 15, resumes_from_step: 10, fallback: 'the CPU (wasm)' });
    expect(events.filter((e) => e.type === 'status')[3].message).toBe('Job queued: the GPU was lost; resumes from step 10 on the CPU (wasm)');
    expect((await tt.fineTuning.jobs.checkpoints.list(job.id)).data.map((c) => c.step_number)).toEqual([10, 20, 30]);
    await tt.close();
  });

  it('fails a job that loses its device a second time, or fails in any other way, with engine_error', async () => {
    const twice = losingEngine(5, 2);
    const tt = await openTabtune({ store, engine: twice.engine });
    const job = await tt.fineTuning.jobs.wait((await tt.fineTuning.jobs.create(params)).id);
    expect(job.status).toBe('failed');
    expect(job.error).toEqual({ code: 'engine_error', message: 'GPU device lost at step 5', param: null });
    expect(twice.runs.map((r) => r.from)).toEqual([0, 0]);
    const events = (await tt.fineTuning.jobs.listEvents(job.id)).data;
    expect(statuses(events)).toEqual(['validating_files', 'queued', 'running', 'queued', 'running', 'failed']);
    expect(events.filter((e) => (e.data as { kind?: string } | null)?.kind === 'device_lost')).toHaveLength(1);
    await tt.close();

    const crash = losingEngine(5, 1, () => new Error('The training worker crashed: wasm abort'));
    const other = await openTabtune({ store, engine: crash.engine });
    const crashed = await other.fineTuning.jobs.wait((await other.fineTuning.jobs.create(params)).id);
    expect(crashed.status).toBe('failed');
    expect(crashed.error).toEqual({ code: 'engine_error', message: 'The training worker crashed: wasm abort', param: null });
    expect(crash.runs).toHaveLength(1);
    await other.close();
  });
});
