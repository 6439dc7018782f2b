// The fused AdamW and clip-factor kernels (src/train/adamw-webgpu.ts) on WebGPU in Node on Dawn (SwiftShader here,
// a GPU's Vulkan driver where there is one): against the PyTorch goldens at the unit tier's thresholds, against the
// unfused tfjs ops on the same backend, resumed from exported state, in memory, in dispatches, and with no device
// error (a shader that fails to compile or validate is only an event: every test ends by asking for them).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { expectNoWebGpuErrors } from '../helpers/webgpu-errors';
import { AdamW, clipCoefficient, type AdamWOptions } from '../../src/train/optimizer';
import { useBackend } from '../../src/runtime/tf-node';
import { takeWebGpuErrors } from '../../src/runtime/webgpu-fixes';
import { bufferCopyStats, webGpuKernels } from '../../src/runtime/webgpu-kernel';
import { FLAT_FLOATS, flatUpdateStats } from '../../src/train/adamw-webgpu';
import { optimizerGoldens, type OptimizerScenario as Scenario } from '../helpers/optimizer-goldens';
import { dispatches } from '../helpers/webgpu-dispatches';

const golden = optimizerGoldens;

// test/unit/train-optimizer.test.ts's bound: 1e-6 absolute plus 1e-5 relative.
const ABS = 1e-6;
const REL = 1e-5;
function within(got: ArrayLike<number>, want: ArrayLike<number>) {
  let maxAbs = 0;
  let ok = got.length === want.length;
  for (let j = 0; j < want.length; j++) {
    const d = Math.abs(got[j] - want[j]);
    maxAbs = Math.max(maxAbs, d);
    if (!(d <= ABS + REL * Math.abs(want[j]))) ok = false;
  }
  return { ok, maxAbs };
}

/** Reads back (dataSync needs OffscreenCanvas on WebGPU, which Node lacks). */
const read = (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));

beforeAll(async () => {
  await useBackend('webgpu');
});

afterEach(async () => {
  await expectNoWebGpuErrors();
});

const optionsOf = (sc: Scenario, fused: boolean): AdamWOptions => ({ beta1: sc.beta1, beta2: sc.beta2, eps: sc.eps, weightDecay: sc.weight_decay, fused });

