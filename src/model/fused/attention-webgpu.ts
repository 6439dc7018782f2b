// Self-attention's core as one WebGPU dispatch forward and two backward (issue #21). encoderLayer in
// src/model/encoder.ts builds it from tfjs ops: three transposes into heads, a batched q·kᵀ, a division, the mask's
// add, a softmax, a batched product with v and a transpose back, each one or more dispatches, each with its own
// gradient. Here q, k and v are read in place in their [B·L, H] layout, so nothing is transposed and the
// [B, nH, L, L] scores never exist.
//
// Tiled as flash attention: a workgroup takes one (sequence, head) and a block of 64 rows, one invocation per row,
// and stages the other side's rows through workgroup memory a tile at a time, so each k or v value read from global
// memory serves 64 rows. (The first version gave each row its own workgroup and re-read k and v per row: on an H100
// the three kernels took 57 ms of an 89 ms MiniLM-L6 LoRA step at seq 128 × batch 64, bench/RESULTS-gpu.md.)
// - forward, per query row: online softmax (running max and sum, the output rescaled as the max grows);
// - dispatch 1 of backward, per query row: the same pass again, then δ_i = dy_i·out_i and a second pass over the keys
//   for dS_ij = P_ij·(dy_i·v_j − δ_i) and dq_i = Σ_j dS_ij·k_j / √D; the row's max, sum and δ go to a small
//   [B·nH·L, 4] scratch;
// - dispatch 2, per key row j: P_ij and dS_ij for every query again from that scratch (no [B, nH, L, L] buffer),
//   dk_j = Σ_i dS_ij·q_i / √D, dv_j = Σ_i P_ij·dy_i, and Σ_i dS_ij (the mask bias's gradient, per head) into the
//   scratch's fourth column.
// The tape calls one closure per input, each under its own tidy, so a tensor made in one closure cannot be handed
// to another. Instead gradFunc (run in the tape's 'backward' scope) allocates dq, dk, dv and the scratch up front
// (allocation is not a dispatch), and each closure runs the dispatches it needs, once, writing into them. What no
// closure returns is disposed with the backward scope. Measured: 2 dispatches for dq, dk and dv together (1 for dq
// alone; dk or dv alone needs dispatch 1's scratch, so 2).
import * as tf from '@tensorflow/tfjs';
import { fusedKernels } from '../../runtime/fused-switch';
import { webGpuKernels, type KernelSpec, type Uniform, type WebGpuKernels } from '../../runtime/webgpu-kernel';

const KERNEL = 'TabtuneAttention';
const WG = 64;
/** The longest sequence the encoder sends here (tiles bound nothing; every bundled model has 512 positions at most). */
export const FUSED_ATTENTION_MAX_SEQ = 1024;

let registered = false;

/** softmax(q·kᵀ/√D + maskBias)·v per sequence and head on [B·L, H] projections (row b·L + t, head h in columns
 * h·D … h·D + D − 1), merged back as [B·L, H]. maskBias [B, L] is 0 for real tokens and −1e9 for padding. Only on
 * tfjs's WebGPU backend (fusedKernels() non-null). */
export function fusedAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, maskBias: tf.Tensor2D, batch: number, seqLen: number, numHeads: number): tf.Tensor2D {
  // Else tfjs's own error, about a kernel not registered for this backend, would be the one seen.
  if (!fusedKernels()) throw new Error('fusedAttention runs only on the tfjs WebGPU backend with the fused kernels on.');
  if (!registered) {
    tf.registerKernel({ kernelName: KERNEL, backendName: 'webgpu', kernelFunc: forwardKernel as tf.KernelFunc });
    // saveAllInputs would be the natural spelling, but tfjs 4.22's engine asserts the inputs are an array for it
    // (engine.js getTensorsForGradient); naming them saves the same four tensors.
    tf.registerGradient({ kernelName: KERNEL, inputsToSave: ['q', 'k', 'v', 'maskBias'], gradFunc });
    registered = true;
  }
  return tf.engine().runKernel(KERNEL, { q, k, v, maskBias } as unknown as tf.NamedTensorMap, { batch, seqLen, numHeads }) as tf.Tensor2D;
}

interface Dims {
  B: number;
  L: number;
  nH: number;
  D: number;
  H: number;
  rows: number;
}

