// Residual add + LayerNorm as one WebGPU kernel with its own gradient (issue #21). Unfused, layerNorm(x + r) in
// src/model/encoder.ts is an add, moments, sqrt, sub, div, mul and add forward and about a dozen ops backward, each a
// dispatch; on WebGPU a step costs about what its dispatches cost to encode (bench/RESULTS-gpu.md). Here:
// - forward: 1 dispatch, one workgroup per row (mean, then variance, then y, re-reading the row: hidden ≤ a few
//   thousand floats stays in cache);
// - backward for x and the residual (the same tensor: the gradient of x + r): 1 dispatch, per row, that recomputes
//   the mean and σ from the saved inputs and writes them to a small [rows, 2] buffer on the way;
// - dγ and dβ: 1 dispatch writing both (one invocation per column and row lane, the lanes summed in shared memory),
//   reading the per-row stats the dx dispatch wrote; 2 when dx was not asked for (a stats dispatch first).
// The maths is encoder.ts's layerNorm, in the same order of operations, in float32.
//
// Only y is an output: tfjs's tape would build zeros on the host for every unused output of a multi-output kernel in
// the backward pass. The gradient is a map of closures, and the tape calls only those whose input leads to a
// trainable tensor, so with γ and β frozen (LoRA) the column dispatch never runs.
import * as tf from '@tensorflow/tfjs';
import { webGpuKernels, type KernelSpec, type Uniform, type WebGpuKernels } from '../../runtime/webgpu-kernel';

/** tfjs's NamedGradientMap (not re-exported by @tensorflow/tfjs): one closure per input, called only when asked. */
type GradientMap = Record<string, () => tf.Tensor>;

const WITH_RESIDUAL = 'TabtuneLayerNorm';
// inputsToSave names inputs, and an absent one would be saved as undefined: the case without a residual has its own name.
const WITHOUT_RESIDUAL = 'TabtuneLayerNormNoResidual';

/** Columns per workgroup of the dγ/dβ kernel, and row lanes per column: 32 × 8 = 256 invocations. */
const COLS = 32;
const LANES = 8;
/** Rows each lane sums on their own before adding them to its total. */
const BLOCK = 16;

let registered = false;

/** LayerNorm(x + residual) over the last axis (biased variance, eps inside the sqrt), y = x̂·γ + β; residual may be null. */
export function fusedLayerNorm(x: tf.Tensor2D, residual: tf.Tensor2D | null, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  const [rows, hidden] = x.shape;
  if (x.rank !== 2 || (residual && !tf.util.arraysEqual(residual.shape, x.shape)) || gamma.size !== hidden || beta.size !== hidden) {
    throw new Error(`fusedLayerNorm: x [${x.shape}], residual [${residual?.shape ?? ''}], γ [${gamma.shape}], β [${beta.shape}] do not fit.`);
  }
  if ([x, residual, gamma, beta].some((t) => t && t.dtype !== 'float32')) throw new Error('fusedLayerNorm: float32 tensors only.');
  if (rows === 0) return tf.zeros([0, hidden]);
  register();
  const inputs: tf.NamedTensorMap = residual ? { x, residual, gamma, beta } : { x, gamma, beta };
  return tf.engine().runKernel(residual ? WITH_RESIDUAL : WITHOUT_RESIDUAL, inputs, { eps }) as tf.Tensor2D;
}

function register(): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, withResidual] of [[WITH_RESIDUAL, true], [WITHOUT_RESIDUAL, false]] as const) {
    // Another copy of this module (a second bundle) may have registered them already: the same kernels.
    if (tf.getKernel(kernelName, 'webgpu')) continue;
    tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc: (args) => forward(args.inputs, args.attrs as { eps: number }, withResidual) });
    tf.registerGradient({
      kernelName,
      inputsToSave: withResidual ? ['x', 'residual', 'gamma'] : ['x', 'gamma'],
      gradFunc: (dy, saved, attrs) => backward(dy as tf.Tensor, saved, (attrs as { eps: number }).eps, withResidual),
    });
  }
}

function kernels(): WebGpuKernels {
  const k = webGpuKernels();
  if (!k) throw new Error('fusedLayerNorm runs on the tfjs WebGPU backend only (see fusedKernels()).');
  return k;
}

/** Threads per row: enough for about four columns each, at least 64 (the reductions are a power-of-two tree). */
const rowGroup = (hidden: number) => (hidden <= 256 ? 64 : hidden <= 512 ? 128 : 256);

const shapeUniforms = (rows: number, hidden: number, eps: number): Uniform[] => [
  { type: 'int32', data: [rows] },
  { type: 'int32', data: [hidden] },
  { type: 'float32', data: [eps] },
];
const OWN_UNIFORMS: KernelSpec['uniforms'] = [
  { name: 'rows', type: 'i32' },
  { name: 'hidden', type: 'i32' },
  { name: 'eps', type: 'f32' },
];