describe('fused AdamW on WebGPU against torch.optim.AdamW + clip_grad_norm_', () => {
  it('uses the fused kernels: one dispatch for the update and two for the clip factor, whatever the number of tensors (plus copy commands)', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(webGpuKernels()).not.toBeNull();
    const vars = Array.from({ length: 9 }, (_, i) => tf.variable(tf.randomNormal([i + 3, 5], 0, 1, 'float32', i)));
    const grads = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', 20 + i));
    const [fused, plain] = [true, false].map((f) => new AdamW(vars, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, fused: f }));
    const count = (opt: AdamW) =>
      dispatches(() =>
        tf.tidy(() => {
          opt.step(grads, 1e-3, clipCoefficient(grads, 1, { fused: opt.fused }).coef);
        }),
      );
    const before = count(plain);
    const copies = bufferCopyStats.copies;
    const after = count(fused);
    console.log(`AdamW + clip, 9 tensors on WebGPU: ${before} dispatches unfused, ${after} fused (+ ${bufferCopyStats.copies - copies} copies)`);
    expect(after).toBe(1 + 2);
    // The clip factor's gradients in; the update's parameter, gradient and both moments in, new parameter and both
    // moments out.
    expect(bufferCopyStats.copies - copies).toBe(9 + 9 * 7);
    expect(before).toBeGreaterThan(9 * 10);
    [fused, plain].forEach((o) => o.dispose());
    tf.dispose([...vars, ...grads]);
  });

  for (const sc of golden.scenarios) {
    it(`${sc.name}: 5 steps (bias corrections 1…5, decay on and off per tensor, clipping on and off) match float64 torch, and the unfused path`, async () => {
      const run = async (fused: boolean) => {
        const vars = sc.params.map((p, i) => tf.variable(tf.tensor(p, sc.shapes[i])));
        const opt = new AdamW(vars, optionsOf(sc, fused), sc.decay);
        const after: Float32Array[][] = [];
        const norms: number[] = [];
        for (let step = 0; step < sc.lrs.length; step++) {
          const norm = tf.tidy(() => {
            const grads = sc.grads[step].map((g, i) => tf.tensor(g, sc.shapes[i]));
            const { coef, norm } = clipCoefficient(grads, sc.max_norm, { fused });
            opt.step(grads, sc.lrs[step], coef);
            return tf.keep(norm);
          });
          norms.push((await norm.data())[0]);
          norm.dispose();
          after.push(await read(vars));
        }
        const state = await opt.exportState();
        opt.dispose();
        tf.dispose(vars);
        return { after, norms, state };
      };
      const fused = await run(true);
      const plain = await run(false);
      let worst = 0;
      let worstVsPlain = 0;
      for (let step = 0; step < sc.lrs.length; step++) {
        expect(Math.abs(fused.norms[step] - sc.norms[step]) / sc.norms[step], `norm at step ${step + 1}`).toBeLessThan(1e-6);
        fused.after[step].forEach((got, i) => {
          const ref = within(got, sc.after[step][i]);
          expect(ref.ok, `${sc.name} step ${step + 1} parameter ${i}: max abs ${ref.maxAbs}`).toBe(true);
          worst = Math.max(worst, ref.maxAbs);
          const vsPlain = within(got, plain.after[step][i]);
          expect(vsPlain.ok, `${sc.name} step ${step + 1} parameter ${i} vs unfused: max abs ${vsPlain.maxAbs}`).toBe(true);
          worstVsPlain = Math.max(worstVsPlain, vsPlain.maxAbs);
        });
      }
      expect(fused.state.step).toBe(sc.state.step);
      fused.state.m.forEach((m, i) => expect(within(m, sc.state.m[i]).ok, `exp_avg ${i}`).toBe(true));
      fused.state.v.forEach((v, i) => expect(within(v, sc.state.v[i]).ok, `exp_avg_sq ${i}`).toBe(true));
      console.log(`fused AdamW webgpu ${sc.name}: vs float64 torch max abs ${worst.toExponential(2)}; vs unfused webgpu max abs ${worstVsPlain.toExponential(2)}`);
    });
  }

  it('clip factor: a norm over many gradients (elements past one stride, and past one flat buffer) equals the unfused one', async () => {
    // 17 gradients of 1 to 70,000 floats (more than 64 × 256 per stride), then the same with one of FLAT_FLOATS + 1
    // added (a second flat buffer, so a second sum dispatch adding to the first's partial sums).
    const sizes = [1, 3, 70_000, 255, 256, 257, 16_384, 16_385, 9, 40_000, 2, 5, 7, 1000, 33_000, 12, 4];
    const small = sizes.map((n, i) => tf.randomNormal([n], 0, 0.01 * (i + 1), 'float32', 100 + i));
    const big = tf.randomNormal([FLAT_FLOATS + 1], 0, 0.001, 'float32', 99);
    for (const [grads, maxNorm] of [[small, 0.5], [small, 1e6], [[...small, big], 0.5]] as [tf.Tensor[], number][]) {
      const fused = clipCoefficient(grads, maxNorm);
      const plain = clipCoefficient(grads, maxNorm, { fused: false });
      const [fn, pn, fc, pc] = (await read([fused.norm, plain.norm, fused.coef, plain.coef])).map((x) => x[0]);
      expect(fused.norm.shape).toEqual([]);
      expect(fused.coef.shape).toEqual([]);
      expect(Math.abs(fn - pn) / pn).toBeLessThan(1e-6);
      expect(Math.abs(fc - pc) / pc).toBeLessThan(1e-6);
      if (maxNorm > 1e5) expect(fc).toBe(1);
      tf.dispose([fused.coef, fused.norm, plain.coef, plain.norm]);
    }
    tf.dispose([...small, big]);
  });
});