function dims(q: tf.TensorInfo, others: tf.TensorInfo[], maskBias: tf.TensorInfo, attrs: tf.NamedAttrMap): Dims {
  const B = attrs.batch as number;
  const L = attrs.seqLen as number;
  const nH = attrs.numHeads as number;
  const H = q.shape[1];
  const D = H / nH;
  const bad = (why: string) => new Error(`fusedAttention: ${why}.`);
  if (q.shape.length !== 2 || q.shape[0] !== B * L || !Number.isInteger(D)) throw bad(`q is [${q.shape}], not [${B}·${L}, ${nH}·D]`);
  if (others.some((t) => !tf.util.arraysEqual(t.shape, q.shape))) throw bad('q, k, v (and the upstream gradient) differ in shape');
  if (!tf.util.arraysEqual(maskBias.shape, [B, L])) throw bad(`maskBias is [${maskBias.shape}], not [${B}, ${L}]`);
  if ([q, ...others, maskBias].some((t) => t.dtype !== 'float32')) throw bad('every input must be float32');
  if (L > FUSED_ATTENTION_MAX_SEQ) throw bad(`sequences of ${L} tokens pass the ${FUSED_ATTENTION_MAX_SEQ} this kernel takes`);
  return { B, L, nH, D, H, rows: B * nH * L };
}

// Not fusedKernels(): a gradient of a forward that ran fused must run fused even if the switch was turned off since.
function kernelsOrThrow(): WebGpuKernels {
  const k = webGpuKernels();
  if (!k) throw new Error('TabtuneAttention ran on a backend that is not tfjs WebGPU.');
  return k;
}

const SHAPE_UNIFORMS: KernelSpec['uniforms'] = [
  { name: 'rows', type: 'i32' },
  { name: 'seqLen', type: 'i32' },
  { name: 'numHeads', type: 'i32' },
  { name: 'hidden', type: 'i32' },
  { name: 'scale', type: 'f32' },
];

function uniformsOf(d: Dims): Uniform[] {
  const i32 = (x: number): Uniform => ({ type: 'int32', data: [x] });
  // The unfused path divides by Math.sqrt(D) rounded to float32 (a scalar tensor); so does a f32 uniform.
  // D is a constant of each shader (spec), not a uniform.
  return [i32(d.rows), i32(d.L), i32(d.nH), i32(d.H), { type: 'float32', data: [Math.sqrt(d.D)] }];
}

/** Workgroups of one dispatch: one per (sequence, head, block of WG rows). */
const workgroupsOf = (d: Dims) => d.B * d.nH * Math.ceil(d.L / WG);

/** Rows of the other side staged in workgroup memory at a time: two [tile, D] tiles (k and v forward; q and dy for
 * dk, dv) fill 8 KiB of the 16 KiB every WebGPU device offers. */
const tileRows = (D: number) => Math.max(1, Math.min(64, Math.floor(1024 / D)));

// The workgroup's (sequence b, head h, block of rows) and this invocation's row i in it. The block comes from the
// workgroup id alone, so the early return stays uniform; an invocation past the sequence's end (i ≥ L) takes part
// in every tile load and barrier, reads row L − 1, and writes nothing.
const PROLOGUE = `
  let nb = (u.seqLen + ${WG} - 1) / ${WG};
  let w = i32(wg.y * nwg.x + wg.x);
  if (w >= (u.rows / u.seqLen) * nb) { return; }
  let tid = i32(li);
  let L = u.seqLen;
  let H = u.hidden;
  let bh = w / nb;
  let i = (w % nb) * ${WG} + tid;
  let live = i < L;
  let b = bh / u.numHeads;
  let col = (bh % u.numHeads) * D;
  let own = (b * L + min(i, L - 1)) * H + col;`;

/** Stages rows j0 … j0 + T − 1 of two [B·L, H] inputs (this head's D columns) into workgroup tiles ta and tb, zeros
 * past the sequence's end, and the rows' `extra` values (mask bias or saved statistics) where asked. */
function stage(a: string, bIn: string, T: number, extra = ''): string {
  return `
    workgroupBarrier();
    for (var e = tid; e < ${T} * D; e = e + ${WG}) {
      let j = j0 + e / D;
      if (j < L) {
        let at = (b * L + j) * H + col + e % D;
        ta[e] = ${a}[at];
        tb[e] = ${bIn}[at];
      } else {
        ta[e] = 0.0;
        tb[e] = 0.0;
      }
    }${extra}
    workgroupBarrier();
    let n = min(${T}, L - j0);`;
}

// Keys' mask bias into mb[] beside their tiles.
const MASK_EXTRA = `
    for (var e = tid; e < TILE; e = e + ${WG}) { mb[e] = select(0.0, maskBias[b * L + min(j0 + e, L - 1)], j0 + e < L); }`;