const specs = new Map<string, KernelSpec>();
function spec(name: string, wg: number, withResidual: boolean, inputs: KernelSpec['inputs'], main: string, shared: string): KernelSpec {
  const key = `tabtune-ln-${name}-${wg}-${withResidual ? 'r' : 'x'}`;
  let s = specs.get(key);
  if (!s) {
    s = {
      name: key,
      inputs: [{ name: 'x', access: 'read' }, ...(withResidual ? [{ name: 'residual', access: 'read' as const }] : []), ...inputs],
      uniforms: OWN_UNIFORMS,
      workgroupSize: wg,
      body: `
fn inp(i: i32) -> f32 { return ${withResidual ? 'x[i] + residual[i]' : 'x[i]'}; }
${shared}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
${main}
}
`,
    };
    specs.set(key, s);
  }
  return s;
}

// Per-row kernels: the row is the workgroup (uniform, so the early return keeps the barriers in uniform control
// flow); mean and σ as tf.moments computes them: Σv/H, then Σ(v − mean)²/H, σ = √(var + eps).
const rowShared = (wg: number) => `
var<workgroup> part: array<vec2<f32>, ${wg}>;
fn wgSum(li: u32, v: vec2<f32>) -> vec2<f32> {
  workgroupBarrier();
  part[li] = v;
  for (var half = ${wg / 2}u; half > 0u; half = half / 2u) {
    workgroupBarrier();
    if (li < half) { part[li] = part[li] + part[li + half]; }
  }
  workgroupBarrier();
  return part[0];
}`;
const rowStats = (wg: number) => `
  let row = i32(wg.y * nwg.x + wg.x);
  if (row >= u.rows) { return; }
  let H = u.hidden;
  let base = row * H;
  var s = 0.0;
  for (var c = i32(li); c < H; c = c + ${wg}) { s = s + inp(base + c); }
  let mean = wgSum(li, vec2<f32>(s, 0.0)).x / f32(H);
  var q = 0.0;
  for (var c = i32(li); c < H; c = c + ${wg}) { let d = inp(base + c) - mean; q = q + d * d; }
  let sigma = sqrt(wgSum(li, vec2<f32>(q, 0.0)).x / f32(H) + u.eps);`;

const forwardSpec = (wg: number, r: boolean) =>
  spec('forward', wg, r, [{ name: 'gamma', access: 'read' }, { name: 'beta', access: 'read' }], `${rowStats(wg)}
  for (var c = i32(li); c < H; c = c + ${wg}) { result[base + c] = ((inp(base + c) - mean) / sigma) * gamma[c] + beta[c]; }`, rowShared(wg));

// result = [rows, 2]: mean and σ per row, for the dγ/dβ kernel when the dx kernel (which writes them too) did not run.
const statsSpec = (wg: number, r: boolean) =>
  spec('stats', wg, r, [], `${rowStats(wg)}
  if (li == 0u) { result[2 * row] = mean; result[2 * row + 1] = sigma; }`, rowShared(wg));

// encoder.ts's formula: g = dy·γ, dx = ((g − mean(g)) − x̂·mean(g·x̂)) / σ.
const dxSpec = (wg: number, r: boolean) =>
  spec(
    'dx',
    wg,
    r,
    [
      { name: 'gamma', access: 'read' },
      { name: 'dy', access: 'read' },
      { name: 'stats', access: 'read_write' },
    ],
    `${rowStats(wg)}
  if (li == 0u) { stats[2 * row] = mean; stats[2 * row + 1] = sigma; }
  var a = vec2<f32>(0.0, 0.0);
  for (var c = i32(li); c < H; c = c + ${wg}) {
    let xh = (inp(base + c) - mean) / sigma;
    let g = dy[base + c] * gamma[c];
    a = a + vec2<f32>(g, g * xh);
  }
  let m = wgSum(li, a) / f32(H);
  for (var c = i32(li); c < H; c = c + ${wg}) {
    let xh = (inp(base + c) - mean) / sigma;
    let g = dy[base + c] * gamma[c];
    result[base + c] = ((g - m.x) - xh * m.y) / sigma;
  }`,
    rowShared(wg),
  );

