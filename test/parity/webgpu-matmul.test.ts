// The tiled WebGPU matmul (src/runtime/webgpu-matmul.ts) in Node on Dawn (SwiftShader here): every transpose
// combination, sizes off the 64×64 tile and off the 4-float alignment its vec4 loads need, batched with and without
// a batch-1 operand, with a bias through _FusedMatMul, against a float64 reference; the modes route as documented;
// a tiny-bert training step's loss and gradients are those of tfjs's kernel; no leaked tensor, no device error.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { paddedBatch } from '../helpers/padded-batch';
import { expectNoWebGpuErrors } from '../helpers/webgpu-errors';
import { resolve } from 'node:path';
import { useBackend } from '../../src/runtime/tf-node';
import { setFusedKernels } from '../../src/runtime/fused-switch';
import { planMatMul, setWebGpuMatMulMode, setWebGpuMatMulRule, untransposedARule, webGpuMatMulStats } from '../../src/runtime/webgpu-matmul';
import { loadModel } from '../../src/model/load';
import { createClassifier } from '../../src/model/classifier';
import { disposeEncoder, type EncoderWeights } from '../../src/model/encoder';
import { crossEntropy, uploadBatch } from '../../src/train/loop';
import type { Method } from '../../src/model/types';
import { LORA } from '../../bench/shared';

beforeAll(async () => {
  await useBackend('webgpu');
});

afterEach(async () => {
  setWebGpuMatMulMode('auto');
  setWebGpuMatMulRule(null);
  setFusedKernels(true);
  await expectNoWebGpuErrors();
});

/** Deterministic values in [-1, 1) (a small LCG: no tfjs op, so the operands do not depend on the kernel tested). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** C = op(A)·op(B) (+ bias) in float64, with each row's scale max_j Σ_l |A_il·B_lj| (+ |bias_j|): the size the
 * float32 rounding of that row is relative to, which a cancelling sum would hide. Batch-1 operands broadcast. */
function reference(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], tA: boolean, tB: boolean, bias?: Float32Array) {
  const plan = planMatMul(aShape, bShape, tA, tB)!;
  const { batch, m, n, k, aBatchStride, bBatchStride } = plan;
  const out = new Float64Array(batch * m * n);
  const scale = new Float64Array(batch * m);
  for (let z = 0; z < batch; z++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = bias ? bias[j] : 0;
        let abs = bias ? Math.abs(bias[j]) : 0;
        for (let l = 0; l < k; l++) {
          const av = a[z * aBatchStride + (tA ? l * m + i : i * k + l)];
          const bv = b[z * bBatchStride + (tB ? j * k + l : l * n + j)];
          s += av * bv;
          abs += Math.abs(av * bv);
        }
        out[(z * m + i) * n + j] = s;
        scale[z * m + i] = Math.max(scale[z * m + i], abs);
      }
    }
  }
  return { out, scale, plan };
}

/** The largest |got − want| relative to its row's scale. */
function worstRelative(got: Float32Array, want: Float64Array, scale: Float64Array, n: number): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / Math.max(scale[Math.floor(i / n)], 1e-30);
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

interface Case {
  a: number[];
  b: number[];
  tA: boolean;
  tB: boolean;
}

/** op(A) m × k, op(B) k × n, as stored under each transpose, with optional batch dimensions in front. */
function caseOf(m: number, k: number, n: number, tA: boolean, tB: boolean, aBatch: number[] = [], bBatch: number[] = []): Case {
  return { a: [...aBatch, ...(tA ? [k, m] : [m, k])], b: [...bBatch, ...(tB ? [n, k] : [k, n])], tA, tB };
}

const BOTH = [false, true];
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [8, 12, 5], // A's rows and k aligned, n not: vec4 loads for A only, scalar stores
  [65, 130, 67],
  [200, 384, 96], // every operand aligned: the all-vec4 variant, and several k slices
];

