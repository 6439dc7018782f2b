// The fused attention kernel (src/model/fused/attention-webgpu.ts) on WebGPU in Node on Dawn (SwiftShader here):
// its output and its gradients against encoderLayer's tfjs ops on the same backend and on cpu, its gradients against
// central differences of itself, its dispatches, its memory, and no device error (a shader that fails to compile is
// only an event: every test ends by asking for them).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { expectNoWebGpuErrors } from '../helpers/webgpu-errors';
import { fusedAttention } from '../../src/model/fused/attention-webgpu';
import { fusedKernels, setFusedKernels } from '../../src/runtime/fused-switch';
import { useBackend } from '../../src/runtime/tf-node';
import { seeded } from '../helpers/seeded';

const TOL = 1e-5;

interface Case {
  B: number;
  L: number;
  nH: number;
  D: number;
  /** Real tokens per sequence; the rest of its row is padding. */
  lengths: number[];
}

interface Host {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  mask: Int32Array;
  dy: Float32Array;
}

function host(c: Case, seed: number): Host {
  const n = c.B * c.L * c.nH * c.D;
  const mask = new Int32Array(c.B * c.L);
  c.lengths.forEach((len, b) => mask.fill(1, b * c.L, b * c.L + len));
  // Scales of trained BERT projections: scores of a few units, so the softmax is neither flat nor one-hot.
  return { q: seeded(n, seed, 1.5), k: seeded(n, seed + 1, 1.5), v: seeded(n, seed + 2), mask, dy: seeded(n, seed + 3) };
}

interface Inputs {
  q: tf.Tensor2D;
  k: tf.Tensor2D;
  v: tf.Tensor2D;
  maskBias: tf.Tensor2D;
  dy: tf.Tensor2D;
}

function tensors(c: Case, h: Host): Inputs {
  const shape: [number, number] = [c.B * c.L, c.nH * c.D];
  return tf.tidy(() => ({
    q: tf.tensor2d(h.q, shape),
    k: tf.tensor2d(h.k, shape),
    v: tf.tensor2d(h.v, shape),
    // encode()'s bias in src/model/encoder.ts, before its reshape to [B, 1, 1, L].
    maskBias: tf.mul(tf.sub(1, tf.cast(tf.tensor2d(h.mask, [c.B, c.L], 'int32'), 'float32')), -1e9) as tf.Tensor2D,
    dy: tf.tensor2d(h.dy, shape),
  }));
}

/** encoderLayer's ops in src/model/encoder.ts from heads(q) to merged, with its [B, 1, 1, L] mask bias. */
function unfused(c: Case, q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, maskBias: tf.Tensor2D): tf.Tensor2D {
  const { B, L, nH, D } = c;
  const heads = (t: tf.Tensor2D) => tf.transpose(tf.reshape(t, [B, L, nH, D]), [0, 2, 1, 3]) as tf.Tensor4D;
  const scores = tf.add(tf.div(tf.matMul(heads(q), heads(k), false, true), Math.sqrt(D)), tf.reshape(maskBias, [B, 1, 1, L]));
  const context = tf.matMul(tf.softmax(scores), heads(v));
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [B * L, nH * D]) as tf.Tensor2D;
}

const fused = (c: Case) => (q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, maskBias: tf.Tensor2D) => fusedAttention(q, k, v, maskBias, c.B, c.L, c.nH);

/** recordAndSubmit calls (the bench's dispatch count) while f runs, and what f returned. */
function count<T>(f: () => T): { n: number; out: T } {
  let n = 0;
  const backend = tf.backend() as unknown as { recordAndSubmit: (...a: unknown[]) => unknown };
  const orig = backend.recordAndSubmit;
  backend.recordAndSubmit = function (this: unknown, ...a: unknown[]) {
    n++;
    return orig.apply(this, a);
  };
  try {
    const out = f();
    return { n, out };
  } finally {
    backend.recordAndSubmit = orig;
  }
}

const read = (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return NaN; // fails every bound below
    m = Math.max(m, d);
  }
  return m;
}

