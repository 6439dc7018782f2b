// The fused linear kernels (src/model/fused/linear-webgpu.ts) on WebGPU in Node on Dawn (SwiftShader here): forward
// and every gradient against the unfused ops they replace (encoder.ts's linear and gelu, lora.ts's hook) on the same
// backend, gradients against central differences of the fused forward, dispatch counts (a frozen weight's product
// never runs), memory, device errors, and one case against the cpu backend.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { expectNoWebGpuErrors } from '../helpers/webgpu-errors';
import { useBackend } from '../../src/runtime/tf-node';
import { fusedKernels } from '../../src/runtime/fused-switch';
import { fusedBiasGelu, fusedLinear, fusedLoraLinear } from '../../src/model/fused/linear-webgpu';
import { gelu, type Linear } from '../../src/model/encoder';
import { loraDropout, loraHook, type LoraAdapter } from '../../src/model/lora';
import { dispatches } from '../helpers/webgpu-dispatches';

const TOL = 1e-5;
const ROWS = 37;
const R = 8;
const SCALING = 2; // alpha 16 / r 8
const DROPOUT = 0.25;
const DROP_SEED = 1234;

const read = (ts: tf.Tensor[]) => Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Uniform in [-scale, scale), the same numbers on every backend (mulberry32). */
function host(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

interface Case {
  inDim: number;
  outDim: number;
  data: Record<'x' | 'w' | 'b' | 'a' | 'bMat' | 'up', Float32Array>;
}

function makeCase(inDim: number, outDim: number, seed: number): Case {
  return {
    inDim,
    outDim,
    data: {
      x: host(ROWS * inDim, seed + 1, 1),
      w: host(inDim * outDim, seed + 2, 0.2),
      b: host(outDim, seed + 3, 1),
      a: host(inDim * R, seed + 4, 1 / Math.sqrt(inDim)),
      bMat: host(R * outDim, seed + 5, 0.2), // PEFT starts B at zero; non-zero here so that every term counts
      up: host(ROWS * outDim, seed + 6, 1), // the upstream gradient / the loss's weights
    },
  };
}

type Inputs = Record<'x' | 'w' | 'b' | 'a' | 'bMat' | 'up', tf.Tensor>;
function tensors(c: Case): Inputs {
  const { x, w, b, a, bMat, up } = c.data;
  return {
    x: tf.tensor2d(x, [ROWS, c.inDim]),
    w: tf.tensor2d(w, [c.inDim, c.outDim]),
    b: tf.tensor1d(b),
    a: tf.tensor2d(a, [c.inDim, R]),
    bMat: tf.tensor2d(bMat, [R, c.outDim]),
    up: tf.tensor2d(up, [ROWS, c.outDim]),
  };
}

// ---- the ops, fused and unfused, as functions of the differentiated inputs ----

type Op = (...xs: tf.Tensor[]) => tf.Tensor;
const t2 = (t: tf.Tensor) => t as tf.Tensor2D;
const t1 = (t: tf.Tensor) => t as tf.Tensor1D;
const dropped = (x: tf.Tensor) => loraDropout(t2(x), DROPOUT, DROP_SEED);

/** encoder.ts's linear (private there): matMul, then add. */
const unfusedLinear = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.matMul(x, w), b) as tf.Tensor2D;

/** encoder.ts's unfused linear with the adapter lora.ts's hook gives it, the mask drawn with DROP_SEED as the fused
 * side's xd is. */
function unfusedLora(dropout: number): Op {
  return (x, w, b, a, bMat) => {
    const lin = { name: 'm', kernel: w, bias: b } as unknown as Linear;
    const adapter = { module: 'm', a, b: bMat, scaling: SCALING } as unknown as LoraAdapter;
    const ad = loraHook([adapter], dropout, true, () => DROP_SEED)(lin)!;
    return tf.add(unfusedLinear(x, w, b), tf.mul(tf.matMul(tf.matMul(ad.input(t2(x)), ad.a), ad.b), ad.scaling));
  };
}

