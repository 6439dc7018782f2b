// The fused residual + LayerNorm kernel (src/model/fused/layer-norm-webgpu.ts) on WebGPU in Node on Dawn (SwiftShader
// here): against encoder.ts's layerNorm of x + residual on the same backend, forward and every gradient, against a
// float64 JS reference and central finite differences, in dispatches, in memory, and with no device error (a shader
// that fails to compile or validate is only an event: every test ends by asking for them).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { expectNoWebGpuErrors } from '../helpers/webgpu-errors';
import { fusedLayerNorm } from '../../src/model/fused/layer-norm-webgpu';
import { layerNorm } from '../../src/model/encoder';
import { fusedKernels } from '../../src/runtime/fused-switch';
import { useBackend } from '../../src/runtime/tf-node';
import { dispatches } from '../helpers/webgpu-dispatches';

const EPS = 1e-12; // BERT's layer_norm_eps
const TOL = 1e-5;

/** Reads back (dataSync needs OffscreenCanvas on WebGPU, which Node lacks). */
const read = (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
}

interface Case {
  x: tf.Tensor2D;
  r: tf.Tensor2D | null;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  /** Upstream weights: loss = Σ y·w, so dy = w. */
  w: tf.Tensor2D;
}

function makeCase(rows: number, hidden: number, residual: boolean, seed: number): Case {
  return {
    // Off-centre and wider than 1, so that the mean and σ matter.
    x: tf.randomNormal([rows, hidden], 0.5, 2, 'float32', seed) as tf.Tensor2D,
    r: residual ? (tf.randomNormal([rows, hidden], -0.3, 1, 'float32', seed + 1) as tf.Tensor2D) : null,
    gamma: tf.randomNormal([hidden], 1, 0.5, 'float32', seed + 2) as tf.Tensor1D,
    beta: tf.randomNormal([hidden], 0, 0.3, 'float32', seed + 3) as tf.Tensor1D,
    w: tf.randomNormal([rows, hidden], 0, 1, 'float32', seed + 4) as tf.Tensor2D,
  };
}
const disposeCase = (c: Case) => tf.dispose([c.x, c.gamma, c.beta, c.w, ...(c.r ? [c.r] : [])]);

const fused = (x: tf.Tensor2D, r: tf.Tensor2D | null, g: tf.Tensor1D, b: tf.Tensor1D) => fusedLayerNorm(x, r, g, b, EPS);
const unfused = (x: tf.Tensor2D, r: tf.Tensor2D | null, g: tf.Tensor1D, b: tf.Tensor1D) => layerNorm(r ? tf.add(x, r) : x, { gamma: g, beta: b }, EPS);
type Ln = typeof fused;

/** y and the gradients of Σ y·w for x, (residual), γ, β. */
function run(ln: Ln, c: Case): tf.Tensor[] {
  const y = tf.tidy(() => ln(c.x, c.r, c.gamma, c.beta));
  const args = c.r ? [c.x, c.r, c.gamma, c.beta] : [c.x, c.gamma, c.beta];
  const grads = tf.grads((...a: tf.Tensor[]) => {
    const [x, r, g, b] = c.r ? a : [a[0], null, a[1], a[2]];
    return tf.sum(tf.mul(ln(x as tf.Tensor2D, r as tf.Tensor2D | null, g as tf.Tensor1D, b as tf.Tensor1D), c.w));
  })(args);
  return [y, ...grads];
}

beforeAll(async () => {
  await useBackend('webgpu');
});

afterEach(async () => {
  await expectNoWebGpuErrors();
});