// result = dγ, dbeta = dβ: Σ_rows dy·x̂ and Σ_rows dy. Invocation (lane, col) sums rows lane, lane + LANES, … in
// blocks of BLOCK rows, then the blocks' sums (a straight float32 sum over 1024 rows was 2.6× further from float64
// than tf.sum's at 2000 rows); lane 0 adds the lanes. One pass over dy and x, coalesced along the columns.
const columnsSpec = (r: boolean) =>
  spec(
    'columns',
    COLS * LANES,
    r,
    [
      { name: 'dy', access: 'read' },
      { name: 'stats', access: 'read' },
      { name: 'dbeta', access: 'read_write' },
    ],
    `
  let H = u.hidden;
  let col = i32(wg.y * nwg.x + wg.x) * ${COLS} + i32(li % ${COLS}u);
  let lane = i32(li / ${COLS}u);
  var a = vec2<f32>(0.0, 0.0);
  if (col < H) {
    for (var r0 = lane; r0 < u.rows; r0 = r0 + ${LANES * BLOCK}) {
      var blk = vec2<f32>(0.0, 0.0);
      for (var r = r0; r < min(r0 + ${LANES * BLOCK}, u.rows); r = r + ${LANES}) {
        let i = r * H + col;
        let d = dy[i];
        blk = blk + vec2<f32>(d * ((inp(i) - stats[2 * r]) / stats[2 * r + 1]), d);
      }
      a = a + blk;
    }
  }
  lanes[li] = a;
  workgroupBarrier();
  if (lane == 0 && col < H) {
    var t = vec2<f32>(0.0, 0.0);
    for (var l = 0u; l < ${LANES}u; l = l + 1u) { t = t + lanes[l * ${COLS}u + li]; }
    result[col] = t.x;
    dbeta[col] = t.y;
  }`,
    `var<workgroup> lanes: array<vec2<f32>, ${COLS * LANES}>;`,
  );

function forward(inputs: tf.NamedTensorInfoMap, attrs: { eps: number }, withResidual: boolean): tf.TensorInfo {
  const k = kernels();
  const { x, residual, gamma, beta } = inputs as Record<'x' | 'residual' | 'gamma' | 'beta', tf.TensorInfo>;
  const [rows, hidden] = x.shape;
  const wg = rowGroup(hidden);
  const out = k.allocate(rows * hidden);
  k.run(forwardSpec(wg, withResidual), out, [x, ...(withResidual ? [residual] : []), gamma, beta], shapeUniforms(rows, hidden, attrs.eps), rows * wg);
  return { dataId: out.dataId, shape: [rows, hidden], dtype: 'float32' };
}

function backward(dy: tf.Tensor, saved: tf.Tensor[], eps: number, withResidual: boolean): GradientMap {
  const k = kernels();
  const [x, residual, gamma] = withResidual ? saved : [saved[0], null, saved[1]];
  const [rows, hidden] = x.shape;
  const wg = rowGroup(hidden);
  const xs = residual ? [x, residual] : [x];
  const uniforms = shapeUniforms(rows, hidden, eps);
  const engine = tf.engine();
  const tensorOf = (info: tf.TensorInfo, shape: number[]) => engine.makeTensorFromDataId(info.dataId, shape, 'float32');
  // Made here, outside the closures' own tidies (the tape runs each closure in one), so that what one closure's
  // dispatch writes for another outlives it; the backward pass's scope disposes them. Buffers only: no dispatch.
  const stats = tensorOf(k.allocate(rows * 2), [rows, 2]);
  const dGamma = tensorOf(k.allocate(hidden), [hidden]);
  const dBeta = tensorOf(k.allocate(hidden), [hidden]);
  let statsWritten = false;
  let columnsWritten = false;
  let dx: tf.Tensor | null = null;

  // x's and the residual's gradient are the same values. The second closure gets a clone (a second tensor on the
  // same buffer, no dispatch), not the same tensor: the tape disposes a gradient when it adds another to it, which
  // would leave the other input's entry disposed.
  const dInput = () => {
    if (dx && !dx.isDisposed) return dx.clone();
    const out = k.allocate(rows * hidden);
    k.run(dxSpec(wg, withResidual), out, [...xs, gamma, dy, stats], uniforms, rows * wg);
    statsWritten = true;
    dx = tensorOf(out, [rows, hidden]);
    return dx;
  };
  const columns = () => {
    if (columnsWritten) return;
    if (!statsWritten) k.run(statsSpec(wg, withResidual), stats, xs, uniforms, rows * wg);
    statsWritten = true;
    k.run(columnsSpec(withResidual), dGamma, [...xs, dy, stats, dBeta], uniforms, Math.ceil(hidden / COLS) * COLS * LANES);
    columnsWritten = true;
  };
  const grads: GradientMap = {
    x: dInput,
    gamma: () => {
      columns();
      return dGamma;
    },
    beta: () => {
      columns();
      return dBeta;
    },
  };
  if (withResidual) grads.residual = dInput;
  return grads;
}