/** q, k, v (and maskBias when asked) gradients of Σ out·dy. */
function gradsOf(f: (q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, m: tf.Tensor2D) => tf.Tensor2D, x: Inputs, withMask = false): tf.Tensor[] {
  if (withMask) return tf.grads((q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, m: tf.Tensor) => f(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, m as tf.Tensor2D))([x.q, x.k, x.v, x.maskBias], x.dy);
  return tf.grads((q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => f(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, x.maskBias))([x.q, x.k, x.v], x.dy);
}

/** The fused kernel on WebGPU against the unfused ops on the cpu backend, from the same host data. */
async function compareWithCpu(c: Case, seed: number): Promise<void> {
  const h = host(c, seed);
  const run = async (f: (q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, m: tf.Tensor2D) => tf.Tensor2D) => {
    const x = tensors(c, h);
    const outs = [tf.tidy(() => f(x.q, x.k, x.v, x.maskBias)), ...gradsOf(f, x)];
    tf.dispose(Object.values(x));
    const values = await read(outs);
    tf.dispose(outs);
    return values;
  };
  let want: Float32Array[];
  await tf.setBackend('cpu');
  try {
    want = await run((q, k, v, m) => unfused(c, q, k, v, m));
  } finally {
    await tf.setBackend('webgpu');
  }
  const got = await run(fused(c));
  const diffs = got.map((g, i) => maxAbs(g, want[i]));
  console.log(`fused attention webgpu vs unfused cpu, ${label(c)}: out ${diffs[0].toExponential(2)}, dq/dk/dv ${diffs.slice(1).map((d) => d.toExponential(2)).join('/')}`);
  diffs.forEach((d) => expect(d).toBeLessThanOrEqual(TOL));
}

/** Attention and its q, k, v gradients (upstream dy) in float64 on the host, straight from the formulas: a check
 * that shares no code with tfjs, and fast where tfjs's cpu backend is not (thousands of tiny batched products). */
function reference(c: Case, h: Host): Float64Array[] {
  const { B, L, nH, D } = c;
  const H = nH * D;
  const [out, dq, dk, dv] = [0, 1, 2, 3].map(() => new Float64Array(B * L * H));
  const p = new Float64Array(L);
  const ds = new Float64Array(L);
  const at = (b: number, t: number, hd: number) => (b * L + t) * H + hd * D;
  for (let b = 0; b < B; b++)
    for (let hd = 0; hd < nH; hd++)
      for (let i = 0; i < L; i++) {
        const qi = at(b, i, hd);
        let max = -Infinity;
        for (let j = 0; j < L; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += h.q[qi + d] * h.k[at(b, j, hd) + d];
          // The bias as float32 adds it: −1e9 + s rounds to −1e9 for |s| < 32, so a padded row is uniform.
          p[j] = Math.fround(s / Math.sqrt(D) + (h.mask[b * L + j] ? 0 : -1e9));
          max = Math.max(max, p[j]);
        }
        let sum = 0;
        for (let j = 0; j < L; j++) sum += p[j] = Math.exp(p[j] - max);
        let delta = 0;
        for (let j = 0; j < L; j++) {
          p[j] /= sum;
          let dp = 0;
          for (let d = 0; d < D; d++) dp += h.dy[qi + d] * h.v[at(b, j, hd) + d];
          ds[j] = dp;
          delta += p[j] * dp;
        }
        for (let j = 0; j < L; j++) {
          const kj = at(b, j, hd);
          const g = (p[j] * (ds[j] - delta)) / Math.sqrt(D);
          for (let d = 0; d < D; d++) {
            out[qi + d] += p[j] * h.v[kj + d];
            dq[qi + d] += g * h.k[kj + d];
            dk[kj + d] += g * h.q[qi + d];
            dv[kj + d] += p[j] * h.dy[qi + d];
          }
        }
      }
  return [out, dq, dk, dv];
}

beforeAll(async () => {
  await useBackend('webgpu');
});

afterEach(async () => {
  await expectNoWebGpuErrors();
});

// L not a multiple of the workgroup (64) nor of any power of two; padding at the end of some sequences; one
// sequence entirely padding; L > 64 so an invocation takes several keys; D = 64 once.
const CASES: Case[] = [
  { B: 2, L: 5, nH: 2, D: 32, lengths: [5, 3] },
  { B: 3, L: 33, nH: 3, D: 32, lengths: [33, 20, 1] },
  { B: 2, L: 17, nH: 2, D: 64, lengths: [17, 9] },
  { B: 2, L: 7, nH: 2, D: 32, lengths: [4, 0] },
  { B: 1, L: 70, nH: 2, D: 32, lengths: [61] },
];
const label = (c: Case) => `B ${c.B}, L ${c.L}, ${c.nH} heads of ${c.D}, lengths ${c.B > 4 ? `${Math.min(...c.lengths)}…${Math.max(...c.lengths)}` : c.lengths.join('/')}`;

describe('fused attention on WebGPU against encoderLayer\'s tfjs ops', () => {
  it('runs on the fused kernels', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(fusedKernels()).not.toBeNull();
  });

  CASES.forEach((c, ci) => {
    it(`${label(c)}: forward in 1 dispatch equals the unfused ops within ${TOL}`, async () => {
      const x = tensors(c, host(c, 10 * ci + 1));
      const { n, out } = count(() => fused(c)(x.q, x.k, x.v, x.maskBias));
      expect(n).toBe(1);
      expect(out.shape).toEqual([c.B * c.L, c.nH * c.D]);
      const { n: plainN, out: plain } = count(() => unfused(c, x.q, x.k, x.v, x.maskBias));
      const [got, want] = await read([out, plain]);
      const diff = maxAbs(got, want);
      console.log(`fused attention forward, ${label(c)}: 1 dispatch (unfused ${plainN}), max abs vs unfused webgpu ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(TOL);
      expect(got.every(Number.isFinite)).toBe(true);
      tf.dispose([out, plain, ...Object.values(x)]);
    });

    it(`${label(c)}: dq, dk, dv in 2 dispatches equal the unfused ops' and float64's within ${TOL}`, async () => {
      const h = host(c, 10 * ci + 2);
      const x = tensors(c, h);
      const { n, out } = count(() => gradsOf(fused(c), x));
      expect(n).toBe(1 + 2);
      const { n: plainN, out: plain } = count(() => gradsOf((q, k, v, m) => unfused(c, q, k, v, m), x));
      const got = await read(out);
      const want = await read(plain);
      const diffs = got.map((g, i) => maxAbs(g, want[i]));
      const exact = reference(c, h).slice(1);
      const vs64 = got.map((g, i) => maxAbs(g, exact[i]));
      const show = (ds: number[]) => ds.map((d) => d.toExponential(2)).join('/');
      console.log(`fused attention forward + backward, ${label(c)}: ${n} dispatches (unfused ${plainN}), max abs dq/dk/dv vs unfused webgpu ${show(diffs)}, vs float64 ${show(vs64)}`);
      [...diffs, ...vs64].forEach((d) => expect(d).toBeLessThanOrEqual(TOL));
      tf.dispose([...out, ...plain, ...Object.values(x)]);
    });
  });

  it('asks for only what the tape needs: dq alone 1 dispatch, dv alone 2; maskBias only when differentiated, and then right', async () => {
    const c = CASES[1];
    const x = tensors(c, host(c, 7));
    const f = fused(c);
    const only = (which: 'q' | 'v') =>
      count(() => tf.grads((t: tf.Tensor) => (which === 'q' ? f(t as tf.Tensor2D, x.k, x.v, x.maskBias) : f(x.q, x.k, t as tf.Tensor2D, x.maskBias)))([x[which]], x.dy));
    const dqOnly = only('q');
    const dvOnly = only('v');
    expect(dqOnly.n).toBe(1 + 1);
    expect(dvOnly.n).toBe(1 + 2);
    const withMask = count(() => gradsOf(f, x, true));
    const plain = gradsOf((q, k, v, m) => unfused(c, q, k, v, m), x, true);
    console.log(`fused attention: forward + backward with maskBias differentiated: ${withMask.n} dispatches (3 without)`);
    const got = await read([...dqOnly.out, ...dvOnly.out, ...withMask.out]);
    const want = await read(plain);
    expect(maxAbs(got[0], want[0])).toBeLessThanOrEqual(TOL);
    expect(maxAbs(got[1], want[2])).toBeLessThanOrEqual(TOL);
    // The bias's gradient sums dS over heads and queries: sums of up to 99 terms of size ~1.
    const maskDiff = maxAbs(got[5], want[3]);
    console.log(`fused attention: maskBias gradient max abs vs unfused ${maskDiff.toExponential(2)}`);
    expect(maskDiff).toBeLessThanOrEqual(TOL);
    tf.dispose([...dqOnly.out, ...dvOnly.out, ...withMask.out, ...plain, ...Object.values(x)]);
  });

  it('a forward that ran fused gets its fused gradient even if the switch is turned off before the backward', async () => {
    const c = CASES[0];
    const x = tensors(c, host(c, 3));
    let grads: tf.Tensor[];
    try {
      grads = tf.grads((q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => {
        const out = fused(c)(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, x.maskBias);
        setFusedKernels(false);
        return out;
      })([x.q, x.k, x.v], x.dy);
    } finally {
      setFusedKernels(true);
    }
    const plain = gradsOf((q, k, v, m) => unfused(c, q, k, v, m), x);
    const [got, want] = [await read(grads), await read(plain)];
    got.forEach((g, i) => expect(maxAbs(g, want[i])).toBeLessThanOrEqual(TOL));
    setFusedKernels(false);
    try {
      expect(() => fused(c)(x.q, x.k, x.v, x.maskBias)).toThrow(/only on the tfjs WebGPU backend/);
    } finally {
      setFusedKernels(true);
    }
    tf.dispose([...grads, ...plain, ...Object.values(x)]);
  });

  it('gradients equal central differences of the fused forward (in float64 on the host) on a few coordinates', async () => {
    const c: Case = { B: 2, L: 9, nH: 2, D: 32, lengths: [9, 6] };
    const h = host(c, 99);
    const x = tensors(c, h);
    const grads = await read(gradsOf(fused(c), x));
    const H = c.nH * c.D;
    const loss = async (which: 'q' | 'k' | 'v', at: number, value: number) => {
      const arrays = { q: h.q.slice(), k: h.k.slice(), v: h.v.slice() };
      arrays[which][at] = value;
      const shape: [number, number] = [c.B * c.L, H];
      const out = tf.tidy(() => fused(c)(tf.tensor2d(arrays.q, shape), tf.tensor2d(arrays.k, shape), tf.tensor2d(arrays.v, shape), x.maskBias));
      const [o] = await read([out]);
      out.dispose();
      let s = 0;
      for (let i = 0; i < o.length; i++) s += o[i] * h.dy[i];
      return s;
    };
    const eps = 1e-2;
    // (sequence, token, column): real tokens in both sequences, and a padded token of sequence 1 (whose key gets
    // no weight, so dk and dv there are 0, while its query row still attends).
    const coords = [
      [0, 0, 0],
      [0, 8, 37],
      [1, 2, 5],
      [1, 5, 63],
      [1, 7, 40],
    ];
    let worst = 0;
    for (const [wi, which] of (['q', 'k', 'v'] as const).entries()) {
      for (const [b, t, col] of coords) {
        const at = (b * c.L + t) * H + col;
        const x0 = h[which][at];
        const up = Math.fround(x0 + eps);
        const down = Math.fround(x0 - eps);
        const fd = ((await loss(which, at, up)) - (await loss(which, at, down))) / (up - down);
        const g = grads[wi][at];
        const err = Math.abs(fd - g);
        worst = Math.max(worst, err);
        // Float32 outputs (~6e-8 relative each, over the ≤ 9·64 the coordinate moves) divided by 2·eps, and the
        // eps² truncation: 2e-3 absolute plus 1% is far above both and far below a wrong gradient.
        expect(err, `${which}[${b}, ${t}, ${col}]: fd ${fd}, analytic ${g}`).toBeLessThanOrEqual(2e-3 + 1e-2 * Math.abs(g));
        if (which !== 'q' && b === 1 && t >= c.lengths[1]) expect(g).toBe(0);
      }
    }
    console.log(`fused attention: gradient vs central differences (eps ${eps}), max abs ${worst.toExponential(2)}`);
    tf.dispose(Object.values(x));
  });

  it('keeps tf.memory() flat across 3 rounds of forward + backward and frees everything', async () => {
    const c = CASES[2];
    const x = tensors(c, host(c, 5));
    const start = tf.memory();
    const round = async () => {
      const gs = gradsOf(fused(c), x);
      await read(gs);
      tf.dispose(gs);
      const out = tf.tidy(() => fused(c)(x.q, x.k, x.v, x.maskBias));
      await read([out]);
      out.dispose();
      return tf.memory();
    };
    const first = await round();
    await round();
    const third = await round();
    expect(third.numTensors).toBe(first.numTensors);
    expect(third.numBytes).toBe(first.numBytes);
    expect(third.numTensors).toBe(start.numTensors);
    expect(third.numBytes).toBe(start.numBytes);
    tf.dispose(Object.values(x));
  });

  for (const c of [
    { B: 1, L: 130, nH: 2, D: 32, lengths: [100] },
    { B: 1, L: 512, nH: 2, D: 32, lengths: [509] },
  ] as Case[]) {
    it(`L = ${c.L} (${Math.ceil(c.L / 64)} blocks of 64 rows, ${Math.ceil(c.L / 32)} tiles of 32 keys) matches the unfused ops forward and backward`, async () => {
      const x = tensors(c, host(c, 31));
      const out = fused(c)(x.q, x.k, x.v, x.maskBias);
      const plain = unfused(c, x.q, x.k, x.v, x.maskBias);
      const g = gradsOf(fused(c), x);
      const gp = gradsOf((q, k, v, m) => unfused(c, q, k, v, m), x);
      const [a, b, ...rest] = await read([out, plain, ...g, ...gp]);
      const diffs = [maxAbs(a, b), ...[0, 1, 2].map((i) => maxAbs(rest[i], rest[i + 3]))];
      console.log(`fused attention, ${label(c)}: max abs vs unfused webgpu out ${diffs[0].toExponential(2)}, dq/dk/dv ${diffs.slice(1).map((d) => d.toExponential(2)).join('/')}`);
      diffs.forEach((d) => expect(d).toBeLessThanOrEqual(TOL));
      tf.dispose([out, plain, ...g, ...gp, ...Object.values(x)]);
    });
  }

  it('matches the cpu backend\'s unfused ops, forward and backward', async () => {
    await compareWithCpu(CASES[1], 77);
  });

  it('more than 65,535 workgroups (a 2-D dispatch) matches a float64 reference', async () => {
    // 32,770 sequences of 5 tokens, 2 heads, one block of rows each: 65,540 workgroups, past one dimension's limit on
    // SwiftShader and the H100.
    // Not against the unfused ops on WebGPU: tfjs 4.22's WebGPU softmax is wrong past 65,535 rows (its spare
    // workgroups of the 2-D dispatch write past the end, which robust buffer access clamps onto the last row: 0.17
    // off there, measured); nor on cpu, which takes a minute here. Forward only: the backward shaders find their row
    // from the workgroup id in the same lines, and 3 × 65,540 workgroups take a minute on SwiftShader.
    const B = 32770;
    const c: Case = { B, L: 5, nH: 2, D: 32, lengths: Array.from({ length: B }, (_, b) => 1 + (b % 5)) };
    expect(c.B * c.nH * Math.ceil(c.L / 64)).toBeGreaterThan(fusedKernels()!.device.limits.maxComputeWorkgroupsPerDimension);
    const h = host(c, 55);
    const x = tensors(c, h);
    const out = fused(c)(x.q, x.k, x.v, x.maskBias);
    const [got] = await read([out]);
    tf.dispose([out, ...Object.values(x)]);
    const diff = maxAbs(got, reference(c, h)[0]);
    console.log(`fused attention webgpu vs float64, ${label(c)}: out ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(TOL);
  });
});