function build(kind: 'forward' | 'dq' | 'dkv', D: number): KernelSpec {
  const T = tileRows(D);
  const read = (name: string) => ({ name, access: 'read' as const });
  const base = [read('q'), read('k'), read('v'), read('maskBias')];
  const consts = `const D = ${D};\nconst TILE = ${T};\n`;
  const tiles = `var<workgroup> ta: array<f32, ${T * D}>;\nvar<workgroup> tb: array<f32, ${T * D}>;\n`;
  const header = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {`;
  const name = `tabtune-attention-${kind}-d${D}`;
  // Forward and dq's first pass: row statistics and the unnormalised output, keys staged TILE at a time.
  const softmaxPass = `
  var qr: array<f32, D>;
  var acc: array<f32, D>;
  for (var d = 0; d < D; d = d + 1) { qr[d] = q[own + d]; acc[d] = 0.0; }
  var m = -3.402823e+38;
  var l = 0.0;
  for (var j0 = 0; j0 < L; j0 = j0 + TILE) {${stage('k', 'v', T, MASK_EXTRA)}
    for (var jj = 0; jj < n; jj = jj + 1) {
      var s = 0.0;
      for (var d = 0; d < D; d = d + 1) { s = s + qr[d] * ta[jj * D + d]; }
      s = s / u.scale + mb[jj];
      if (s > m) {
        let c = exp(m - s);
        l = l * c;
        for (var d = 0; d < D; d = d + 1) { acc[d] = acc[d] * c; }
        m = s;
      }
      let e = exp(s - m);
      l = l + e;
      for (var d = 0; d < D; d = d + 1) { acc[d] = acc[d] + e * tb[jj * D + d]; }
    }
  }`;
  if (kind === 'forward') {
    return {
      name,
      inputs: base,
      uniforms: SHAPE_UNIFORMS,
      workgroupSize: WG,
      body: `${consts}${tiles}var<workgroup> mb: array<f32, ${T}>;\n${header}${PROLOGUE}${softmaxPass}
  if (live) { for (var d = 0; d < D; d = d + 1) { result[own + d] = acc[d] / l; } }
}
`,
    };
  }
  if (kind === 'dq') {
    return {
      name,
      inputs: [...base, read('dy'), { name: 'stats', access: 'read_write' }],
      uniforms: SHAPE_UNIFORMS,
      workgroupSize: WG,
      // δ_i = Σ_j P_ij·dP_ij = dy_i·(Σ_j P_ij·v_j) = dy_i·out_i (flash attention 2), from the first pass's acc / l.
      // Second pass: dS_ij = P_ij·(dy_i·v_j − δ_i) (tfjs's softmax gradient) and dq_i = Σ_j dS_ij·k_j / √D.
      body: `${consts}${tiles}var<workgroup> mb: array<f32, ${T}>;\n${header}${PROLOGUE}${softmaxPass}
  var dyr: array<f32, D>;
  var delta = 0.0;
  for (var d = 0; d < D; d = d + 1) {
    dyr[d] = dy[own + d];
    delta = delta + dyr[d] * (acc[d] / l);
    acc[d] = 0.0;
  }
  for (var j0 = 0; j0 < L; j0 = j0 + TILE) {${stage('k', 'v', T, MASK_EXTRA)}
    for (var jj = 0; jj < n; jj = jj + 1) {
      var s = 0.0;
      var dp = 0.0;
      for (var d = 0; d < D; d = d + 1) {
        s = s + qr[d] * ta[jj * D + d];
        dp = dp + dyr[d] * tb[jj * D + d];
      }
      let p = exp((s / u.scale + mb[jj]) - m) / l;
      let ds = p * (dp - delta);
      for (var d = 0; d < D; d = d + 1) { acc[d] = acc[d] + ds * ta[jj * D + d]; }
    }
  }
  if (live) {
    for (var d = 0; d < D; d = d + 1) { result[own + d] = acc[d] / u.scale; }
    let r = (bh * L + i) * 4;
    stats[r] = m;
    stats[r + 1] = l;
    stats[r + 2] = delta;
  }
}
`,
    };
  }
  return {
    name,
    // 8 storage buffers with the result: the most a stage may bind on every WebGPU device.
    inputs: [...base, read('dy'), { name: 'stats', access: 'read_write' }, { name: 'dv', access: 'read_write' }],
    uniforms: SHAPE_UNIFORMS,
    workgroupSize: WG,
    // Here the invocation's row is key j = i; queries are staged TILE at a time with dispatch 1's statistics, and
    // P and dS are recomputed with the same operations in the same order as there.
    body: `${consts}${tiles}var<workgroup> st: array<f32, ${3 * T}>;\n${header}${PROLOGUE}
  let bias = maskBias[b * L + min(i, L - 1)];
  var kr: array<f32, D>;
  var vr: array<f32, D>;
  var dk: array<f32, D>;
  var dvAcc: array<f32, D>;
  for (var d = 0; d < D; d = d + 1) { kr[d] = k[own + d]; vr[d] = v[own + d]; dk[d] = 0.0; dvAcc[d] = 0.0; }
  var colSum = 0.0;
  for (var j0 = 0; j0 < L; j0 = j0 + TILE) {${stage('q', 'dy', T, `
    for (var e = tid; e < 3 * TILE; e = e + ${WG}) {
      let r = j0 + e / 3;
      st[e] = select(0.0, stats[(bh * L + min(r, L - 1)) * 4 + e % 3], r < L);
    }`)}
    for (var ii = 0; ii < n; ii = ii + 1) {
      var s = 0.0;
      var dp = 0.0;
      for (var d = 0; d < D; d = d + 1) {
        s = s + ta[ii * D + d] * kr[d];
        dp = dp + tb[ii * D + d] * vr[d];
      }
      let p = exp((s / u.scale + bias) - st[ii * 3]) / st[ii * 3 + 1];
      let ds = p * (dp - st[ii * 3 + 2]);
      colSum = colSum + ds;
      for (var d = 0; d < D; d = d + 1) {
        dk[d] = dk[d] + ds * ta[ii * D + d];
        dvAcc[d] = dvAcc[d] + p * tb[ii * D + d];
      }
    }
  }
  if (live) {
    for (var d = 0; d < D; d = d + 1) {
      result[own + d] = dk[d] / u.scale;
      dv[own + d] = dvAcc[d];
    }
    stats[(bh * L + i) * 4 + 3] = colSum;
  }
}
`,
  };
}

const specs = new Map<string, KernelSpec>();

/** One shader per head size: the row's q, output and gradient live in D-long private arrays. */
function spec(kind: 'forward' | 'dq' | 'dkv', D: number): KernelSpec {
  const key = `${kind}-${D}`;
  let s = specs.get(key);
  if (!s) specs.set(key, (s = build(kind, D)));
  return s;
}

function forwardKernel({ inputs, attrs }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { q, k, v, maskBias } = inputs as Record<string, tf.TensorInfo>;
  const d = dims(q, [k, v], maskBias, attrs);
  const kernels = kernelsOrThrow();
  const out = kernels.allocate(d.B * d.L * d.H);
  kernels.run(spec('forward', d.D), out, [q, k, v, maskBias], uniformsOf(d), workgroupsOf(d) * WG);
  return { dataId: out.dataId, shape: [d.B * d.L, d.H], dtype: 'float32' };
}

const gradFunc: tf.GradFunc = (dy, saved, attrs) => {
  const [q, k, v, maskBias] = saved;
  const dC = dy as tf.Tensor;
  const d = dims(q, [k, v, dC], maskBias, attrs);
  const kernels = kernelsOrThrow();
  const engine = tf.engine();
  // Made here, in the tape's scope, so each closure's tidy leaves them be; the ones nobody asks for go with it.
  const make = (size: number, shape: number[]) => engine.makeTensorFromDataId(kernels.allocate(size).dataId, shape, 'float32');
  const dq = make(q.size, q.shape);
  const dk = make(q.size, q.shape);
  const dv = make(q.size, q.shape);
  const stats = make(d.rows * 4, [d.rows, 4]);
  const uniforms = uniformsOf(d);
  let dqDone = false;
  let dkvDone = false;
  const runDq = () => {
    if (dqDone) return;
    kernels.run(spec('dq', d.D), dq, [q, k, v, maskBias, dC, stats], uniforms, workgroupsOf(d) * WG);
    dqDone = true;
  };
  const runDkv = () => {
    runDq();
    if (dkvDone) return;
    kernels.run(spec('dkv', d.D), dk, [q, k, v, maskBias, dC, stats, dv], uniforms, workgroupsOf(d) * WG);
    dkvDone = true;
  };
  return {
    q: () => (runDq(), dq),
    k: () => (runDkv(), dk),
    v: () => (runDkv(), dv),
    // The tape calls this only when maskBias depends on what is differentiated (tape.js prunes the other inputs),
    // which the encoder's mask, built from int ids, never does: then it costs a slice and a sum over heads.
    maskBias: () => {
      runDkv();
      return tf.sum(tf.reshape(tf.slice(stats, [0, 3], [d.rows, 1]), [d.B, d.nH, d.L]), 1);
    },
  };
};
