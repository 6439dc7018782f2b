import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { AdamW, clipCoefficient, type AdamWOptions } from '../../src/train/optimizer';
import { useBackend } from '../../src/runtime/tf-node';
import { optimizerGoldens, type OptimizerScenario as Scenario } from '../helpers/optimizer-goldens';

const golden = optimizerGoldens;

// numpy.allclose-style bound of the brief: 1e-6 absolute plus 1e-5 relative.
const ABS = 1e-6;
const REL = 1e-5;

beforeAll(async () => {
  await useBackend('cpu');
});

/** Largest absolute and relative differences, and whether every element is within ABS + REL * |want|. */
function compare(got: ArrayLike<number>, want: number[]) {
  expect(got.length).toBe(want.length);
  let maxAbs = 0;
  let maxRel = 0;
  let ok = true;
  want.forEach((w, j) => {
    const d = Math.abs(got[j] - w);
    maxAbs = Math.max(maxAbs, d);
    if (w !== 0) maxRel = Math.max(maxRel, d / Math.abs(w));
    if (!(d <= ABS + REL * Math.abs(w))) ok = false;
  });
  return { maxAbs, maxRel, ok };
}

const optionsOf = (sc: Scenario): AdamWOptions => ({ beta1: sc.beta1, beta2: sc.beta2, eps: sc.eps, weightDecay: sc.weight_decay });

describe(`AdamW against torch.optim.AdamW + clip_grad_norm_ (goldens from torch ${golden.torch})`, () => {
  // An emptied or truncated golden file must fail, not make the loop below run no case at all.
  it('has every golden scenario scripts/make_optimizer_goldens.py writes', () => {
    expect(golden.scenarios.map((s) => s.name)).toEqual(['hf-defaults', 'strong-decay']);
    for (const sc of golden.scenarios) expect(sc.lrs).toHaveLength(5);
  });
  for (const [backend, sc] of (['cpu', 'wasm'] as const).flatMap((b) => golden.scenarios.map((s) => [b, s] as const))) {
    it(`${backend} ${sc.name}: parameters after each of 5 steps, the clip norms and the final moments match float64 torch`, async () => {
      await useBackend(backend);
      const vars = sc.params.map((p, i) => tf.variable(tf.tensor(p, sc.shapes[i])));
      const opt = new AdamW(vars, optionsOf(sc), sc.decay);
      const vsRef = { maxAbs: 0, maxRel: 0 };
      const vsF32 = { maxAbs: 0, maxRel: 0 };
      for (let step = 0; step < sc.lrs.length; step++) {
        const norm = tf.tidy(() => {
          const grads = sc.grads[step].map((g, i) => tf.tensor(g, sc.shapes[i]));
          const { coef, norm } = clipCoefficient(grads, sc.max_norm);
          opt.step(grads, sc.lrs[step], coef);
          return norm.dataSync()[0];
        });
        expect(Math.abs(norm - sc.norms[step]) / sc.norms[step]).toBeLessThan(1e-6);
        vars.forEach((v, i) => {
          const got = v.dataSync();
          const ref = compare(got, sc.after[step][i]);
          expect(ref.ok, `${sc.name} step ${step + 1} parameter ${i}: max abs ${ref.maxAbs}, max rel ${ref.maxRel}`).toBe(true);
          vsRef.maxAbs = Math.max(vsRef.maxAbs, ref.maxAbs);
          vsRef.maxRel = Math.max(vsRef.maxRel, ref.maxRel);
          const f32 = compare(got, sc.after_float32_torch[step][i]);
          vsF32.maxAbs = Math.max(vsF32.maxAbs, f32.maxAbs);
          vsF32.maxRel = Math.max(vsF32.maxRel, f32.maxRel);
        });
      }
      // The exported state is torch's: step, exp_avg, exp_avg_sq.
      const state = await opt.exportState();
      expect(state.step).toBe(sc.state.step);
      expect(opt.stepCount).toBe(5);
      state.m.forEach((m, i) => expect(compare(m, sc.state.m[i]).ok, `exp_avg ${i}`).toBe(true));
      state.v.forEach((v, i) => expect(compare(v, sc.state.v[i]).ok, `exp_avg_sq ${i}`).toBe(true));
      console.log(
        `AdamW ${backend} ${sc.name}: vs float64 torch max abs ${vsRef.maxAbs.toExponential(2)}, max rel ${vsRef.maxRel.toExponential(2)}; ` +
          `vs float32 torch max abs ${vsF32.maxAbs.toExponential(2)}, max rel ${vsF32.maxRel.toExponential(2)}`,
      );
      opt.dispose();
      vars.forEach((v) => v.dispose());
      await useBackend('cpu');
    });
  }

  it('takes a hand-computed first step, with and without weight decay', () => {
    // Step 1, g = 0.5, lr = 0.1, wd = 0.1, betas (0.9, 0.999), eps 1e-8:
    //   m = 0.1 * 0.5 = 0.05, v = 0.001 * 0.25 = 0.00025; m_hat = 0.05 / (1 - 0.9) = 0.5; sqrt(v_hat) = sqrt(0.25) = 0.5
    //   update = 0.1 * 0.5 / (0.5 + 1e-8) = 0.099999998
    //   with decay:    1 * (1 - 0.1 * 0.1) - 0.099999998 = 0.99 - 0.099999998 = 0.890000002
    //   without decay: 1 - 0.099999998 = 0.900000002
    const [a, b] = [tf.variable(tf.tensor1d([1])), tf.variable(tf.tensor1d([1]))];
    const g = tf.tensor1d([0.5]);
    const opt = new AdamW([a, b], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 }, [true, false]);
    opt.step([g, g], 0.1);
    expect(a.dataSync()[0]).toBeCloseTo(0.890000002, 7);
    expect(b.dataSync()[0]).toBeCloseTo(0.900000002, 7);
    opt.dispose();
    [a, b, g].forEach((t) => t.dispose());
  });
});

