import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../src/config';
import { trainLoop, crossEntropy } from '../../src/train/loop';
import { decodeCheckpoint } from '../../src/train/checkpoint';
import type { Checkpoint, StepInfo } from '../../src/domain';
import { fakeClassifier, toyData } from '../helpers/fake-model';

const cfg = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  ...DEFAULT_TRAIN_CONFIG,
  method: 'full',
  epochs: 3,
  batchSize: 8,
  lr: 0.05,
  warmupRatio: 0,
  lossReadEvery: 5,
  checkpointEvery: 0,
  earlyStopping: false,
  maxLen: 32,
  ...over,
});
const data = { train: toyData(96, 3, 1), validation: toyData(30, 3, 2), padId: 0 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('crossEntropy', () => {
  it('equals the hand-computed mean negative log-softmax', () => {
    // Row 1: logits [0, ln 3] -> p(label 1) = 3/4; row 2: logits [0, 0] -> p(label 0) = 1/2.
    const loss = tf.tidy(() => crossEntropy(tf.tensor2d([[0, Math.log(3)], [0, 0]]), tf.tensor1d([1, 0], 'int32'), 2).dataSync()[0]);
    expect(loss).toBeCloseTo((-Math.log(0.75) - Math.log(0.5)) / 2, 6);
  });
});

describe('trainLoop', () => {
  it('learns a separable toy task, reads the loss back only every N steps, and leaks no tensors', async () => {
    const model = fakeClassifier(100, 8, 3, 7);
    const steps: StepInfo[] = [];
    const memory: number[] = [];
    const res = await trainLoop(model, data, cfg({ epochs: 6 }), {
      onStep: (s) => steps.push(s),
      onEval: () => memory.push(tf.memory().numTensors),
    });
    expect(res.stop).toBe('finished');
    expect(res.steps).toBe(12 * 6);
    expect(steps.length).toBe(72);
    // Readbacks: every 5th step plus the last step of each epoch (12, 24, ...), nothing else.
    const readSteps = steps.filter((s) => s.loss !== undefined).map((s) => s.step);
    expect(readSteps.slice(0, 4)).toEqual([5, 10, 12, 15]);
    expect(readSteps.every((s) => s % 5 === 0 || s % 12 === 0)).toBe(true);
    expect(res.trainLoss[5]).toBeLessThan(res.trainLoss[0] * 0.5);
    expect(res.valAccuracy[5]).toBeGreaterThanOrEqual(0.9);
    // Same tensor count after epoch 2 as after epoch 6: nothing accumulates.
    expect(memory[5]).toBe(memory[1]);
    model.dispose();
  });

  it('is reproducible: same seed, same losses', async () => {
    const run = async () => {
      const model = fakeClassifier(100, 8, 3, 3);
      const losses: number[] = [];
      await trainLoop(model, data, cfg({ lossReadEvery: 1, seed: 11 }), { onStep: (s) => losses.push(s.loss!) });
      model.dispose();
      return losses;
    };
    const a = await run();
    const b = await run();
    expect(a.length).toBe(36);
    expect(a).toEqual(b);
  });

  it('resumes from a mid-run checkpoint to exactly the weights of an uninterrupted run', async () => {
    const full = fakeClassifier(100, 8, 3, 5);
    await trainLoop(full, data, cfg({ seed: 4, maxGradNorm: 0.5 }));
    const expected = full.trainable.map((v) => Array.from(v.dataSync()));
    full.dispose();

    // First attempt: cancelled after 17 steps (mid-epoch 2); its checkpoint carries the data position.
    const first = fakeClassifier(100, 8, 3, 5);
    let last: Checkpoint | undefined;
    let seen = 0;
    const r1 = await trainLoop(first, data, cfg({ seed: 4, maxGradNorm: 0.5 }), { onStep: () => void seen++, onCheckpoint: (c) => void (last = c) }, {
      isCancelled: () => seen >= 17,
      whilePaused: async () => {},
    });
    expect(r1.stop).toBe('cancelled');
    expect(last).toMatchObject({ step: 17, epoch: 1, batchIndex: 5 });
    first.dispose();

    const second = fakeClassifier(100, 8, 3, 99); // different init: the checkpoint must overwrite it
    const r2 = await trainLoop(second, data, cfg({ seed: 4, maxGradNorm: 0.5 }), {}, undefined, last);
    expect(r2.steps).toBe(36);
    second.trainable.forEach((v, i) => {
      const got = Array.from(v.dataSync());
      const maxDiff = Math.max(...got.map((x, j) => Math.abs(x - expected[i][j])));
      expect(maxDiff).toBeLessThan(1e-6);
    });
    second.dispose();
  });

  it('waits while paused and carries on when resumed', async () => {
    const model = fakeClassifier(100, 8, 3, 1);
    let paused = true;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let stepsDone = 0;
    const run = trainLoop(model, data, cfg({ epochs: 1 }), { onStep: () => void stepsDone++ }, {
      isCancelled: () => false,
      whilePaused: () => (paused ? gate : Promise.resolve()),
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(stepsDone).toBe(0);
    paused = false;
    release();
    const res = await run;
    expect(res.steps).toBe(12);
    model.dispose();
  });

  it('stops on a NaN loss with a message naming the step', async () => {
    const model = fakeClassifier(100, 8, 3, 1, true);
    const res = await trainLoop(model, data, cfg({ lossReadEvery: 3 }));
    expect(res.stop).toBe('diverged');
    expect(res.message).toMatch(/became NaN at step 3/);
    model.dispose();
  });

  it('stops when the device fails, and saves no checkpoint computed after the failure', async () => {
    const model = fakeClassifier(100, 8, 3, 1);
    const saved: number[] = [];
    let step = 0;
    const before = tf.memory().numTensors;
    const res = await trainLoop(
      model,
      data,
      cfg({ lossReadEvery: 5, checkpointEvery: 4 }),
      { onStep: (s) => (step = s.step), onCheckpoint: (c) => void saved.push(c.step) },
      // The device fails during step 13: from then on it says so whenever asked.
      { isCancelled: () => false, whilePaused: async () => {}, deviceProblem: () => (step >= 13 ? 'device lost (destroyed)' : null) },
    );
    expect(res.stop).toBe('device-lost');
    expect(res.message).toBe('The GPU stopped giving trustworthy results at step 15 (device lost (destroyed)). The run is kept up to its last checkpoint.');
    // Checkpoints every 4 steps: 4, 8 and 12 were taken while the device was good; 16 never was.
    expect(saved).toEqual([4, 8, 12]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('stops early when validation loss stops improving and restores the best weights', async () => {
    const model = fakeClassifier(100, 8, 3, 2);
    const valLosses: number[] = [];
    const epochEnds: Float32Array[][] = [];
    // Tiny training set, big learning rate, many epochs: overfits and the validation loss turns up.
    const tiny = { train: toyData(9, 3, 5), validation: toyData(60, 3, 6), padId: 0 };
    const res = await trainLoop(model, tiny, cfg({ epochs: 40, lr: 0.5, earlyStopping: true, patience: 2, batchSize: 3 }), {
      onEval: (e) => valLosses.push(e.valLoss),
      // The epoch-end checkpoint (batchIndex 0) holds that epoch's weights.
      onCheckpoint: (c) => {
        if (c.batchIndex === 0) epochEnds[c.epoch - 1] = decodeCheckpoint(model, c).weights;
      },
    });
    expect(res.stop).toBe('early-stopped');
    const best = Math.min(...valLosses);
    expect(res.bestEpoch).toBe(valLosses.indexOf(best));
    expect(valLosses.length).toBe(res.bestEpoch + 3);
    // The weights left in the model are exactly the best epoch's, not the last epoch's.
    const final = model.trainable.map((v) => v.dataSync() as Float32Array);
    final.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(epochEnds[res.bestEpoch][i])));
    expect(final.some((w, i) => w.some((x, j) => x !== epochEnds[epochEnds.length - 1][i][j]))).toBe(true);
    model.dispose();
  });
});

describe('out of memory', () => {
  it('turns the wasm heap failures the bench met into what helps, and leaves other errors alone', async () => {
    const { outOfMemoryMessage } = await import('../../src/train/out-of-memory');
    // The two messages tfjs-wasm gave for DistilBERT in bench/RESULTS.md.
    for (const raw of ['Aborted(). Build with -sASSERTIONS for more info.', 'memory access out of bounds']) {
      const m = outOfMemoryMessage(raw, 'wasm');
      expect(m).toMatch(/^The run needed more memory than the WebAssembly heap/);
      expect(m).toMatch(/Try a smaller batch, fewer max tokens, or LoRA or head-only/);
    }
    expect(outOfMemoryMessage('Aborted(). Build with -sASSERTIONS for more info.', 'wasm')).toContain('(Aborted()');
    expect(outOfMemoryMessage('The training loss became NaN at step 3.', 'wasm')).toBeNull();
  });
});