/** Runs op(a)·op(b) (+ bias) under `mode` and checks it against the float64 reference; returns the worst error. */
async function check(c: Case, seed: number, bias = false): Promise<{ worst: number; vsTfjs: number; own: number }> {
  const av = values(tf.util.sizeFromShape(c.a), seed);
  const bv = values(tf.util.sizeFromShape(c.b), seed + 1);
  const want = reference(av, c.a, bv, c.b, c.tA, c.tB, bias ? values(planMatMul(c.a, c.b, c.tA, c.tB)!.n, seed + 2) : undefined);
  const a = tf.tensor(av, c.a);
  const b = tf.tensor(bv, c.b);
  const bt = bias ? tf.tensor1d(values(want.plan.n, seed + 2)) : null;
  const product = () => (bt ? tf.fused.matMul({ a, b, bias: bt, transposeA: c.tA, transposeB: c.tB }) : tf.matMul(a, b, c.tA, c.tB));
  const before = webGpuMatMulStats.products;
  setWebGpuMatMulMode('on');
  const got = product();
  const own = webGpuMatMulStats.products - before;
  setWebGpuMatMulMode('off');
  const theirs = product();
  expect(got.shape).toEqual(want.plan.outShape);
  expect(theirs.shape).toEqual(want.plan.outShape);
  const [g, t] = (await Promise.all([got.data(), theirs.data()])) as Float32Array[];
  tf.dispose([a, b, got, theirs, ...(bt ? [bt] : [])]);
  let vsTfjs = 0;
  for (let i = 0; i < g.length; i++) vsTfjs = Math.max(vsTfjs, Math.abs(g[i] - t[i]));
  return { worst: worstRelative(g, want.out, want.scale, want.plan.n), vsTfjs, own };
}

