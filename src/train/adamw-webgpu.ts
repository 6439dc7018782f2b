// AdamW and the global-norm clip factor as fused WebGPU kernels (issue #21): on WebGPU a training step costs about
// what its dispatches cost to encode on the CPU (bench/RESULTS-gpu.md), and the elementwise tfjs ops took 15 or so
// dispatches per trainable tensor for the update and 2 or more for its share of the clip norm. Here:
// - the clip factor: the gradients copied end to end into flat buffers, the squares of each buffer summed in one
//   dispatch into 16,384 partial sums kept on the device, then one dispatch that adds the partials, takes the square
//   root and writes the factor and the norm;
// - the update: one dispatch for many trainable tensors at once (adamWUpdateAll). A WebGPU stage binds 8 storage
//   buffers, and each tensor has four (parameter, gradient, two moments), so the tensors are copied into flat
//   buffers (copy commands, not dispatches), updated there in one dispatch, and copied out: the moments back in
//   place, each new parameter into a fresh buffer assigned to its variable like the unfused path's result, so a
//   buffer shared with another tensor (e.g. kept best weights) is never written. Tensors are grouped up to
//   FLAT_FLOATS floats a dispatch (the largest tensor alone when bigger), which bounds the flat buffers' memory.
// The arithmetic is optimizer.ts's, in the same order, in float32, with the same float32 factors (as uniforms
// instead of uploaded scalars). Nothing is read back. Used by AdamW and clipCoefficient only on tfjs's WebGPU backend.
import * as tf from '@tensorflow/tfjs';
import { webGpuKernels, type BufferCopy, type KernelSpec, type WebGpuKernels } from '../runtime/webgpu-kernel';

const WG = 256;
/** Partial sums of squares: one per invocation of the sum kernel (PARTIALS workgroups of WG). A fixed number, so
 * the sum's order (and its rounding) does not depend on the device. */
const PARTIALS = 64;

/** The fused kernels when the current backend can run them (tfjs WebGPU), else null. */
export function fusedOptimizerKernels(): WebGpuKernels | null {
  return webGpuKernels();
}

export interface AdamWFactors {
  beta1: number;
  beta2: number;
  eps: number;
  stepSize: number;
  sqrtBc2: number;
}