const ops: { name: string; inputs: (keyof Inputs)[]; labels?: string[]; fused: Op; unfused: Op; forward: number; backward: number }[] = [
  { name: 'linear', inputs: ['x', 'w', 'b'], fused: (x, w, b) => fusedLinear(t2(x), t2(w), t1(b)), unfused: unfusedLinear, forward: 1, backward: 3 },
  {
    name: 'LoRA linear, xd = x',
    inputs: ['x', 'w', 'b', 'a', 'bMat'],
    fused: (x, w, b, a, bm) => fusedLoraLinear(t2(x), t2(x), t2(w), t1(b), t2(a), t2(bm), SCALING),
    unfused: unfusedLora(0),
    forward: 3,
    backward: 2 + 1 + 1 + 2 + 2,
  },
  {
    name: 'LoRA linear, dropped-out xd',
    inputs: ['x', 'w', 'b', 'a', 'bMat'],
    fused: (x, w, b, a, bm) => fusedLoraLinear(t2(x), dropped(x), t2(w), t1(b), t2(a), t2(bm), SCALING),
    unfused: unfusedLora(DROPOUT),
    forward: -1, // the dropout's own ops run too: counted below with xd given
    backward: -1,
  },
  { name: 'bias + GELU', inputs: ['x', 'b'], labels: ['h', 'b'], fused: (h, b) => fusedBiasGelu(t2(h), t1(b)), unfused: (h, b) => gelu(tf.add(h, b) as tf.Tensor2D), forward: 1, backward: 2 },
];

/** For bias + GELU, h is [rows, out]: the case's upstream's shape. */
function inputsFor(op: (typeof ops)[number], c: Case, t: Inputs): tf.Tensor[] {
  if (op.name !== 'bias + GELU') return op.inputs.map((k) => t[k]);
  return [tf.tensor2d(host(ROWS * c.outDim, 99, 3), [ROWS, c.outDim]), t.b];
}

beforeAll(async () => {
  await useBackend('webgpu');
});

afterEach(async () => {
  await expectNoWebGpuErrors();
});

// 72 columns: a column-sum workgroup (16 columns) left part empty.
const cases = [makeCase(64, 72, 10), makeCase(100, 256, 20)];

describe('fused linear kernels on WebGPU against the unfused ops', () => {
  it('runs on tfjs WebGPU with the fused kernels switched on', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(fusedKernels()).not.toBeNull();
  });

  for (const c of cases) {
    for (const op of ops) {
      it(`${op.name}, in ${c.inDim}, out ${c.outDim}: forward equals the unfused ops within ${TOL}, in ${op.forward > 0 ? op.forward : 3} dispatches`, async () => {
        const t = tensors(c);
        const xs = inputsFor(op, c, t);
        const [fused, unfused] = [op.fused(...xs), op.unfused(...xs)];
        const d = maxAbs(...((await read([fused, unfused])) as [Float32Array, Float32Array]));
        console.log(`${op.name} ${c.inDim}→${c.outDim} forward: max abs ${d.toExponential(2)} vs unfused webgpu`);
        expect(d).toBeLessThanOrEqual(TOL);
        if (op.forward > 0) {
          expect(dispatches(() => tf.tidy(() => void op.fused(...xs)))).toBe(op.forward);
          console.log(`${op.name} ${c.inDim}→${c.outDim} forward dispatches: fused ${op.forward}, unfused ${dispatches(() => tf.tidy(() => void op.unfused(...xs)))}`);
        }
        tf.dispose([fused, unfused, ...Object.values(t), ...xs]);
      });

      it(`${op.name}, in ${c.inDim}, out ${c.outDim}: every input's gradient equals the unfused one within ${TOL}`, async () => {
        const t = tensors(c);
        const xs = inputsFor(op, c, t);
        const loss = (f: Op) => (...v: tf.Tensor[]) => tf.sum(tf.mul(f(...v), t.up));
        const fused = tf.grads(loss(op.fused))(xs);
        const unfused = tf.grads(loss(op.unfused))(xs);
        const got = await read(fused);
        const want = await read(unfused);
        const diffs = got.map((g, i) => maxAbs(g, want[i]));
        console.log(`${op.name} ${c.inDim}→${c.outDim} gradients (${(op.labels ?? op.inputs).join(', ')}): max abs ${diffs.map((x) => x.toExponential(2)).join(', ')} vs unfused webgpu`);
        diffs.forEach((d, i) => expect(d, (op.labels ?? op.inputs)[i]).toBeLessThanOrEqual(TOL));
        tf.dispose([...fused, ...unfused, ...Object.values(t), ...xs]);
      });
    }
  }

  // The loss is Σ y·up, summed on the host in float64 from the fused forward's float32 y; the difference is over
  // the float32 values actually perturbed. Linear in each input but GELU's, so the error is y's float32 rounding
  // divided by 2ε (about 1e-5 at ε = 0.05): the bound, 1e-3 of max(1, |g|), is loose; measured values are logged.
  it('gradients equal central differences of the fused forward on a few coordinates of every input', async () => {
    const c = cases[0];
    let worst = 0;
    for (const op of ops) {
      const t = tensors(c);
      const xs = inputsFor(op, c, t);
      const up = c.data.up;
      const grads = await read(tf.grads((...v: tf.Tensor[]) => tf.sum(tf.mul(op.fused(...v), t.up)))(xs));
      const hostXs = await read(xs);
      const lossAt = async (k: number, idx: number, value: number) => {
        const vals = hostXs[k].slice();
        vals[idx] = value;
        const y = tf.tidy(() => op.fused(...xs.map((x, j) => (j === k ? tf.tensor(vals, x.shape) : x))));
        const yv = (await y.data()) as Float32Array;
        y.dispose();
        let s = 0;
        for (let i = 0; i < yv.length; i++) s += yv[i] * up[i];
        return s;
      };
      const eps = op.name === 'bias + GELU' ? 1e-2 : 5e-2;
      for (let k = 0; k < xs.length; k++) {
        for (const idx of [0, 7, xs[k].size - 1]) {
          const v = hostXs[k][idx];
          const hi = Math.fround(v + eps);
          const lo = Math.fround(v - eps);
          const fd = ((await lossAt(k, idx, hi)) - (await lossAt(k, idx, lo))) / (hi - lo);
          const g = grads[k][idx];
          const err = Math.abs(fd - g) / Math.max(1, Math.abs(g));
          worst = Math.max(worst, err);
          expect(err, `${op.name} d/d${(op.labels ?? op.inputs)[k]}[${idx}]: ${g} vs central difference ${fd}`).toBeLessThanOrEqual(1e-3);
        }
      }
      tf.dispose([...Object.values(t), ...xs]);
    }
    console.log(`central differences: worst |fd - g| / max(1, |g|) = ${worst.toExponential(2)}`);
  });
});

