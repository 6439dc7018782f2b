import { describe, expect, it } from 'vitest';
import { workerEngine, type TrainWorkerPort } from '../../src/jobs/web/worker-engine';
import type { FromWorker, ToWorker } from '../../src/protocol';
import type { Checkpoint, TrainResult } from '../../src/domain';
import type { SessionHooks } from '../../src/train/session';
import { EngineDeviceLost, type EngineRun } from '../../src/jobs/engine';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';

// The worker engine against a scripted worker: which messages it sends, how the worker's replies become the
// session's hooks, and what it does when the worker breaks. The real worker is in test/browser/jobs-*.test.ts.
type Script = (msg: ToWorker, emit: (m: FromWorker) => void) => void;

function fakeWorker(script: Script) {
  const sent: ToWorker[] = [];
  const calls: string[] = [];
  const listeners = new Set<(m: FromWorker) => void>();
  const emit = (m: FromWorker) => listeners.forEach((fn) => fn(m));
  const port: TrainWorkerPort = {
    init: async (b) => void calls.push(`init ${b}`),
    restart: async (b) => void calls.push(`restart ${b}`),
    send: (msg) => {
      sent.push(msg);
      queueMicrotask(() => script(msg, emit));
    },
    on: (fn) => (listeners.add(fn), () => listeners.delete(fn)),
    predict: async () => [0.25, 0.75],
    countTokens: async (_m, texts) => Int32Array.from(texts, (t) => t.length),
    terminate: () => void calls.push('terminate'),
  };
  return { port, sent, calls, emit };
}

const ckpt = (step: number, batchIndex = 0): Checkpoint => ({ step, epoch: 1, batchIndex, adapter: new ArrayBuffer(2), optimizer: new ArrayBuffer(2) });
const run: EngineRun = {
  runId: 'ftjob-1',
  modelId: 'tiny-bert',
  // texts of 3, 100 and 5 characters; maxLen 64 caps the middle one
  data: { labels: ['a', 'b'], train: [{ text: 'aaa', label: 'a' }, { text: 'b'.repeat(100), label: 'b' }, { text: 'ccccc', label: 'a' }], validation: [], test: [] },
  config: { ...DEFAULT_TRAIN_CONFIG, maxLen: 64, batchSize: 2, epochs: 2 },
  resume: ckpt(1, 1),
  suites: [],
};
const result = { steps: 4, adapterSha256: 'x' } as unknown as TrainResult;

function recorder() {
  const seen: string[] = [];
  const hooks: SessionHooks = {
    status: (phase, detail) => seen.push(`status ${phase} ${detail ?? ''}`.trim()),
    baseline: (b) => seen.push(`baseline ${b.totalSteps} ${'type' in b || 'runId' in b}`),
    progress: (p) => seen.push(`progress ${p.step} ${'type' in p}`),
    evaluated: (e) => seen.push(`eval ${e.step} ${'type' in e}`),
    checkpoint: (c) => seen.push(`checkpoint ${c.step}`),
  };
  return { seen, hooks };
}
const never = { isCancelled: () => false, whilePaused: async () => {} };