describe('fused AdamW on WebGPU: resume, memory, errors', () => {
  const opts: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
  const shapes = [[2, 3], [3], [300, 70]];
  const makeVars = () => shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', 7 + i)));
  const gradsAt = (k: number) => shapes.map((s, i) => tf.mul(tf.randomNormal(s, 0, 1, 'float32', 1000 * k + i), k % 2 ? 5 : 0.001));
  const step = (opt: AdamW, k: number) =>
    tf.tidy(() => {
      const grads = gradsAt(k);
      opt.step(grads, 0.01 * (1 + (k % 3)), k % 4 === 3 ? undefined : clipCoefficient(grads, 1).coef);
    });

  it('resumes bit-identically from exported state: 10 steps, export, 10 more equals 20 straight', async () => {
    const straight = makeVars();
    const optA = new AdamW(straight, opts, [true, false, true]);
    for (let k = 0; k < 10; k++) step(optA, k);
    const state = await optA.exportState();
    const weights = await read(straight);
    for (let k = 10; k < 20; k++) step(optA, k);

    const resumed = makeVars();
    tf.tidy(() => resumed.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape))));
    const optB = new AdamW(resumed, opts, [true, false, true]);
    optB.importState(state);
    for (let k = 10; k < 20; k++) step(optB, k);
    expect(await read(resumed)).toEqual(await read(straight));
    const [a, b] = [await optA.exportState(), await optB.exportState()];
    expect(b).toEqual(a);
    [optA, optB].forEach((o) => o.dispose());
    tf.dispose([...straight, ...resumed]);
  });

  it('keeps tf.memory() flat across 30 steps and frees everything it made on dispose', () => {
    const vars = makeVars();
    const start = tf.memory().numTensors;
    const opt = new AdamW(vars, opts, [true, false, true]);
    for (let k = 0; k < 5; k++) step(opt, k);
    const at5 = tf.memory();
    for (let k = 5; k < 30; k++) step(opt, k);
    const at30 = tf.memory();
    expect(at30.numTensors).toBe(at5.numTensors);
    expect(at30.numBytes).toBe(at5.numBytes);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose(vars);
  });

  it('never writes a buffer another tensor shares (kept best weights)', async () => {
    const vars = makeVars();
    const kept = vars.map((v) => tf.variable(v, false)); // shares each variable's buffer, as the loop's best weights do
    const before = await read(kept);
    const opt = new AdamW(vars, opts);
    step(opt, 1);
    expect(await read(kept)).toEqual(before);
    expect((await read(vars))[0]).not.toEqual(before[0]);
    opt.dispose();
    tf.dispose([...vars, ...kept]);
  });

  it('groups tensors up to FLAT_FLOATS floats a dispatch, a larger one alone, and updates each as one dispatch per tensor would', async () => {
    // Sizes: half the limit twice (one group), then one past the limit (alone), then a small one (a group of its own,
    // since the big one filled the last): 3 dispatches; decay on the second and fourth only.
    const half = FLAT_FLOATS / 2;
    const sizes = [half, half, FLAT_FLOATS + 3, 5];
    const vars = sizes.map((n, i) => tf.variable(tf.randomNormal([n], 0, 1, 'float32', 40 + i)));
    const grads = sizes.map((n, i) => tf.randomNormal([n], 0, 1, 'float32', 50 + i));
    const decay = [false, true, false, true];
    const make = (fused: boolean) => new AdamW(vars.map((v) => tf.variable(v.clone())), { ...opts, weightDecay: 0.1, fused }, decay);
    const [fused, plain] = [make(true), make(false)];
    const before = flatUpdateStats.dispatches;
    for (const o of [fused, plain]) tf.tidy(() => o.step(grads, 0.01, clipCoefficient(grads, 1, { fused: o.fused }).coef));
    expect(flatUpdateStats.dispatches - before).toBe(3);
    const varsOf = (o: AdamW) => (o as unknown as { vars: tf.Variable[] }).vars;
    const [a, b] = await Promise.all([read(varsOf(fused)), read(varsOf(plain))]);
    // Same arithmetic per element in the same order as the tfjs ops: within float32 rounding of the ops' own.
    a.forEach((x, i) => {
      let worst = 0;
      for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j] - b[i][j]));
      expect(worst, `tensor ${i}`).toBeLessThan(1e-6);
    });
    for (const o of [fused, plain]) {
      varsOf(o).forEach((v) => v.dispose());
      o.dispose();
    }
    tf.dispose([...vars, ...grads]);
  });

  it('updates every element of a tensor that needs more than 65,535 workgroups (a 2-D dispatch)', async () => {
    const most = webGpuKernels()!.device.limits.maxComputeWorkgroupsPerDimension; // 65,535 on SwiftShader and the H100
    const n = most * 256 + 257; // more workgroups of 256 than one dimension of a dispatch holds
    const p = tf.variable(tf.zeros([n]));
    const g = tf.ones([n]);
    const opt = new AdamW([p], { ...opts, weightDecay: 0 });
    tf.tidy(() => opt.step([g], 0.01, clipCoefficient([g], 1e9).coef));
    // Step 1 with g = 1: m̂ = 1, √v̂ = 1, so every element moves by -lr / (1 + eps).
    const probes = tf.tidy(() => [tf.min(p), tf.max(p), tf.slice(p, [n - 1], [1])]);
    const [lo, hi, last] = await read(probes);
    tf.dispose(probes);
    expect(lo[0]).toBeCloseTo(-0.01, 7);
    expect(hi[0]).toBe(lo[0]);
    expect(last[0]).toBe(lo[0]);
    opt.dispose();
    tf.dispose([p, g]);
  });

  it('a shader error in an own kernel is seen (so the checks after every test would fail)', async () => {
    const k = webGpuKernels()!;
    const out = k.allocate(4);
    const bad = { name: 'tabtune-test-broken', inputs: [], uniforms: [], workgroupSize: 1, body: '@compute @workgroup_size(1) fn main() { result[0] = undefinedName; }' };
    const origError = console.error;
    console.error = () => {};
    try {
      k.run(bad, out, [], [], 1);
      const probe = tf.zeros([1]);
      await probe.data();
      probe.dispose();
      expect(takeWebGpuErrors().length).toBeGreaterThan(0);
    } finally {
      console.error = origError;
      tf.engine().makeTensorFromDataId(out.dataId, [4], 'float32').dispose();
    }
  });
});
