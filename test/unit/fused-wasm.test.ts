// The wasm fused kernels (issue #20: src/model/fused/gelu-wasm.ts, layer-norm-wasm.ts on the SIMD module of
// src/runtime/fused-wasm/): forward and every gradient against encoder.ts's tfjs ops on wasm and against float64,
// at hidden 64, 384, 768 and rows not a multiple of 4 floats, with and without a residual; central differences;
// both SIMD builds and the shared-memory build; no leaked tensors; with γ and β frozen only the dx kernel runs.
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { gelu, layerNorm } from '../../src/model/encoder';
import { wasmBiasGelu } from '../../src/model/fused/gelu-wasm';
import { wasmLayerNorm } from '../../src/model/fused/layer-norm-wasm';
import { fusedWasmAvailable, fusedWasmStats, setFusedWasmMode } from '../../src/model/fused/wasm-common';
import { fusedWasmOn, supportedFusedVariants } from '../../src/runtime/fused-wasm/module';

// Node 20's V8 has relaxed SIMD behind a flag: on before the first module is compiled, so that build is tested too.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const EPS = 1e-12;

/** Deterministic values in [-scale, scale). */
function values(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 31 - 1) * scale;
  }
  return out;
}

/** erf in float64: its Maclaurin series below 4 (about 1e-11 there after cancellation), ±1 above (within 2e-8). */
function erf64(x: number): number {
  if (Math.abs(x) >= 4) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** GELU(h + b), dh and db for the output gradient dy, in float64. */
function geluRef(h: Float32Array, b: Float32Array, dy: Float32Array, rows: number, cols: number) {
  const y = new Float64Array(rows * cols);
  const dh = new Float64Array(rows * cols);
  const db = new Float64Array(cols);
  for (let i = 0; i < rows * cols; i++) {
    const v = h[i] + b[i % cols];
    const cdf = 0.5 * (1 + erf64(v / Math.SQRT2));
    y[i] = v * cdf;
    dh[i] = dy[i] * (cdf + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI));
    db[i % cols] += dh[i];
  }
  return [y, dh, db];
}

/** LayerNorm(x + r) and the gradients of x (= r's), γ and β, in float64. */
function layerNormRef(x: Float32Array, r: Float32Array | null, g: Float32Array, be: Float32Array, dy: Float32Array, rows: number, H: number) {
  const y = new Float64Array(rows * H);
  const dx = new Float64Array(rows * H);
  const dg = new Float64Array(H);
  const db = new Float64Array(H);
  for (let i = 0; i < rows; i++) {
    const v = Array.from({ length: H }, (_, j) => x[i * H + j] + (r ? r[i * H + j] : 0));
    const mean = v.reduce((a, c) => a + c, 0) / H;
    const sigma = Math.sqrt(v.reduce((a, c) => a + (c - mean) ** 2, 0) / H + EPS);
    const xh = v.map((c) => (c - mean) / sigma);
    let m1 = 0;
    let m2 = 0;
    for (let j = 0; j < H; j++) {
      const gg = dy[i * H + j] * g[j];
      m1 += gg / H;
      m2 += (gg * xh[j]) / H;
      y[i * H + j] = xh[j] * g[j] + be[j];
      dg[j] += dy[i * H + j] * xh[j];
      db[j] += dy[i * H + j];
    }
    for (let j = 0; j < H; j++) dx[i * H + j] = (dy[i * H + j] * g[j] - m1 - xh[j] * m2) / sigma;
  }
  return [y, dx, dx, dg, db];
}

/** Largest difference relative to the reference's largest magnitude. */
function rel(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(got[i] - ref[i]));
    s = Math.max(s, Math.abs(ref[i]));
  }
  return d / (s || 1);
}

const variants = supportedFusedVariants();
const shapes: [number, number][] = [[33, 64], [40, 384], [24, 768], [37, 100], [5, 3]];
/** Worst differences seen, logged at the end (the report's figures). */
const worst: Record<string, number> = {};
const note = (key: string, v: number) => (worst[key] = Math.max(worst[key] ?? 0, v));