describe('AdamW.step memory and the clip factor', () => {
  const opts = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
  const make = (seed: number) => Array.from({ length: 10 }, (_, i) => tf.variable(tf.randomNormal([1000], 0, 1, 'float32', seed + i)));

  it('scales by the clip factor exactly as a clipped copy of the gradients would', () => {
    const [byCopy, byFactor] = [make(1), make(1)];
    const grads = Array.from({ length: 10 }, (_, i) => tf.randomNormal([1000], 0, 3, 'float32', 50 + i));
    const [o1, o2] = [new AdamW(byCopy, opts), new AdamW(byFactor, opts)];
    for (let k = 0; k < 3; k++) {
      const { coef, norm } = clipCoefficient(grads, 1);
      expect(coef.dataSync()[0]).toBeLessThan(1); // the clip is active
      const clipped = grads.map((g) => tf.mul(g, coef));
      o1.step(clipped, 0.01);
      o2.step(grads, 0.01, coef);
      tf.dispose([...clipped, coef, norm]);
    }
    byCopy.forEach((v, i) => expect(Array.from(byFactor[i].dataSync())).toEqual(Array.from(v.dataSync())));
    [o1, o2].forEach((o) => o.dispose());
    tf.dispose([...byCopy, ...byFactor, ...grads]);
  });

  it("holds one variable's temporaries at a time, not every variable's", async () => {
    const vars = make(7);
    const grads = vars.map((v) => tf.onesLike(v));
    const opt = new AdamW(vars, opts);
    const before = tf.memory().numBytes;
    const info = await tf.profile(() => opt.step(grads, 0.01));
    // Measured: 56 kB above the start for 10 variables of 4 kB (14 temporaries of one variable); with one tidy
    // around all ten updates it was 560 kB.
    expect(info.peakBytes - before).toBeLessThan(16 * 4000);
    expect(tf.memory().numBytes).toBe(before);
    opt.dispose();
    tf.dispose([...vars, ...grads]);
  });
});

describe('clipCoefficient (torch.nn.utils.clip_grad_norm_)', () => {
  /** The gradients clip_grad_norm_ would leave, from the factor. */
  const clip = (gs: tf.Tensor[], maxNorm: number) => {
    const { coef, norm } = clipCoefficient(gs, maxNorm);
    const grads = gs.map((g) => tf.mul(g, coef));
    coef.dispose();
    return { grads, norm };
  };

  it('scales by maxNorm / (norm + 1e-6) when the norm is larger, leaves the gradients alone otherwise', () => {
    // Gradients [3, 4] and [12]: norm sqrt(9 + 16 + 144) = 13; coef for maxNorm 1 = 1 / 13.000001.
    const gs = [tf.tensor1d([3, 4]), tf.tensor1d([12])];
    const small = clip(gs, 1);
    expect(small.norm.dataSync()[0]).toBeCloseTo(13, 5);
    const coef = 1 / 13.000001;
    expect(Array.from(small.grads[0].dataSync())).toEqual([Math.fround(3 * coef), Math.fround(4 * coef)].map((x) => expect.closeTo(x, 7)));
    expect(small.grads[1].dataSync()[0]).toBeCloseTo(12 * coef, 6);
    const large = clip(gs, 100); // coef 100 / 13 > 1, clamped to 1
    expect(Array.from(large.grads[0].dataSync())).toEqual([3, 4]);
    expect(Array.from(large.grads[1].dataSync())).toEqual([12]);
    [...gs, ...small.grads, small.norm, ...large.grads, large.norm].forEach((t) => t.dispose());
  });

  it('leaves only its results alive, also for no gradients, and refuses a non-positive maxNorm', () => {
    const gs = [tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([5])];
    const before = tf.memory().numTensors;
    const out = clipCoefficient(gs, 1);
    expect(tf.memory().numTensors).toBe(before + 2); // the factor and the norm
    tf.dispose([out.coef, out.norm]);
    const none = clipCoefficient([], 1);
    expect(none.norm.dataSync()[0]).toBe(0);
    expect(none.coef.dataSync()[0]).toBe(1);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([none.coef, none.norm, ...gs]);
    expect(() => clipCoefficient([], 0)).toThrow(/maxNorm must be a finite number > 0, got 0/);
  });
});

