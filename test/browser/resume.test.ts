// A tab closed mid-training: the worker dies, its last stored checkpoint survives in IndexedDB, and a new worker
// resumes from it with the same data order. It ends with the weights, optimizer state and test predictions of
// the same run left alone (a restore that zeroes the Adam moments, resets the step or picks an older checkpoint
// ends elsewhere).
import { describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import type { FromWorker, ToWorker, TrainRequest } from '../../src/protocol';
import type { Checkpoint } from '../../src/domain';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';
import { keywordEmails as generateEmails } from '../helpers/keyword-emails';
import { splitDataset } from '../../src/data/split';
import { openTabtuneDb } from '../../src/store/db';
import { createRun, markInterruptedRuns, getRun } from '../../src/store/runs';
import { saveCheckpoint, latestCheckpoint } from '../../src/store/checkpoints';
import { readSafetensors } from '../../src/model/safetensors';

/** Largest difference between two safetensors files' tensors, which must have the same names and shapes. */
function maxTensorDiff(a: ArrayBuffer, b: ArrayBuffer): { diff: number; tensors: number } {
  const ta = readSafetensors(new Uint8Array(a), 'a').tensors;
  const tb = readSafetensors(new Uint8Array(b), 'b').tensors;
  expect(Object.keys(ta).sort()).toEqual(Object.keys(tb).sort());
  let diff = 0;
  for (const [name, t] of Object.entries(ta)) {
    expect(tb[name].shape, name).toEqual(t.shape);
    t.data.forEach((x, i) => (diff = Math.max(diff, Math.abs(x - tb[name].data[i]))));
  }
  return { diff, tensors: Object.keys(ta).length };
}

function worker() {
  const w = new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module' });
  const seen: FromWorker[] = [];
  const listeners: ((m: FromWorker) => void)[] = [];
  w.onmessage = (e: MessageEvent<FromWorker>) => {
    seen.push(e.data);
    listeners.forEach((l) => l(e.data));
  };
  const until = (pred: (m: FromWorker) => boolean) =>
    new Promise<FromWorker>((resolve) => {
      const hit = seen.find(pred);
      if (hit) return resolve(hit);
      listeners.push((m) => pred(m) && resolve(m));
    });
  return { w, seen, listeners, until, send: (m: ToWorker) => w.postMessage(m) };
}

describe('resume after the worker is terminated', () => {
  it('continues from the last stored checkpoint and ends exactly where the uninterrupted run ends', async () => {
    const name = `tabtune-resume-${Date.now()}`;
    const db = await openTabtuneDb(name);
    const ex = generateEmails({ count: 400, seed: 4 });
    const sp = splitDataset(ex, { seed: 0 });
    const strip = (xs: { text: string; label: string }[]) => xs.map(({ text, label }) => ({ text, label }));
    const request: TrainRequest = {
      type: 'train',
      runId: 'resume-run',
      model: { id: 'tiny-bert', url: new URL('/models/tiny-bert', location.href).href },
      data: { labels: ['invoice', 'order', 'spam', 'support'], train: strip(sp.train), validation: strip(sp.validation), test: strip(sp.test) },
      config: { ...DEFAULT_TRAIN_CONFIG, epochs: 2, checkpointEvery: 8, maxLen: 64, lr: 2e-2 },
    };
    await createRun(db, {
      id: 'resume-run', datasetHash: 'x', modelId: 'tiny-bert', modelRevision: 'bundled', method: 'lora', config: request.config, seed: 0,
      backend: 'wasm', status: 'running', created: Date.now(), elapsedMs: 0, step: 0, totalSteps: 40, epochMetrics: [], lossCurve: [], labels: request.data.labels,
    });

    // First worker: store each checkpoint as the page does; "close the tab" after the second one (step 16).
    const first = worker();
    first.send({ type: 'init', backend: 'wasm' });
    await first.until((m) => m.type === 'ready');
    let stored = 0;
    const killed = new Promise<void>((resolve) =>
      first.listeners.push(async (m) => {
        if (m.type !== 'checkpoint') return;
        await saveCheckpoint(db, m.runId, m.checkpoint);
        if (++stored === 2) {
          first.w.terminate();
          resolve();
        }
      }),
    );
    first.send(request);
    await killed;
    expect(await markInterruptedRuns(db)).toEqual(['resume-run']);
    expect((await getRun(db, 'resume-run'))!.status).toBe('interrupted');
    const ckpt = (await latestCheckpoint(db, 'resume-run'))!;
    expect(ckpt).toMatchObject({ step: 16, epoch: 0, batchIndex: 16 });

    // A new worker (the reloaded tab) resumes from the stored checkpoint.
    const second = worker();
    second.send({ type: 'init', backend: 'wasm' });
    await second.until((m) => m.type === 'ready');
    second.send({ ...request, resume: ckpt });
    const end = await second.until((m) => m.type === 'done' || m.type === 'error');
    if (end.type === 'error') throw new Error(end.message);
    const steps = second.seen.filter((m) => m.type === 'progress').map((m) => (m as { step: number }).step);
    expect(steps[0]).toBe(17);
    expect(steps[steps.length - 1]).toBe(40);
    expect(end.type === 'done' && end.result.steps).toBe(40);
    second.w.terminate();

    // The same run, never interrupted.
    const straight = worker();
    straight.send({ type: 'init', backend: 'wasm' });
    await straight.until((m) => m.type === 'ready');
    straight.send(request);
    const whole = await straight.until((m) => m.type === 'done' || m.type === 'error');
    if (whole.type === 'error') throw new Error(whole.message);
    straight.w.terminate();
    // The loop's last epoch-end checkpoint (step 40) carries the weights and AdamW's moments and step count.
    const lastOf = (seen: FromWorker[]) => (seen.find((m) => m.type === 'checkpoint' && m.checkpoint.step === 40) as Extract<FromWorker, { type: 'checkpoint' }>).checkpoint;
    const [resumed, uninterrupted] = [lastOf(second.seen), lastOf(straight.seen)];
    const weights = maxTensorDiff(resumed.adapter, uninterrupted.adapter);
    const moments = maxTensorDiff(resumed.optimizer, uninterrupted.optimizer);
    const optimizerStep = (b: ArrayBuffer) => readSafetensors(new Uint8Array(b), 'optimizer').metadata?.step;
    console.log(`resume: weights differ by ${weights.diff.toExponential(2)} over ${weights.tensors} tensors, optimizer state by ${moments.diff.toExponential(2)} over ${moments.tensors}`);
    expect(weights.tensors).toBeGreaterThan(2);
    expect(weights.diff).toBeLessThanOrEqual(1e-6);
    expect(moments.tensors).toBe(2 * (weights.tensors));
    expect(moments.diff).toBeLessThanOrEqual(1e-6);
    expect(optimizerStep(resumed.optimizer)).toBe('40');
    expect(optimizerStep(uninterrupted.optimizer)).toBe('40');
    const [a, b] = [(end as Extract<FromWorker, { type: 'done' }>).result, (whole as Extract<FromWorker, { type: 'done' }>).result];
    expect(a.after.predictions).toEqual(b.after.predictions);
    a.after.probs.forEach((row, i) => row.forEach((p, j) => expect(Math.abs(p - b.after.probs[i][j])).toBeLessThanOrEqual(1e-6)));
    expect(a.adapterSha256).toBe(b.adapterSha256);
    db.close();
    await deleteDB(name);
  });

  it('a lost GPU device stops the run with its good checkpoints, and a CPU worker finishes it from the last one', async () => {
    const ex = generateEmails({ count: 200, seed: 5 });
    const sp = splitDataset(ex, { seed: 0 });
    const strip = (xs: { text: string; label: string }[]) => xs.map(({ text, label }) => ({ text, label }));
    const request: TrainRequest = {
      type: 'train',
      runId: 'gpu-lost',
      model: { id: 'tiny-bert', url: new URL('/models/tiny-bert', location.href).href },
      data: { labels: ['invoice', 'order', 'spam', 'support'], train: strip(sp.train), validation: strip(sp.validation), test: strip(sp.test) },
      config: { ...DEFAULT_TRAIN_CONFIG, epochs: 1, checkpointEvery: 2, lossReadEvery: 1, maxLen: 32, lr: 2e-2 },
    };
    const gpu = worker();
    gpu.send({ type: 'init', backend: 'webgpu' });
    const ready = await gpu.until((m) => m.type === 'ready');
    expect(ready.type === 'ready' && ready.choice.backend).toBe('webgpu');
    const checkpoints: Checkpoint[] = [];
    gpu.listeners.push((m) => {
      if (m.type !== 'checkpoint') return;
      checkpoints.push(m.checkpoint);
      // The device goes away after the first checkpoint, as on a driver reset.
      if (checkpoints.length === 1) gpu.send({ type: 'simulate-device-loss' });
    });
    gpu.send(request);
    const end = await gpu.until((m) => m.type === 'error' || m.type === 'done');
    expect(end.type).toBe('error');
    expect(end.type === 'error' && end.deviceLost).toBe(true);
    expect(end.type === 'error' && end.message).toMatch(/^The GPU stopped giving trustworthy results .*device lost \(destroyed\)/);
    // Only the checkpoint taken before the loss was handed out.
    expect(checkpoints.map((c) => c.step)).toEqual([2]);
    gpu.w.terminate();

    const cpu = worker();
    cpu.send({ type: 'init', backend: 'wasm' });
    await cpu.until((m) => m.type === 'ready');
    cpu.send({ ...request, resume: checkpoints[0] });
    const done = await cpu.until((m) => m.type === 'done' || m.type === 'error');
    if (done.type === 'error') throw new Error(done.message);
    const steps = cpu.seen.filter((m) => m.type === 'progress').map((m) => (m as { step: number }).step);
    expect(steps[0]).toBe(3);
    expect(done.type === 'done' && done.result.steps).toBe(Math.ceil(sp.train.length / 16));
    expect(done.type === 'done' && done.result.backend).toBe('wasm');
    cpu.w.terminate();
  });
});
