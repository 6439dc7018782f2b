import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { AdamW, clipByGlobalNorm } from '../../src/train/optimizer';
import { linearWarmupDecay, linearWarmupDecaySeries } from '../../src/train/schedule';

const golden = JSON.parse(readFileSync('test/fixtures/optimizer/adamw.json', 'utf8'));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('AdamW against torch.optim.AdamW (+ clip_grad_norm_)', () => {
  it('matches torch over 5 steps with clipping, per-parameter decay and a changing learning rate', () => {
    const vars = golden.params.map((p: number[], i: number) => tf.variable(tf.tensor(p, golden.shapes[i])));
    const opt = new AdamW(vars, { beta1: golden.beta1, beta2: golden.beta2, eps: golden.eps, weightDecay: golden.weight_decay }, golden.decay);
    let maxAbs = 0;
    for (let step = 0; step < 5; step++) {
      tf.tidy(() => {
        const grads = golden.grads[step].map((g: number[], i: number) => tf.tensor(g, golden.shapes[i]));
        const { grads: clipped, norm } = clipByGlobalNorm(grads, golden.max_norm);
        expect(norm.dataSync()[0]).toBeCloseTo(golden.norms[step], 4);
        opt.step(clipped, golden.lrs[step]);
      });
      vars.forEach((v: tf.Variable, i: number) => {
        const got = v.dataSync();
        golden.after[step][i].forEach((want: number, j: number) => {
          const d = Math.abs(got[j] - want);
          maxAbs = Math.max(maxAbs, d);
          expect(d).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(want));
        });
      });
    }
    console.log(`AdamW vs torch: max abs difference after 5 steps ${maxAbs.toExponential(2)}`);
    opt.dispose();
    vars.forEach((v: tf.Variable) => v.dispose());
  });

  it('creates no tensors across 50 steps and resumes identically from exported state', async () => {
    const mk = () => [tf.variable(tf.tensor([[1, 2], [3, 4]])), tf.variable(tf.tensor([0.5, -0.5]))];
    const a = mk();
    const optA = new AdamW(a, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
    const g = [tf.tensor([[0.1, -0.2], [0.3, 0.05]]), tf.tensor([0.2, 0.1])];
    optA.step(g, 0.01);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) optA.step(g, 0.01);
    expect(tf.memory().numTensors).toBe(before);

    // Resume: a fresh optimizer loaded with A's state after 10 more steps equals A after the same 10 steps.
    const state = await optA.exportState();
    const b = mk();
    b.forEach((v, i) => v.assign(a[i]));
    const optB = new AdamW(b, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
    optB.importState(state);
    expect(optB.stepCount).toBe(51);
    for (let i = 0; i < 10; i++) {
      optA.step(g, 0.01);
      optB.step(g, 0.01);
    }
    expect(Array.from(b[0].dataSync())).toEqual(Array.from(a[0].dataSync()));
    expect(Array.from(b[1].dataSync())).toEqual(Array.from(a[1].dataSync()));
    [optA, optB].forEach((o) => o.dispose());
    [...a, ...b, ...g].forEach((t) => t.dispose());
  });
});

describe('linear warm-up then decay (as get_linear_schedule_with_warmup)', () => {
  it('ramps up over the warm-up and decays linearly to zero', () => {
    // total 10, warm-up 2, peak 1: [0, 0.5, 1, 7/8, 6/8, 5/8, 4/8, 3/8, 2/8, 1/8]
    expect(linearWarmupDecaySeries(10, 2, 1)).toEqual([0, 0.5, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125]);
    expect(linearWarmupDecay(10, 10, 2, 1)).toBe(0);
    expect(linearWarmupDecay(0, 10, 0, 3e-4)).toBe(3e-4);
  });
});