const UPDATE: KernelSpec = {
  name: 'tabtune-adamw-update',
  inputs: [
    { name: 'p', access: 'read' },
    { name: 'm', access: 'read_write' },
    { name: 'v', access: 'read_write' },
    { name: 'g', access: 'read' },
    { name: 'clip', access: 'read' },
  ],
  uniforms: ['beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'eps', 'stepSize', 'sqrtBc2', 'keep'].map((name) => ({ name, type: 'f32' as const })),
  workgroupSize: WG,
  // optimizer.ts's order: g·clip; m·β1 + g·(1−β1); v·β2 + g²·(1−β2); denom = √v / √bc2 + eps;
  // p·keep − (m·stepSize) / denom (torch's addcdiv_). clip[0] is the factor (1 when clipping is off).
  body: `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flatIndex(wg, nwg, li);
  if (i >= u.outShape) { return; }
  let grad = g[i] * clip[0];
  let mNew = m[i] * u.beta1 + grad * u.oneMinusBeta1;
  let vNew = v[i] * u.beta2 + (grad * grad) * u.oneMinusBeta2;
  m[i] = mNew;
  v[i] = vNew;
  let denom = sqrt(vNew) / u.sqrtBc2 + u.eps;
  result[i] = p[i] * u.keep - (mNew * u.stepSize) / denom;
}
`,
};

/** The flat update: UPDATE's arithmetic on every element of a group of tensors laid end to end, the ones with
 * weight decay first (u.decayEnd elements), so one uniform tells which elements `keep` applies to. */
const UPDATE_FLAT: KernelSpec = {
  ...UPDATE,
  name: 'tabtune-adamw-update-flat',
  uniforms: [...UPDATE.uniforms, { name: 'decayEnd', type: 'i32' }],
  body: UPDATE.body.replace('result[i] = p[i] * u.keep', 'result[i] = p[i] * select(1.0, u.keep, i < u.decayEnd)'),
};

/** Floats a flat update takes at most (unless one tensor alone is larger): 4 Mi floats, 16 MiB per flat buffer, five
 * such buffers (parameters, gradients, two moments, new parameters) while the dispatch runs. */
export const FLAT_FLOATS = 4 * 1024 * 1024;

/** Flat-update dispatches recorded (tests count them). */
export const flatUpdateStats = { dispatches: 0 };

/**
 * AdamW on many tensors: `ps[i]` with moments `ms[i]`, `vs[i]` (updated in place), gradient `gs[i]`, weight decay when
 * `decay[i]`. Returns each new parameter as a new tensor for the caller to assign (null for an empty tensor, which
 * has nothing to update). One dispatch per group of at most
 * FLAT_FLOATS floats, plus copy commands. The arithmetic per element is UPDATE's, optimizer.ts's order.
 */
export function adamWUpdateAll(k: WebGpuKernels, ps: tf.Tensor[], ms: tf.Tensor[], vs: tf.Tensor[], gs: tf.Tensor[], decay: boolean[], clip: tf.Tensor, f: AdamWFactors, keep: number): (tf.Tensor | null)[] {
  const out: (tf.Tensor | null)[] = ps.map(() => null);
  // Decayed tensors first, so that `decayEnd` splits each group; then groups in that order.
  const order = ps.map((_, i) => i).filter((i) => ps[i].size > 0).sort((a, b) => Number(decay[b]) - Number(decay[a]) || a - b);
  const groups = groupBySize(order, (i) => ps[i].size);
  const engine = tf.engine();
  const f32 = (data: number) => ({ type: 'float32' as const, data: [data] });
  for (const { items: group, offsets, floats: n } of groups) {
    // Decayed tensors come first in the group: decay stops where the last of them ends.
    const decayEnd = group.reduce((end, i, j) => (decay[i] ? offsets[j] + ps[i].size : end), 0);
    const [P, G, M, V, NEW] = [0, 1, 2, 3, 4].map(() => k.allocate(n));
    const into = (flat: tf.TensorInfo, of: tf.Tensor[]): BufferCopy[] => group.map((i, j) => ({ src: of[i], srcOffset: 0, dst: flat, dstOffset: offsets[j], size: ps[i].size }));
    k.copy([...into(P, ps), ...into(G, gs), ...into(M, ms), ...into(V, vs)]);
    k.run(UPDATE_FLAT, NEW, [P, M, V, G, clip], [...[f.beta1, 1 - f.beta1, f.beta2, 1 - f.beta2, f.eps, f.stepSize, f.sqrtBc2, keep].map(f32), { type: 'int32', data: [decayEnd] }], n);
    flatUpdateStats.dispatches++;
    const fresh = group.map((i) => k.allocate(ps[i].size));
    const back = (flat: tf.TensorInfo, to: tf.TensorInfo[]): BufferCopy[] => group.map((i, j) => ({ src: flat, srcOffset: offsets[j], dst: to[j], dstOffset: 0, size: ps[i].size }));
    k.copy([...back(NEW, fresh), ...back(M, group.map((i) => ms[i])), ...back(V, group.map((i) => vs[i]))]);
    group.forEach((i, j) => (out[i] = engine.makeTensorFromDataId(fresh[j].dataId, ps[i].shape, 'float32')));
    // As tensors only to be disposed through tfjs, which frees each buffer once the queue has run what reads it.
    for (const t of [P, G, M, V, NEW]) engine.makeTensorFromDataId(t.dataId, [n], 'float32').dispose();
  }
  return out;
}

const sumSpecs = new Map<number, KernelSpec>();

/** Adds the squares of `count` gradients into result[0…PARTIALS·WG) (written, not added to, when u.first is 1). */
function sumSquaresSpec(count: number): KernelSpec {
  let spec = sumSpecs.get(count);
  if (spec) return spec;
  const names = Array.from({ length: count }, (_, j) => `g${j}`);
  // Invocation j takes elements j, j + PARTIALS·WG, … of each gradient in turn and keeps its own partial sum: no
  // atomics, and no workgroup barrier (on SwiftShader a version that added each workgroup's sums pairwise behind
  // barriers took 460-860 ms for tiny-bert full, tfjs's ops 40-140, this one 24-30; the finish kernel's one
  // workgroup does the pairwise sum once).
  const loops = names
    .map((n) => `  for (var i = start; i < u.${n}Shape; i = i + ${PARTIALS * WG}) { let x = ${n}[i]; s = s + x * x; }`)
    .join('\n');
  spec = {
    name: `tabtune-sum-squares-${count}`,
    inputs: names.map((name) => ({ name, access: 'read' as const })),
    uniforms: [{ name: 'first', type: 'i32' }],
    workgroupSize: WG,
    body: `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let start = flatIndex(wg, nwg, li);
  var s = 0.0;
${loops}
  if (u.first == 1) { result[start] = s; } else { result[start] = result[start] + s; }
}
`,
  };
  sumSpecs.set(count, spec);
  return spec;
}

const FINISH: KernelSpec = {
  name: 'tabtune-clip-factor',
  inputs: [
    { name: 'partials', access: 'read' },
    { name: 'norm', access: 'read_write' },
  ],
  uniforms: [{ name: 'maxNorm', type: 'f32' }],
  workgroupSize: WG,
  // One workgroup: each invocation adds every WG-th partial, then the workgroup adds its sums pairwise; then
  // clipCoefficient's arithmetic: norm = √Σ; factor = min(maxNorm / (norm + 1e-6), 1).
  body: `
var<workgroup> sums: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  for (var w = i32(li); w < u.partialsShape; w = w + ${WG}) { s = s + partials[w]; }
  sums[li] = s;
  for (var half = ${WG / 2}u; half > 0u; half = half / 2u) {
    workgroupBarrier();
    if (li < half) { sums[li] = sums[li] + sums[li + half]; }
  }
  if (li == 0u) {
    let n = sqrt(sums[0]);
    norm[0] = n;
    result[0] = min(u.maxNorm / (n + 1e-6), 1.0);
  }
}
`,
};

/**
 * clipCoefficient on WebGPU: the gradients laid end to end in flat buffers of at most FLAT_FLOATS floats (a larger
 * gradient alone) by copy commands, one sum-of-squares dispatch per such buffer, one for the factor: 2 dispatches
 * for a LoRA step's gradients, 7 for MiniLM-L6 full's 22.7 M floats. The gradients must be float32 and not empty.
 */
export function clipCoefficientFused(k: WebGpuKernels, grads: tf.Tensor[], maxNorm: number): { coef: tf.Scalar; norm: tf.Scalar } {
  const engine = tf.engine();
  const partials = k.allocate(PARTIALS * WG);
  groupBySize(grads.map((g, i) => i).filter((i) => grads[i].size > 0), (i) => grads[i].size).forEach(({ items: group, offsets, floats: n }, j) => {
    const flat = k.allocate(n);
    k.copy(group.map((i, at) => ({ src: grads[i], srcOffset: 0, dst: flat, dstOffset: offsets[at], size: grads[i].size })));
    k.run(sumSquaresSpec(1), partials, [flat], [{ type: 'int32', data: [j === 0 ? 1 : 0] }], PARTIALS * WG);
    engine.makeTensorFromDataId(flat.dataId, [n], 'float32').dispose();
  });
  const coef = k.allocate(1);
  const norm = k.allocate(1);
  k.run(FINISH, coef, [partials, norm], [{ type: 'float32', data: [maxNorm] }], WG);
  // The partial sums become a tensor only to be disposed through tfjs (which frees the buffer once the queue is done).
  engine.makeTensorFromDataId(partials.dataId, [PARTIALS * WG], 'float32').dispose();
  return {
    coef: engine.makeTensorFromDataId(coef.dataId, [], 'float32') as tf.Scalar,
    norm: engine.makeTensorFromDataId(norm.dataId, [], 'float32') as tf.Scalar,
  };
}

/** Consecutive runs of `items` laid end to end, at most FLAT_FLOATS floats each (an item larger than that alone):
 * each run's items, where each starts in its flat buffer, and the buffer's size. */
function groupBySize(items: number[], size: (i: number) => number): { items: number[]; offsets: number[]; floats: number }[] {
  const groups: { items: number[]; offsets: number[]; floats: number }[] = [];
  for (const i of items) {
    let last = groups[groups.length - 1];
    if (!last || last.floats + size(i) > FLAT_FLOATS) groups.push((last = { items: [], offsets: [], floats: 0 }));
    last.items.push(i);
    last.offsets.push(last.floats);
    last.floats += size(i);
  }
  return groups;
}