describe('AdamW memory, resume and errors', () => {
  const opts: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
  const makeVars = (): tf.Variable[] => [tf.variable(tf.tensor2d([[1, 2], [3, 4]])), tf.variable(tf.tensor1d([0.5, -0.5]))];
  // A different gradient every step, derived from the step number, so replaying a step range is meaningful.
  const gradsAt = (k: number) => [tf.tensor2d([[Math.sin(k), 0.3], [-0.2, Math.cos(k)]]), tf.tensor1d([0.1 * k, -1])];
  const lrAt = (k: number) => 0.01 * (1 + (k % 3));
  const step = (opt: AdamW, k: number) =>
    tf.tidy(() => {
      const grads = gradsAt(k);
      opt.step(grads, lrAt(k), clipCoefficient(grads, 1).coef);
    });

  it('makes no tensors and no bytes across 50 steps (clipping included), even when built inside a tidy', () => {
    const vars = makeVars();
    let built: AdamW | undefined;
    tf.tidy(() => {
      built = new AdamW(vars, opts, [true, false]);
    });
    const opt = built as AdamW;
    for (let k = 0; k < 5; k++) step(opt, k);
    const at5 = tf.memory();
    for (let k = 5; k < 50; k++) step(opt, k);
    const at50 = tf.memory();
    expect(at50.numTensors).toBe(at5.numTensors);
    expect(at50.numBytes).toBe(at5.numBytes);
    expect(opt.stepCount).toBe(50);
    const beforeDispose = tf.memory().numTensors;
    opt.dispose();
    opt.dispose(); // idempotent
    // 2 first moments + 2 second moments + 5 constant scalars
    expect(tf.memory().numTensors).toBe(beforeDispose - 9);
    vars.forEach((v) => v.dispose());
  });

  it('resumes identically from exported state: 10 steps, export, 10 more equals 20 straight', async () => {
    const straight = makeVars();
    const optA = new AdamW(straight, opts, [true, false]);
    for (let k = 0; k < 10; k++) step(optA, k);
    const state = await optA.exportState();
    const weights = straight.map((v) => Array.from(v.dataSync()));
    for (let k = 10; k < 20; k++) step(optA, k);

    const resumed = makeVars();
    tf.tidy(() => resumed.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape))));
    const optB = new AdamW(resumed, opts, [true, false]);
    optB.importState(state);
    expect(optB.stepCount).toBe(10);
    for (let k = 10; k < 20; k++) step(optB, k);
    resumed.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(straight[i].dataSync())));

    // The exported arrays are copies: changing them later does not touch the optimizer.
    state.m[0].fill(123);
    const again = await optA.exportState();
    expect(again.m[0].includes(123)).toBe(false);
    [optA, optB].forEach((o) => o.dispose());
    [...straight, ...resumed].forEach((v) => v.dispose());
  });

  it('names what is wrong: gradient count and shape, options, state sizes, use after dispose', async () => {
    const vars = makeVars();
    const opt = new AdamW(vars, opts);
    const [g0, g1] = gradsAt(1);
    expect(() => opt.step([g0], 0.1)).toThrow('AdamW.step: got 1 gradients for 2 variables.');
    expect(() => opt.step([g1, g0], 0.1)).toThrow(/gradient 0 has shape \[2\], variable .* has \[2,2\]/);
    expect(() => opt.step([g0, g1], NaN)).toThrow(/learning rate must be a finite number >= 0, got NaN/);
    expect(opt.stepCount).toBe(0);
    expect(() => new AdamW(vars, { ...opts, beta2: 1 })).toThrow('AdamW options: beta2 must be in [0, 1), got 1.');
    expect(() => new AdamW(vars, { ...opts, eps: 0 })).toThrow('AdamW options: eps must be a finite number > 0, got 0.');
    expect(() => new AdamW(vars, opts, [true])).toThrow('AdamW: decay has 1 flags for 2 variables.');

    opt.step([g0, g1], 0.1);
    const good = await opt.exportState();
    const bad = { step: 7, m: [new Float32Array(4), new Float32Array(3)], v: [new Float32Array(4), new Float32Array(2)] };
    expect(() => opt.importState(bad)).toThrow(/state m\[1\] has 3 values, variable .* has 2/);
    expect(() => opt.importState({ ...good, m: [good.m[0]] })).toThrow(/1 first-moment and 2 second-moment tensors, the model trains 2/);
    expect(opt.stepCount).toBe(1); // a refused state changes nothing
    expect(await opt.exportState()).toEqual(good);

    opt.dispose();
    expect(() => opt.step([g0, g1], 0.1)).toThrow('AdamW.step: the optimizer was disposed.');
    [...vars, g0, g1].forEach((t) => t.dispose());
  });
});
