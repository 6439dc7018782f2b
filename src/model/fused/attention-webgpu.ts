// Self-attention's core as one WebGPU dispatch forward and two backward (issue #21). encoderLayer in
// src/model/encoder.ts builds it from tfjs ops: three transposes into heads, a batched q·kᵀ, a division, the mask's
// add, a softmax, a batched product with v and a transpose back, each one or more dispatches, each with its own
// gradient. Here one workgroup takes one (sequence, head, row) and reads q, k and v in place in their [B·L, H]
// layout, so nothing is transposed and the [B, nH, L, L] scores exist only in workgroup memory.
//
// Backward is flash-attention style: the probabilities are recomputed from the saved q, k and mask, not saved.
// - dispatch 1, per query row i: P_i, dP_i = dC_i·vᵀ, δ_i = Σ_j P_ij·dP_ij, dS_i = P_i ⊙ (dP_i − δ_i),
//   dQ_i = dS_i·k / √D; the row's max, sum and δ go to a small [B·nH·L, 4] scratch;
// - dispatch 2, per key row j: P_ij and dS_ij for every i again from that scratch (no [B, nH, L, L] buffer: 800 MB
//   at B 64, 12 heads, L 512, past many devices' largest binding), dK_j = Σ_i dS_ij·q_i / √D and dV_j = Σ_i P_ij·dC_i, and Σ_i dS_ij (the
//   mask bias's gradient, per head) into the scratch's fourth column.
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
/** Rows of scores a workgroup holds: backward keeps two such rows in workgroup memory, and 2·1024 floats plus the
 * reduction's fit the 16 KiB every WebGPU device offers. */
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
  if (L > FUSED_ATTENTION_MAX_SEQ) throw bad(`sequences of ${L} tokens pass the ${FUSED_ATTENTION_MAX_SEQ} a workgroup holds`);
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
  { name: 'headDim', type: 'i32' },
  { name: 'hidden', type: 'i32' },
  { name: 'scale', type: 'f32' },
];

function uniformsOf(d: Dims): Uniform[] {
  const i32 = (x: number): Uniform => ({ type: 'int32', data: [x] });
  // The unfused path divides by Math.sqrt(D) rounded to float32 (a scalar tensor); so does a f32 uniform.
  return [i32(d.rows), i32(d.L), i32(d.nH), i32(d.D), i32(d.H), { type: 'float32', data: [Math.sqrt(d.D)] }];
}

// The workgroup's (sequence b, head h, row t) and where its head's columns start, shared by the three shaders.
// The row comes from the workgroup id alone, so the early return and the barriers after it stay uniform.
const PROLOGUE = `
  let row = i32(wg.y * nwg.x + wg.x);
  if (row >= u.rows) { return; }
  let tid = i32(li);
  let L = u.seqLen;
  let D = u.headDim;
  let H = u.hidden;
  let bh = row / L;
  let t = row % L;
  let b = bh / u.numHeads;
  let col = (bh % u.numHeads) * D;
  let own = (b * L + t) * H + col;`;

// Max or sum over the workgroup of each invocation's `x`, into `name` (a barrier before the first step makes the
// callers' workgroup-memory writes visible, one after the last lets `red` be reused).
function reduce(name: string, x: string, op: 'max' | 'sum'): string {
  const combine = op === 'max' ? 'max(red[li], red[li + half])' : 'red[li] + red[li + half]';
  return `
  red[li] = ${x};
  for (var half = ${WG / 2}u; half > 0u; half = half / 2u) {
    workgroupBarrier();
    if (li < half) { red[li] = ${combine}; }
  }
  workgroupBarrier();
  let ${name} = red[0];
  workgroupBarrier();`;
}

// Scores of query row `t` against every key into p[], then p[j] = exp(s_j − max) and the row's sum: the softmax of
// tfjs's WebGPU kernel (max subtracted, exp, sum), so a −1e9 key weighs exactly 0 and a fully padded row, whose
// scores all round to −1e9, comes out uniform as it does unfused. The float32 −1e9 + s is that path's sum too.
const ROW_SOFTMAX = `
  var localMax = -3.402823e+38;
  for (var j = tid; j < L; j = j + ${WG}) {
    let kj = (b * L + j) * H + col;
    var acc = 0.0;
    for (var d = 0; d < D; d = d + 1) { acc = acc + q[own + d] * k[kj + d]; }
    let s = acc / u.scale + maskBias[b * L + j];
    p[j] = s;
    localMax = max(localMax, s);
  }
  ${reduce('rowMax', 'localMax', 'max')}
  var localSum = 0.0;
  for (var j = tid; j < L; j = j + ${WG}) {
    let e = exp(p[j] - rowMax);
    p[j] = e;
    localSum = localSum + e;
  }
  ${reduce('rowSum', 'localSum', 'sum')}`;