describe('the tiled WebGPU matmul against a float64 reference', () => {
  it('every transpose combination at sizes on and off the tile and the vec4 alignment', async () => {
    const before = tf.memory().numTensors;
    let seed = 1;
    const lines: string[] = [];
    for (const [m, k, n] of SIZES) {
      for (const tA of BOTH) {
        for (const tB of BOTH) {
          const c = caseOf(m, k, n, tA, tB);
          const r = await check(c, (seed += 3));
          lines.push(`${m}×${k}·${k}×${n} ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}: ${r.worst.toExponential(1)} (vs tfjs ${r.vsTfjs.toExponential(1)})`);
          expect(r.own, `${m}×${k}·${k}×${n} ran on the own kernel`).toBe(1);
          expect(r.worst, lines.at(-1)).toBeLessThanOrEqual(1e-5);
        }
      }
    }
    console.log(`worst error relative to the row's scale:\n  ${lines.join('\n  ')}`);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('batched, with equal batches, a batch-1 operand on either side, and rank 4', async () => {
    const before = tf.memory().numTensors;
    const cases: [string, Case][] = [
      ['[3] · [3]', caseOf(17, 24, 33, false, false, [3], [3])],
      ['[3] · [3] TN', caseOf(20, 9, 70, true, false, [3], [3])],
      ['[3] · [3] NT (attention q·kᵀ)', caseOf(12, 16, 12, false, true, [3], [3])],
      ['[1] · [4] TT', caseOf(66, 10, 8, true, true, [1], [4])],
      ['[4] · rank 2', caseOf(9, 31, 65, false, false, [4], [])],
      ['rank 2 · [2, 3] NT', caseOf(5, 8, 12, false, true, [], [2, 3])],
      ['[2, 3] · [2, 3]', caseOf(13, 8, 7, false, false, [2, 3], [2, 3])],
    ];
    let seed = 100;
    for (const [name, c] of cases) {
      const r = await check(c, (seed += 3));
      console.log(`batched ${name}: ${r.worst.toExponential(1)} (vs tfjs ${r.vsTfjs.toExponential(1)})`);
      expect(r.own, name).toBe(1);
      expect(r.worst, name).toBeLessThanOrEqual(1e-5);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with a bias (tf.fused.matMul, linear activation), every transpose combination', async () => {
    const before = tf.memory().numTensors;
    let seed = 200;
    for (const [m, k, n] of [[7, 13, 5], [65, 130, 68]] as const) {
      for (const tA of BOTH) {
        for (const tB of BOTH) {
          const r = await check(caseOf(m, k, n, tA, tB), (seed += 3), true);
          expect(r.own).toBe(1);
          expect(r.worst, `${m}×${k}·${k}×${n} ${tA}${tB} + bias`).toBeLessThanOrEqual(1e-5);
        }
      }
    }
    const r = await check(caseOf(4, 6, 8, false, false, [2], [2]), (seed += 3), true);
    expect(r.own).toBe(1);
    expect(r.worst).toBeLessThanOrEqual(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves a product to tfjs when an operand is an int32 buffer seen as float32 (tfjs-webgpu casts int32 up as a view)', async () => {
    // encoder.ts's pool: [B, 1, L] mask (cast from int32) × [B, L, H] hidden states.
    const mask = tf.tensor3d([1, 1, 0, 1, 0, 0], [2, 1, 3], 'int32');
    const hidden = tf.tensor3d(values(2 * 3 * 4, 9), [2, 3, 4]);
    const before = webGpuMatMulStats.products;
    setWebGpuMatMulMode('on');
    const got = tf.tidy(() => tf.matMul(tf.cast(mask, 'float32'), hidden));
    const viaOwn = webGpuMatMulStats.products - before;
    const plain = tf.tidy(() => tf.matMul(tf.add(tf.cast(mask, 'float32'), 0), hidden)); // a real float32 buffer
    expect(webGpuMatMulStats.products - before).toBe(1);
    expect(viaOwn).toBe(0);
    const [g, p] = (await Promise.all([got.data(), plain.data()])) as Float32Array[];
    const h = (await hidden.data()) as Float32Array;
    // Row b of the result is Σ_t mask[b, t]·hidden[b, t, :]: sequence 0 sums tokens 0 and 1, sequence 1 token 0.
    const want = [0, 1, 2, 3].map((j) => h[j] + h[4 + j]).concat([0, 1, 2, 3].map((j) => h[12 + j]));
    want.forEach((w, i) => {
      expect(Math.abs(g[i] - w)).toBeLessThan(1e-6);
      expect(Math.abs(p[i] - w)).toBeLessThan(1e-6);
    });
    tf.dispose([mask, hidden, got, plain]);
  });

  it("routes by mode: 'off' is tfjs's kernel; 'auto''s default rule is tfjs's on a software adapter and takes untransposed A on hardware; a rule set decides under 'auto'; a relu stays with tfjs", async () => {
    const a = tf.tensor(values(6 * 4, 1), [6, 4]);
    const b = tf.tensor(values(4 * 3, 2), [4, 3]);
    const ran = (f: () => tf.Tensor) => {
      const before = webGpuMatMulStats.products;
      tf.dispose(f());
      return webGpuMatMulStats.products - before;
    };
    setWebGpuMatMulMode('off');
    expect(ran(() => tf.matMul(a, b))).toBe(0);
    setWebGpuMatMulMode('auto');
    // The parity tier runs on SwiftShader: the default rule leaves every product to tfjs there.
    expect((tf.backend() as unknown as { adapterInfo: { architecture: string } }).adapterInfo.architecture).toMatch(/swiftshader/i);
    expect(ran(() => tf.matMul(a, b))).toBe(0);
    const shape = { batch: 1, m: 6, n: 3, k: 4, transposeA: false, transposeB: false };
    expect([untransposedARule(shape), untransposedARule({ ...shape, transposeB: true }), untransposedARule({ ...shape, transposeA: true })]).toEqual([true, true, false]);
    setWebGpuMatMulRule(untransposedARule);
    expect(ran(() => tf.matMul(a, b))).toBe(1);
    expect(ran(() => tf.tidy(() => tf.matMul(a, tf.transpose(b), false, true)))).toBe(1);
    expect(ran(() => tf.tidy(() => tf.matMul(tf.transpose(a), b, true, false)))).toBe(0);
    setWebGpuMatMulRule((s) => s.m >= 6);
    expect(ran(() => tf.matMul(a, b))).toBe(1);
    expect(ran(() => tf.matMul(b, a, true, true))).toBe(0);
    setWebGpuMatMulMode('on');
    expect(ran(() => tf.matMul(b, a, true, true))).toBe(1);
    expect(ran(() => tf.fused.matMul({ a, b, bias: tf.zeros([3]), activation: 'relu' }))).toBe(0);
    // A broadcast of both batches ([2, 1] against [1, 3]) stays with tfjs.
    expect(planMatMul([2, 1, 6, 4], [1, 3, 4, 3], false, false)).toBeNull();
    expect(() => setWebGpuMatMulMode('fast' as never)).toThrow();
    tf.dispose([a, b]);
  });
});

describe('the tiled WebGPU matmul in a training step', () => {
  // lora with the fused encoder kernels (the linears' _FusedMatMul and their gradients' products are ours); full
  // with the tfjs ops (the attention's batched products, q·kᵀ and its gradients, are ours too).
  for (const [method, fused] of [['lora', true], ['full', false]] as [Method, boolean][]) {
    it(`tiny-bert ${method} (fused kernels ${fused ? 'on' : 'off'}): loss and every gradient equal tfjs's kernel's`, async () => {
      const model = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
      const batch = paddedBatch(4, 12, model.config.vocabSize);
      const run = async (mode: 'off' | 'on') => {
        setWebGpuMatMulMode(mode);
        setFusedKernels(fused);
        const clf = createClassifier(model, { method, numLabels: 2, seed: 3, lora: { ...LORA, targetModules: ['query', 'value', 'intermediate.dense'] } });
        // LoRA's B starts at zero, which would hide A's gradient: a non-zero start for each B.
        tf.tidy(() => clf.adapters.forEach((ad, i) => ad.b.assign(tf.randomNormal(ad.b.shape, 0, 0.05, 'float32', 11 + i))));
        const { ids, mask, labels } = uploadBatch(batch);
        const before = webGpuMatMulStats.products;
        const { value, grads } = tf.variableGrads(() => crossEntropy(clf.logits(ids, mask, true), labels, 2), clf.trainable);
        const own = webGpuMatMulStats.products - before;
        const loss = (await value.data())[0];
        const g = await Promise.all(clf.trainable.map(async (v) => ({ name: v.name.split('#')[0], data: (await grads[v.name].data()) as Float32Array })));
        tf.dispose([value, ids, mask, labels, ...Object.values(grads)]);
        clf.dispose();
        setWebGpuMatMulMode('off');
        return { loss, grads: g, own };
      };
      const theirs = await run('off');
      // After the first run: it uploads the encoder's weights, which stay for the second.
      const start = tf.memory().numTensors;
      const ours = await run('on');
      expect(theirs.own).toBe(0);
      expect(ours.own).toBeGreaterThan(0);
      expect(ours.grads.map((g) => g.name)).toEqual(theirs.grads.map((g) => g.name));
      let worst = 0;
      for (let i = 0; i < theirs.grads.length; i++) {
        const [a, b] = [ours.grads[i].data, theirs.grads[i].data];
        let scale = 1e-3;
        for (const v of b) scale = Math.max(scale, Math.abs(v));
        for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]) / scale);
      }
      console.log(`tiny-bert ${method}: ${ours.own} products on the own kernel; loss ${ours.loss} vs ${theirs.loss}; worst gradient difference ${worst.toExponential(2)} of the tensor's largest`);
      expect(Math.abs(ours.loss - theirs.loss)).toBeLessThanOrEqual(1e-5);
      expect(worst).toBeLessThanOrEqual(1e-4);
      expect(tf.memory().numTensors).toBe(start);
      if (model.device) disposeEncoder(model.device as EncoderWeights);
    });
  }
});