describe('the worker engine', () => {
  it('sends the run as a TrainRequest and turns the worker’s messages for it into hooks; others’ are ignored', async () => {
    const w = fakeWorker((msg, emit) => {
      if (msg.type !== 'train') return;
      emit({ type: 'status', runId: 'page-run', phase: 'training' }); // the page's own run: not this job's
      emit({ type: 'prediction', requestId: 'r1', labels: [], probs: [] });
      emit({ type: 'status', runId: msg.runId, phase: 'training', detail: 'epoch 1' });
      emit({ type: 'baseline', runId: msg.runId, before: {} as never, trainableParams: 1, totalParams: 2, pooling: 'cls', totalSteps: 4 });
      emit({ type: 'progress', runId: msg.runId, step: 2, totalSteps: 4, epoch: 1 } as never);
      emit({ type: 'eval', runId: msg.runId, epoch: 0, step: 2, trainLoss: 1, valLoss: 1, valAccuracy: 0.5 });
      emit({ type: 'checkpoint', runId: msg.runId, checkpoint: ckpt(2) });
      emit({ type: 'done', result });
    });
    const engine = workerEngine({ worker: w.port, backend: 'wasm', baseUrl: 'http://app.test/base/' });
    const { seen, hooks } = recorder();
    const out = await engine.train(run, hooks, never);
    expect(w.calls).toEqual(['init wasm']);
    const train = w.sent[0] as Extract<ToWorker, { type: 'train' }>;
    expect(train).toMatchObject({ type: 'train', runId: 'ftjob-1', model: { id: 'tiny-bert', url: 'http://app.test/base/models/tiny-bert' }, resume: run.resume, config: run.config });
    expect('modelId' in train).toBe(false);
    expect(seen).toEqual(['status training epoch 1', 'baseline 4 false', 'progress 2 false', 'eval 2 false', 'checkpoint 2']);
    // (3 + 64 + 5) tokens an epoch, 2 steps an epoch, 4 steps run: two epochs' worth.
    expect(out).toEqual({ result, trainedTokens: 144 });
  });

  it('passes a stop on as one cancel message, and answers cancelled when the worker stops', async () => {
    let stop = false;
    const w = fakeWorker((msg, emit) => {
      if (msg.type === 'train') emit({ type: 'progress', runId: msg.runId, step: 1, totalSteps: 4, epoch: 0 } as never);
      if (msg.type === 'cancel') {
        emit({ type: 'checkpoint', runId: 'ftjob-1', checkpoint: ckpt(3, 1) });
        emit({ type: 'cancelled', runId: 'ftjob-1', step: 0 });
      }
    });
    const engine = workerEngine({ worker: w.port, baseUrl: 'http://app.test/' });
    const { seen, hooks } = recorder();
    const pending = engine.train(run, { ...hooks, progress: (p) => ((stop = true), hooks.progress(p)) }, { isCancelled: () => stop, whilePaused: async () => {} });
    expect(await pending).toBe('cancelled');
    expect(w.sent.map((m) => m.type)).toEqual(['train', 'cancel']);
    expect(seen).toEqual(['progress 1 false', 'checkpoint 3']);
  });

  it('fails a run the worker fails, and gives the next run a fresh worker after a crash or a lost GPU', async () => {
    let reply: FromWorker = { type: 'error', runId: 'ftjob-1', message: 'training loss became NaN' };
    const w = fakeWorker((msg, emit) => msg.type === 'train' && emit(reply));
    const engine = workerEngine({ worker: w.port, backend: 'webgpu', baseUrl: 'http://app.test/' });
    const { hooks } = recorder();
    await expect(engine.train(run, hooks, never)).rejects.toThrow('training loss became NaN');
    reply = { type: 'error', message: 'The training worker crashed: boom' };
    await expect(engine.train(run, hooks, never)).rejects.toThrow('crashed');
    reply = { type: 'error', runId: 'ftjob-1', message: 'GPU lost', deviceLost: true };
    // Typed, so the runner runs the job again on wasm rather than failing it.
    await expect(engine.train(run, hooks, never)).rejects.toSatisfy((e) => e instanceof EngineDeviceLost && e.message === 'GPU lost');
    reply = { type: 'done', result };
    await engine.train(run, hooks, never);
    expect(w.calls).toEqual(['init webgpu', 'restart webgpu', 'restart wasm']);
  });

  it('predicts through the worker with the adapter given, refuses models it does not offer, and ends only a worker it owns', async () => {
    const w = fakeWorker(() => {});
    const engine = workerEngine({ worker: w.port, baseUrl: 'http://app.test/', baseModels: ['tiny-bert'], ownsWorker: true });
    expect(engine.baseModels()).toEqual(['tiny-bert']);
    expect(await engine.predict({ modelId: 'tiny-bert', labels: ['a', 'b'], config: run.config, text: 'x' })).toEqual([0.25, 0.75]);
    await expect(engine.predict({ modelId: 'tabtune-mini', labels: ['a'], config: run.config, text: 'x' })).rejects.toThrow('no model "tabtune-mini"');
    await engine.dispose!();
    expect(w.calls).toEqual(['init null', 'terminate']);
    const shared = fakeWorker(() => {});
    await workerEngine({ worker: shared.port, baseUrl: 'http://app.test/' }).dispose!();
    expect(shared.calls).toEqual([]);
  });
});