describe('the wasm fused kernels', () => {
  it('load where the engine has SIMD, relaxed SIMD included once enabled, on unshared and shared memory', async () => {
    await useBackend('wasm');
    expect(variants).toEqual(['relaxed', 'plain']);
    expect(supportedFusedVariants(true)).toEqual(['relaxed', 'plain']);
    expect(fusedWasmAvailable()).toBe(true);
    setFusedWasmMode('off');
    expect(fusedWasmAvailable()).toBe(false);
    setFusedWasmMode('auto');
    await useBackend('cpu');
    expect(fusedWasmAvailable()).toBe(false);
    await useBackend('wasm');
  });

  for (const variant of ['relaxed', 'plain'] as const) {
    for (const [rows, cols] of shapes) {
      it.skipIf(!variants.includes(variant))(`${variant}: bias + GELU [${rows}, ${cols}] against tfjs's ops and float64`, async () => {
        await useBackend('wasm');
        setFusedWasmMode(variant);
        try {
          const hv = values(rows * cols, 1, 4);
          const bv = values(cols, 2);
          const dyv = values(rows * cols, 3);
          const [h, b, dy] = [tf.tensor2d(hv, [rows, cols]), tf.tensor1d(bv), tf.tensor2d(dyv, [rows, cols])];
          const ours = tf.grads((hh: tf.Tensor, bb: tf.Tensor) => wasmBiasGelu(hh as tf.Tensor2D, bb as tf.Tensor1D));
          const ops = tf.grads((hh: tf.Tensor, bb: tf.Tensor) => gelu(tf.add(hh, bb) as tf.Tensor2D));
          const got = [wasmBiasGelu(h, b), ...ours([h, b], dy)].map((t) => t.dataSync());
          const tfjs = [gelu(tf.add(h, b) as tf.Tensor2D), ...ops([h, b], dy)].map((t) => t.dataSync());
          const ref = geluRef(hv, bv, dyv, rows, cols);
          ['y', 'dh', 'db'].forEach((name, i) => {
            const vsOps = rel(got[i], tfjs[i]);
            const vs64 = rel(got[i], ref[i]);
            note(`gelu ${name} vs tfjs`, vsOps);
            note(`gelu ${name} vs f64`, vs64);
            expect(vsOps, `${name} against tfjs's ops`).toBeLessThan(1e-5);
            expect(vs64, `${name} against float64`).toBeLessThan(1e-5);
          });
          tf.dispose([h, b, dy]);
        } finally {
          setFusedWasmMode('auto');
        }
      });

      for (const withResidual of [true, false]) {
        it.skipIf(!variants.includes(variant))(`${variant}: LayerNorm [${rows}, ${cols}] ${withResidual ? 'with' : 'without'} a residual against tfjs's ops and float64`, async () => {
          await useBackend('wasm');
          setFusedWasmMode(variant);
          try {
            const xv = values(rows * cols, 4, 3);
            const rv = withResidual ? values(rows * cols, 5, 2) : null;
            const gv = values(cols, 6, 2);
            const bv = values(cols, 7);
            const dyv = values(rows * cols, 8);
            const x = tf.tensor2d(xv, [rows, cols]);
            const r = rv ? tf.tensor2d(rv, [rows, cols]) : tf.zeros([rows, cols]);
            const [g, be, dy] = [tf.tensor1d(gv), tf.tensor1d(bv), tf.tensor2d(dyv, [rows, cols])];
            const fOurs = (a: tf.Tensor, c: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
              wasmLayerNorm(a as tf.Tensor2D, withResidual ? (c as tf.Tensor2D) : null, gg as tf.Tensor1D, bb as tf.Tensor1D, EPS);
            // Without a residual the ops see x alone; r (zeros) gets no gradient from our kernel, so it is left out.
            const fOps = (a: tf.Tensor, c: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
              layerNorm((withResidual ? tf.add(a, c) : a) as tf.Tensor2D, { gamma: gg, beta: bb }, EPS);
            const args = withResidual ? [x, r, g, be] : [x, g, be];
            const wrap = (f: typeof fOurs) => withResidual ? f : (a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => f(a, r, gg, bb);
            const got = [fOurs(x, r, g, be), ...tf.grads(wrap(fOurs))(args, dy)].map((t) => t.dataSync());
            const tfjs = [fOps(x, r, g, be), ...tf.grads(wrap(fOps))(args, dy)].map((t) => t.dataSync());
            const full = layerNormRef(xv, rv, gv, bv, dyv, rows, cols);
            const ref = withResidual ? full : [full[0], full[1], full[3], full[4]];
            const names = withResidual ? ['y', 'dx', 'dr', 'dγ', 'dβ'] : ['y', 'dx', 'dγ', 'dβ'];
            names.forEach((name, i) => {
              const vsOps = rel(got[i], tfjs[i]);
              const vs64 = rel(got[i], ref[i]);
              note(`ln ${name} vs tfjs`, vsOps);
              note(`ln ${name} vs f64`, vs64);
              expect(vsOps, `${name} against tfjs's ops`).toBeLessThan(1e-5);
              expect(vs64, `${name} against float64`).toBeLessThan(1e-5);
            });
            tf.dispose([x, r, g, be, dy]);
          } finally {
            setFusedWasmMode('auto');
          }
        });
      }
    }
  }

  it('gradients agree with central differences of the float32 kernels (loose: 2e-3 of the gradient\'s scale)', async () => {
    await useBackend('wasm');
    const rows = 7;
    const cols = 37;
    const hv = values(rows * cols, 11, 3);
    const bv = values(cols, 12);
    const wv = values(rows * cols, 13);
    const w = tf.tensor2d(wv, [rows, cols]);
    // The loss Σ w·out summed in float64 on the host: only the perturbed row's outputs change between the two sides.
    const loss = (out: tf.Tensor) => {
      const o = out.dataSync();
      let s = 0;
      for (let i = 0; i < o.length; i++) s += o[i] * wv[i];
      out.dispose();
      return s;
    };
    const step = 1e-2;
    const coords = [0, 5, 36, 100, rows * cols - 1];
    // GELU: h and b.
    const geluAt = (h: Float32Array, b: Float32Array) => tf.tidy(() => wasmBiasGelu(tf.tensor2d(h, [rows, cols]), tf.tensor1d(b)));
    const [dh, db] = tf.grads((h: tf.Tensor, b: tf.Tensor) => wasmBiasGelu(h as tf.Tensor2D, b as tf.Tensor1D))([tf.tensor2d(hv, [rows, cols]), tf.tensor1d(bv)], w).map((t) => t.dataSync());
    const fd = (base: Float32Array, i: number, f: (v: Float32Array) => number) => {
      const p = base.slice();
      const m = base.slice();
      p[i] += step;
      m[i] -= step;
      return (f(p) - f(m)) / (2 * step);
    };
    let worstFd = 0;
    const check = (analytic: ArrayLike<number>, numeric: number, i: number) => {
      const scale = Math.max(...Array.from(analytic, Math.abs));
      worstFd = Math.max(worstFd, Math.abs(analytic[i] - numeric) / scale);
      expect(Math.abs(analytic[i] - numeric) / scale).toBeLessThan(2e-3);
    };
    for (const i of coords) check(dh, fd(hv, i, (h) => loss(geluAt(h, bv))), i);
    for (const i of [0, 17, cols - 1]) check(db, fd(bv, i, (b) => loss(geluAt(hv, b))), i);
    // LayerNorm with a residual: x, r, γ, β.
    const rv = values(rows * cols, 14);
    const gv = values(cols, 15, 2);
    const bev = values(cols, 16);
    const lnAt = (x: Float32Array, r: Float32Array, g: Float32Array, be: Float32Array) =>
      tf.tidy(() => wasmLayerNorm(tf.tensor2d(x, [rows, cols]), tf.tensor2d(r, [rows, cols]), tf.tensor1d(g), tf.tensor1d(be), EPS));
    const [dx, dr, dg, dbe] = tf.grads((x: tf.Tensor, r: tf.Tensor, g: tf.Tensor, be: tf.Tensor) => wasmLayerNorm(x as tf.Tensor2D, r as tf.Tensor2D, g as tf.Tensor1D, be as tf.Tensor1D, EPS))(
      [tf.tensor2d(hv, [rows, cols]), tf.tensor2d(rv, [rows, cols]), tf.tensor1d(gv), tf.tensor1d(bev)], w).map((t) => t.dataSync());
    for (const i of coords) {
      check(dx, fd(hv, i, (x) => loss(lnAt(x, rv, gv, bev))), i);
      check(dr, fd(rv, i, (r) => loss(lnAt(hv, r, gv, bev))), i);
    }
    for (const i of [0, 17, cols - 1]) {
      check(dg, fd(gv, i, (g) => loss(lnAt(hv, rv, g, bev))), i);
      check(dbe, fd(bev, i, (be) => loss(lnAt(hv, rv, gv, be))), i);
    }
    note('central differences', worstFd);
  });

  it('keeps no tensors, and with γ, β and the bias frozen runs only the input-gradient kernels', async () => {
    await useBackend('wasm');
    const x = tf.randomNormal([32, 384]) as tf.Tensor2D;
    const r = tf.randomNormal([32, 384]) as tf.Tensor2D;
    const h = tf.randomNormal([32, 1536]) as tf.Tensor2D;
    const gamma = tf.variable(tf.randomNormal([384]), false) as tf.Variable<tf.Rank.R1>;
    const beta = tf.variable(tf.randomNormal([384]), false) as tf.Variable<tf.Rank.R1>;
    const bias = tf.variable(tf.randomNormal([1536]), false) as tf.Variable<tf.Rank.R1>;
    const round = () => {
      const gs = tf.grads((a: tf.Tensor, c: tf.Tensor, hh: tf.Tensor) =>
        tf.add(tf.sum(wasmLayerNorm(a as tf.Tensor2D, c as tf.Tensor2D, gamma, beta, EPS)), tf.sum(wasmBiasGelu(hh as tf.Tensor2D, bias))))([x, r, h]);
      tf.dispose(gs);
    };
    round();
    const counts = { ...fusedWasmStats };
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) round();
    expect(tf.memory().numTensors).toBe(tensors);
    const ran = (name: string) => (fusedWasmStats[name] ?? 0) - (counts[name] ?? 0);
    // x and the residual share one dx kernel (the second gets a clone); no dγ, no column sums.
    expect(ran('TabtuneLayerNormDxWasm')).toBe(3);
    expect(ran('TabtuneBiasGeluSlopeWasm')).toBe(3);
    expect(ran('TabtuneLayerNormDGammaWasm')).toBe(0);
    expect(ran('TabtuneColumnSumWasm')).toBe(0);
    // Trainable γ, β and bias: each gradient once, the bias's from h's dh.
    const [g2, b2, bias2] = [gamma, beta, bias].map((v) => tf.variable(v, true));
    const before = { ...fusedWasmStats };
    const gs = tf.grads((a: tf.Tensor, c: tf.Tensor, g: tf.Tensor, be: tf.Tensor, hh: tf.Tensor, bb: tf.Tensor) =>
      tf.add(tf.sum(wasmLayerNorm(a as tf.Tensor2D, c as tf.Tensor2D, g as tf.Tensor1D, be as tf.Tensor1D, EPS)), tf.sum(wasmBiasGelu(hh as tf.Tensor2D, bb as tf.Tensor1D))))([x, r, g2, b2, h, bias2]);
    const ranNow = (name: string) => (fusedWasmStats[name] ?? 0) - (before[name] ?? 0);
    expect(ranNow('TabtuneLayerNormDxWasm')).toBe(1);
    expect(ranNow('TabtuneLayerNormDGammaWasm')).toBe(1);
    expect(ranNow('TabtuneBiasGeluSlopeWasm')).toBe(1);
    expect(ranNow('TabtuneColumnSumWasm')).toBe(2);
    // h's gradient is the same whether the bias is an input of the gradient or a frozen variable closed over.
    const dhFrozen = tf.grad((hh: tf.Tensor) => tf.sum(wasmBiasGelu(hh as tf.Tensor2D, bias)))(h);
    expect(Array.from(dhFrozen.dataSync())).toEqual(Array.from(gs[4].dataSync()));
    dhFrozen.dispose();
    tf.dispose([...gs, x, r, h, gamma, beta, bias, g2, b2, bias2]);
  });

  for (const variant of ['relaxed', 'plain'] as const) {
    it.skipIf(!variants.includes(variant))(`${variant}: the shared-memory build (tfjs's threaded memory) computes what the unshared one does`, async () => {
      await useBackend('wasm');
      const rows = 9;
      const cols = 101;
      const n = rows * cols;
      const unshared = new WebAssembly.Memory({ initial: 2 });
      const shared = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
      const outputs = [unshared, shared].map((memory) => {
        const fns = fusedWasmOn(memory, variant)!;
        const f = new Float32Array(memory.buffer);
        const [h, b, dy, out, scratch] = [0, 4 * n, 8 * n, 12 * n, 16 * n];
        f.set(values(n, 21, 3), h / 4);
        f.set(values(cols, 22), b / 4);
        f.set(values(n, 23), dy / 4);
        const results: number[][] = [];
        const take = (len: number) => results.push(Array.from(f.subarray(out / 4, out / 4 + len)));
        fns.bias_gelu(h, b, out, rows, cols);
        take(n);
        fns.bias_gelu_slope(h, b, scratch, out, rows, cols);
        take(n);
        // the GELU bias_gelu_slope writes beside its slope is bias_gelu's, bit for bit
        expect(Array.from(f.subarray(scratch / 4, scratch / 4 + n))).toEqual(results[0]);
        fns.column_sum(dy, out, scratch, rows, cols);
        take(cols);
        fns.layer_norm(h, dy, 1, b, b, out, rows, cols, EPS);
        take(n);
        fns.layer_norm_dx(h, dy, 1, b, dy, out, rows, cols, EPS);
        take(n);
        fns.layer_norm_dgamma(h, dy, 1, dy, out, scratch, rows, cols, EPS);
        take(cols);
        return results;
      });
      expect(outputs[1]).toEqual(outputs[0]);
    });
  }

  it('logs the worst differences', () => {
    console.log(Object.entries(worst).map(([k, v]) => `${k}: ${v.toExponential(2)}`).join('\n'));
  });
});