const HEADER = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {`;

const specs = new Map<string, KernelSpec>();

/** Workgroup memory sized to the next power of two ≥ L (at least WG), so short sequences do not reserve L = 1024's. */
function spec(kind: 'forward' | 'dq' | 'dkv', L: number): KernelSpec {
  let cap = WG;
  while (cap < L) cap *= 2;
  const key = `${kind}-${cap}`;
  let s = specs.get(key);
  if (!s) specs.set(key, (s = build(kind, cap)));
  return s;
}

function build(kind: 'forward' | 'dq' | 'dkv', cap: number): KernelSpec {
  const read = (name: string) => ({ name, access: 'read' as const });
  const base = [read('q'), read('k'), read('v'), read('maskBias')];
  const shared = `var<workgroup> p: array<f32, ${cap}>;\nvar<workgroup> red: array<f32, ${WG}>;\n`;
  const name = `tabtune-attention-${kind}-${cap}`;
  if (kind === 'forward') {
    return {
      name,
      inputs: base,
      uniforms: SHAPE_UNIFORMS,
      workgroupSize: WG,
      // Σ_j e_j·v_j / Σ e rather than tfjs's (e_j / Σ e)·v_j: one division per output instead of per weight.
      body: `${shared}${HEADER}${PROLOGUE}${ROW_SOFTMAX}
  for (var d = tid; d < D; d = d + ${WG}) {
    var acc = 0.0;
    for (var j = 0; j < L; j = j + 1) { acc = acc + p[j] * v[(b * L + j) * H + col + d]; }
    result[own + d] = acc / rowSum;
  }
}
`,
    };
  }
  const dShared = `${shared}var<workgroup> g: array<f32, ${cap}>;\n`;
  if (kind === 'dq') {
    return {
      name,
      inputs: [...base, read('dy'), { name: 'stats', access: 'read_write' }],
      uniforms: SHAPE_UNIFORMS,
      workgroupSize: WG,
      // tfjs's softmax gradient, (dP − Σ dP·P)·P, then the division's and q·kᵀ's.
      body: `${dShared}${HEADER}${PROLOGUE}${ROW_SOFTMAX}
  var localDelta = 0.0;
  for (var j = tid; j < L; j = j + ${WG}) {
    let vj = (b * L + j) * H + col;
    var acc = 0.0;
    for (var d = 0; d < D; d = d + 1) { acc = acc + dy[own + d] * v[vj + d]; }
    let pj = p[j] / rowSum;
    p[j] = pj;
    g[j] = acc;
    localDelta = localDelta + pj * acc;
  }
  ${reduce('delta', 'localDelta', 'sum')}
  for (var j = tid; j < L; j = j + ${WG}) { g[j] = p[j] * (g[j] - delta); }
  workgroupBarrier();
  for (var d = tid; d < D; d = d + ${WG}) {
    var acc = 0.0;
    for (var j = 0; j < L; j = j + 1) { acc = acc + g[j] * k[(b * L + j) * H + col + d]; }
    result[own + d] = acc / u.scale;
  }
  if (tid == 0) {
    stats[row * 4] = rowMax;
    stats[row * 4 + 1] = rowSum;
    stats[row * 4 + 2] = delta;
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
    // Here the workgroup's row is key j = t; i runs over the queries. The products are summed in dispatch 1's
    // order, so P and dS come out as it had them.
    body: `${dShared}${HEADER}${PROLOGUE}
  let bias = maskBias[b * L + t];
  var localCol = 0.0;
  for (var i = tid; i < L; i = i + ${WG}) {
    let qi = (b * L + i) * H + col;
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0; d < D; d = d + 1) {
      s = s + q[qi + d] * k[own + d];
      dp = dp + dy[qi + d] * v[own + d];
    }
    let r = (bh * L + i) * 4;
    let pij = exp((s / u.scale + bias) - stats[r]) / stats[r + 1];
    let ds = pij * (dp - stats[r + 2]);
    p[i] = pij;
    g[i] = ds;
    localCol = localCol + ds;
  }
  ${reduce('colSum', 'localCol', 'sum')}
  for (var d = tid; d < D; d = d + ${WG}) {
    var dk = 0.0;
    var dvAcc = 0.0;
    for (var i = 0; i < L; i = i + 1) {
      let qi = (b * L + i) * H + col + d;
      dk = dk + g[i] * q[qi];
      dvAcc = dvAcc + p[i] * dy[qi];
    }
    result[own + d] = dk / u.scale;
    dv[own + d] = dvAcc;
  }
  if (tid == 0) { stats[row * 4 + 3] = colSum; }
}
`,
  };
}

function forwardKernel({ inputs, attrs }: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { q, k, v, maskBias } = inputs as Record<string, tf.TensorInfo>;
  const d = dims(q, [k, v], maskBias, attrs);
  const kernels = kernelsOrThrow();
  const out = kernels.allocate(d.B * d.L * d.H);
  kernels.run(spec('forward', d.L), out, [q, k, v, maskBias], uniformsOf(d), d.rows * WG);
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
    kernels.run(spec('dq', d.L), dq, [q, k, v, maskBias, dC, stats], uniforms, d.rows * WG);
    dqDone = true;
  };
  const runDkv = () => {
    runDq();
    if (dkvDone) return;
    kernels.run(spec('dkv', d.L), dk, [q, k, v, maskBias, dC, stats, dv], uniforms, d.rows * WG);
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