describe('fused residual + LayerNorm on WebGPU', () => {
  it('runs on the WebGPU backend, through fusedKernels()', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(fusedKernels()).not.toBeNull();
  });

  const shapes: [number, number][] = [
    [37, 64],
    [37, 100],
    [37, 384],
    [37, 768],
    [5, 1024],
    [300, 64],
  ];
  for (const [rows, hidden] of shapes) {
    for (const residual of [true, false]) {
      it(`[${rows}, ${hidden}] ${residual ? 'with' : 'without'} residual: y and the gradients of x, residual, γ, β equal the unfused ops'`, async () => {
        const c = makeCase(rows, hidden, residual, rows * 1000 + hidden + (residual ? 0 : 7));
        const f = run(fused, c);
        const u = run(unfused, c);
        const [fv, uv] = [await read(f), await read(u)];
        const names = residual ? ['y', 'dx', 'dresidual', 'dγ', 'dβ'] : ['y', 'dx', 'dγ', 'dβ'];
        const diffs = names.map((n, i) => [n, maxAbs(fv[i], uv[i])] as const);
        console.log(`fused LN [${rows}, ${hidden}] ${residual ? '+residual' : 'no residual'} vs unfused webgpu, max abs: ${diffs.map(([n, d]) => `${n} ${d.toExponential(2)}`).join(', ')}`);
        for (const [n, d] of diffs) expect(d, n).toBeLessThan(TOL);
        if (residual) expect(Array.from(fv[2])).toEqual(Array.from(fv[1])); // d(x + r)/dx = d(x + r)/dr
        tf.dispose([...f, ...u]);
        disposeCase(c);
      });
    }
  }

  it('gradients where the tape adds to x after the LayerNorm node and reads the residual later, and with x as its own residual', async () => {
    const z = tf.randomNormal([9, 100], 0, 1.5, 'float32', 3) as tf.Tensor2D;
    const { gamma, beta, w } = makeCase(9, 100, false, 77);
    // r is made first and x after it, and x has a second consumer before the LayerNorm: backward, x's gradient
    // gets a second term (the tape disposes the first) before r's producer reads r's gradient.
    const loss = (ln: Ln) => (zz: tf.Tensor) => {
      const r = tf.mul(zz, 0.7) as tf.Tensor2D;
      const x = tf.sin(zz) as tf.Tensor2D;
      const other = tf.sum(tf.square(x));
      return tf.add(tf.sum(tf.mul(ln(x, r, gamma, beta), w)), other);
    };
    const self = (ln: Ln) => (zz: tf.Tensor) => tf.sum(tf.mul(ln(zz as tf.Tensor2D, zz as tf.Tensor2D, gamma, beta), w));
    for (const f of [loss, self]) {
      const [a, b] = [tf.grad(f(fused))(z), tf.grad(f(unfused))(z)];
      const d = maxAbs(...((await read([a, b])) as [Float32Array, Float32Array]));
      console.log(`fused LN, ${f === loss ? 'x with a second consumer' : 'x as its own residual'}: dz vs unfused max abs ${d.toExponential(2)}`);
      expect(d).toBeLessThan(TOL);
      tf.dispose([a, b]);
    }
    tf.dispose([z, gamma, beta, w]);
  });

  it('8192 rows (the largest batch·seq), hidden 128: y, dx as the unfused ops; dγ, dβ no further from float64 than twice tf.sum does', async () => {
    const rows = 8192;
    const hidden = 128; // 384 took 40 s on SwiftShader, mostly the unfused ops
    const c = makeCase(rows, hidden, true, 8192);
    const f = run(fused, c);
    const u = run(unfused, c);
    const [fv, uv] = [await read(f), await read(u)];
    const [x, r, w] = await read([c.x, c.r!, c.w]);
    const dg = new Float64Array(hidden);
    const db = new Float64Array(hidden);
    for (let i = 0; i < rows; i++) {
      const v = Array.from({ length: hidden }, (_, j) => x[i * hidden + j] + r[i * hidden + j]);
      const mean = v.reduce((s, t) => s + t, 0) / hidden;
      const sigma = Math.sqrt(v.reduce((s, t) => s + (t - mean) ** 2, 0) / hidden + EPS);
      for (let j = 0; j < hidden; j++) {
        dg[j] += (w[i * hidden + j] * (v[j] - mean)) / sigma;
        db[j] += w[i * hidden + j];
      }
    }
    const [y, dx] = [maxAbs(fv[0], uv[0]), maxAbs(fv[1], uv[1])];
    const cols = { 'dγ': [maxAbs(fv[3], dg), maxAbs(uv[3], dg)], 'dβ': [maxAbs(fv[4], db), maxAbs(uv[4], db)] };
    console.log(
      `fused LN [8192, 128]: vs unfused y ${y.toExponential(2)}, dx ${dx.toExponential(2)}; vs float64, fused/unfused: ` +
        Object.entries(cols).map(([n, [a, b]]) => `${n} ${a.toExponential(2)}/${b.toExponential(2)}`).join(', '),
    );
    expect(y).toBeLessThan(TOL);
    expect(dx).toBeLessThan(TOL);
    for (const [n, [a, b]] of Object.entries(cols)) expect(a, n).toBeLessThanOrEqual(Math.max(TOL, 2 * b));
    tf.dispose([...f, ...u]);
    disposeCase(c);
  });

  it('equals a float64 JS reference (forward and every gradient)', async () => {
    const rows = 37;
    const hidden = 100;
    const c = makeCase(rows, hidden, true, 4242);
    const f = run(fused, c);
    const [y, dx, , dg, db] = await read(f);
    const [x, r, g, b, w] = await read([c.x, c.r!, c.gamma, c.beta, c.w]);
    const ref = { y: new Float64Array(rows * hidden), dx: new Float64Array(rows * hidden), dg: new Float64Array(hidden), db: new Float64Array(hidden) };
    for (let i = 0; i < rows; i++) {
      const v = Array.from({ length: hidden }, (_, j) => x[i * hidden + j] + r[i * hidden + j]);
      const mean = v.reduce((s, t) => s + t, 0) / hidden;
      const sigma = Math.sqrt(v.reduce((s, t) => s + (t - mean) ** 2, 0) / hidden + EPS);
      const xh = v.map((t) => (t - mean) / sigma);
      const gg = xh.map((_, j) => w[i * hidden + j] * g[j]);
      const mg = gg.reduce((s, t) => s + t, 0) / hidden;
      const mgx = gg.reduce((s, t, j) => s + t * xh[j], 0) / hidden;
      for (let j = 0; j < hidden; j++) {
        ref.y[i * hidden + j] = xh[j] * g[j] + b[j];
        ref.dx[i * hidden + j] = (gg[j] - mg - xh[j] * mgx) / sigma;
        ref.dg[j] += w[i * hidden + j] * xh[j];
        ref.db[j] += w[i * hidden + j];
      }
    }
    const diffs = { y: maxAbs(y, ref.y), dx: maxAbs(dx, ref.dx), 'dγ': maxAbs(dg, ref.dg), 'dβ': maxAbs(db, ref.db) };
    console.log(`fused LN [37, 100] vs float64 JS reference, max abs: ${Object.entries(diffs).map(([n, d]) => `${n} ${d.toExponential(2)}`).join(', ')}`);
    for (const [n, d] of Object.entries(diffs)) expect(d, n).toBeLessThan(TOL);
    tf.dispose(f);
    disposeCase(c);
  });

  it('gradients equal central finite differences of the fused forward (step 1e-2, within 2e-2 relative, floor 0.1)', async () => {
    const rows = 7;
    const hidden = 100;
    const c = makeCase(rows, hidden, true, 99);
    const out = run(fused, c);
    const [, dx, dr, dg, db] = await read(out);
    tf.dispose(out);
    const w = (await read([c.w]))[0];
    // Σ y·w in float64 from the read-back y: the float32 sum on the device would drown the difference.
    const lossOf = async (cc: Case) => {
      const y = fused(cc.x, cc.r, cc.gamma, cc.beta);
      const v = (await read([y]))[0];
      y.dispose();
      return v.reduce((s, t, i) => s + t * w[i], 0);
    };
    const h = 1e-2;
    const probes: [keyof Case, number, Float32Array][] = [
      ['x', 0, dx],
      ['x', 3 * hidden + 17, dx],
      ['x', 6 * hidden + 99, dx],
      ['r', 2 * hidden + 50, dr],
      ['gamma', 5, dg],
      ['gamma', 77, dg],
      ['beta', 41, db],
    ];
    let worst = 0;
    for (const [name, i, analytic] of probes) {
      const base = c[name] as tf.Tensor;
      const values = (await read([base]))[0];
      const at = async (delta: number) => {
        const moved = Float32Array.from(values);
        moved[i] += delta;
        const t = tf.tensor(moved, base.shape);
        const loss = await lossOf({ ...c, [name]: t });
        t.dispose();
        return loss;
      };
      const fd = ((await at(h)) - (await at(-h))) / (2 * h);
      const err = Math.abs(fd - analytic[i]) / Math.max(Math.abs(analytic[i]), 0.1);
      worst = Math.max(worst, err);
      expect(err, `${name}[${i}]: finite difference ${fd}, analytic ${analytic[i]}`).toBeLessThan(2e-2);
    }
    console.log(`fused LN vs central differences (h = 1e-2) on ${probes.length} coordinates: worst relative error ${worst.toExponential(2)}`);
    disposeCase(c);
  });

  it('dispatches: forward 1; backward 1 for x alone (γ, β not asked), 2 for all four, 2 for γ and β alone', () => {
    const c = makeCase(64, 384, true, 5);
    const dy = c.w;
    const counts = (ln: Ln) => ({
      forward: dispatches(() => tf.tidy(() => void ln(c.x, c.r, c.gamma, c.beta))),
      // tf.grad with dy given: the forward and the LayerNorm's backward, nothing else.
      xOnly: dispatches(() => tf.tidy(() => void tf.grad((x: tf.Tensor) => ln(x as tf.Tensor2D, c.r, c.gamma, c.beta))(c.x, dy))),
      xOnlyNoResidual: dispatches(() => tf.tidy(() => void tf.grad((x: tf.Tensor) => ln(x as tf.Tensor2D, null, c.gamma, c.beta))(c.x, dy))),
      all: dispatches(() =>
        tf.tidy(
          () =>
            void tf.grads((x: tf.Tensor, r: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => ln(x as tf.Tensor2D, r as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D))(
              [c.x, c.r!, c.gamma, c.beta],
              dy,
            ),
        ),
      ),
      gammaBeta: dispatches(() =>
        tf.tidy(() => void tf.grads((g: tf.Tensor, b: tf.Tensor) => ln(c.x, c.r, g as tf.Tensor1D, b as tf.Tensor1D))([c.gamma, c.beta], dy)),
      ),
    });
    const f = counts(fused);
    const u = counts(unfused);
    console.log(`LayerNorm [64, 384] dispatches, fused vs unfused: ${Object.keys(f).map((k) => `${k} ${f[k as keyof typeof f]} vs ${u[k as keyof typeof u]}`).join(', ')}`);
    expect(f.forward).toBe(1);
    expect(f.xOnly - f.forward).toBe(1);
    expect(f.xOnlyNoResidual - f.forward).toBe(1);
    expect(f.all - f.forward).toBe(2);
    expect(f.gammaBeta - f.forward).toBe(2);
    disposeCase(c);
  });

  it('keeps tf.memory() and the backend buffers flat across forward + backward rounds (tf.grads and tf.variableGrads)', async () => {
    const c = makeCase(37, 100, true, 11);
    const vars = [c.x, c.r!, c.gamma, c.beta].map((t) => tf.variable(t));
    const frozen = [tf.variable(c.gamma, false), tf.variable(c.beta, false)];
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const round = async () => {
      const out = run(fused, c);
      await read(out);
      tf.dispose(out);
      // Everything trainable, then γ and β frozen (LoRA's case).
      for (const [g, b] of [vars.slice(2), frozen]) {
        const { value, grads } = tf.variableGrads(() =>
          tf.sum(tf.mul(fused(vars[0] as unknown as tf.Tensor2D, vars[1] as unknown as tf.Tensor2D, g as unknown as tf.Tensor1D, b as unknown as tf.Tensor1D), c.w)),
        );
        await read([value, ...Object.values(grads)]);
        tf.dispose([value, ...Object.values(grads)]);
      }
    };
    await round(); // pipelines compiled, kernels registered
    const before = { tensors: tf.memory().numTensors, ids: backend.numDataIds() };
    for (let k = 0; k < 3; k++) await round();
    expect({ tensors: tf.memory().numTensors, ids: backend.numDataIds() }).toEqual(before);
    tf.dispose([...vars, ...frozen]);
    disposeCase(c);
  });
});