describe('fused linear kernels: dispatches in the backward pass, memory, the cpu backend', () => {
  /** Dispatches of tf.grads(f)(xs, dy) less those of f alone: the backward pass of f's one node. */
  const backward = (f: Op, xs: tf.Tensor[], dy: tf.Tensor) => {
    const all = dispatches(() => tf.tidy(() => void tf.grads(f)(xs, dy)));
    return all - dispatches(() => tf.tidy(() => void f(...xs)));
  };

  it('backward: each input costs only its own products, and only the inputs asked for run', () => {
    const c = cases[1];
    const t = tensors(c);
    const [w, b] = [tf.variable(t.w, false), tf.variable(t.b, false)];
    const xd = tf.mul(t.x, 2);
    const counts: Record<string, number> = {
      'linear: x only (W, b frozen)': backward((x) => fusedLinear(t2(x), t2(w), t1(b)), [t.x], t.up),
      'linear: x, W, b': backward((x, ww, bb) => fusedLinear(t2(x), t2(ww), t1(bb)), [t.x, t.w, t.b], t.up),
      'LoRA, xd = x: x, A, B (W, b frozen)': backward((x, a, bm) => fusedLoraLinear(t2(x), t2(x), t2(w), t1(b), t2(a), t2(bm), SCALING), [t.x, t.a, t.bMat], t.up),
      'LoRA, xd = x: A, B only': backward((a, bm) => fusedLoraLinear(t2(t.x), t2(t.x), t2(w), t1(b), t2(a), t2(bm), SCALING), [t.a, t.bMat], t.up),
      'LoRA, xd = x: all five': backward((x, ww, bb, a, bm) => fusedLoraLinear(t2(x), t2(x), t2(ww), t1(bb), t2(a), t2(bm), SCALING), [t.x, t.w, t.b, t.a, t.bMat], t.up),
      'LoRA, xd given: x, xd, A, B (W, b frozen)': backward(
        (x, xd, a, bm) => fusedLoraLinear(t2(x), t2(xd), t2(w), t1(b), t2(a), t2(bm), SCALING),
        [t.x, xd, t.a, t.bMat],
        t.up,
      ),
      'LoRA, xd given: B only': backward((bm) => fusedLoraLinear(t2(t.x), t2(xd), t2(w), t1(b), t2(t.a), t2(bm), SCALING), [t.bMat], t.up),
      'bias + GELU: h only': backward((h) => fusedBiasGelu(t2(h), t1(b)), [t.up], t.up),
      'bias + GELU: h, b': backward((h, bb) => fusedBiasGelu(t2(h), t1(bb)), [t.up, t.b], t.up),
    };
    const unfused: Record<string, number> = {
      'linear: x only (W, b frozen)': backward((x) => unfusedLinear(x, w, b), [t.x], t.up),
      'LoRA, xd = x: x, A, B (W, b frozen)': backward((x, a, bm) => unfusedLora(0)(x, w, b, a, bm), [t.x, t.a, t.bMat], t.up),
      'bias + GELU: h, b': backward((h, bb) => gelu(tf.add(h, bb) as tf.Tensor2D), [t.up, t.b], t.up),
    };
    console.log('backward dispatches:', JSON.stringify(counts), 'unfused:', JSON.stringify(unfused));
    expect(counts).toEqual({
      'linear: x only (W, b frozen)': 1,
      'linear: x, W, b': 3,
      'LoRA, xd = x: x, A, B (W, b frozen)': 6,
      'LoRA, xd = x: A, B only': 4,
      'LoRA, xd = x: all five': 8,
      'LoRA, xd given: x, xd, A, B (W, b frozen)': 6,
      'LoRA, xd given: B only': 3, // u, made for A and xd, is not wanted here
      'bias + GELU: h only': 1,
      'bias + GELU: h, b': 2,
    });
    tf.dispose([w, b, xd, ...Object.values(t)]);
  });

  it('tf.variableGrads skips frozen variables: W and b trainable cost exactly their two dispatches more', () => {
    const c = cases[1];
    const t = tensors(c);
    const run = (trainable: boolean) => {
      const vs = [t.x, t.w, t.b, t.a, t.bMat].map((v, i) => tf.variable(v, i === 0 || i >= 3 || trainable));
      const [x, w, b, a, bm] = vs;
      let names: string[] = [];
      const n = dispatches(() =>
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => tf.sum(tf.mul(fusedLoraLinear(t2(x), t2(x), t2(w), t1(b), t2(a), t2(bm), SCALING), t.up)) as tf.Scalar, vs);
          // Frozen variables in an explicit list come back as null (tfjs-core's gradients.js, variableGrads).
          names = Object.keys(grads).filter((k) => grads[k] != null);
        }),
      );
      tf.dispose(vs);
      return { n, names: names.length };
    };
    const frozen = run(false);
    const full = run(true);
    console.log(`variableGrads LoRA step: ${frozen.n} dispatches with W, b frozen, ${full.n} with them trainable`);
    expect(frozen.names).toBe(3);
    expect(full.names).toBe(5);
    expect(full.n - frozen.n).toBe(2);
    tf.dispose(Object.values(t));
  });

  it('leaks nothing: tf.memory() is the same after each of 3 rounds of forward and backward, and back where it started', () => {
    const c = cases[0];
    const t = tensors(c);
    const start = tf.memory();
    const round = () =>
      tf.tidy(() => {
        for (const op of ops) {
          const xs = inputsFor(op, c, t);
          tf.grads((...v: tf.Tensor[]) => tf.sum(tf.mul(op.fused(...v), t.up)))(xs);
        }
      });
    const after: { numTensors: number; numBytes: number }[] = [];
    for (let i = 0; i < 3; i++) {
      round();
      const m = tf.memory();
      after.push({ numTensors: m.numTensors, numBytes: m.numBytes });
    }
    expect(after).toEqual(Array(3).fill({ numTensors: start.numTensors, numBytes: start.numBytes }));
    tf.dispose(Object.values(t));
  });

  it('LoRA with dropout off, then bias + GELU: forward and gradients equal the cpu backend’s unfused ops', async () => {
    const c = cases[1];
    const f = (fused: boolean) => (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, a: tf.Tensor, bm: tf.Tensor, b2: tf.Tensor) => {
      const y = fused ? fusedLoraLinear(t2(x), t2(x), t2(w), t1(b), t2(a), t2(bm), SCALING) : unfusedLora(0)(x, w, b, a, bm);
      return fused ? fusedBiasGelu(t2(y), t1(b2)) : gelu(tf.add(y, b2) as tf.Tensor2D);
    };
    const compute = async (fused: boolean) => {
      const t = tensors(c);
      const b2 = tf.tensor1d(host(c.outDim, 77, 1));
      const xs = [t.x, t.w, t.b, t.a, t.bMat, b2];
      const { value, grads } = tf.valueAndGrads((...v: tf.Tensor[]) => tf.sum(tf.mul(f(fused)(...(v as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])), t.up)))(xs);
      const y = tf.tidy(() => f(fused)(...(xs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])));
      const out = await read([y, ...grads]);
      tf.dispose([value, y, ...grads, ...xs, t.up]);
      return out;
    };
    await useBackend('cpu');
    let cpu: Float32Array[];
    try {
      cpu = await compute(false);
    } finally {
      await useBackend('webgpu');
    }
    const gpu = await compute(true);
    const diffs = gpu.map((g, i) => maxAbs(g, cpu[i]));
    console.log(`fused webgpu vs unfused cpu, LoRA → bias + GELU (y, dx, dW, db, dA, dB, db2): max abs ${diffs.map((d) => d.toExponential(2)).join(', ')}`);
    diffs.forEach((d) => expect(d).toBeLessThanOrEqual(TOL));
  });
});
