// A tiled matmul of our own for tfjs-backend-webgpu (issue #21): tfjs 4.22's matmul reached 513 GFLOP/s at 1024²
// and 1,760 at 4096² on an H100, where PyTorch CUDA reached 15,875 and 49,633 (bench/RESULTS-gpu.md). tfjs's packed
// program gives each workgroup a 32×32 output tile; here a workgroup of 256 invocations takes a 64×64 tile, each
// invocation a 4×4 micro-tile held in registers, and stages 16-deep slices of A and B in workgroup memory, so each
// float read from global memory feeds 64 multiply-adds instead of 32. Loads are vec4 wherever the operand's
// contiguous dimension is a multiple of 4 (every BERT width is), scalar and bounds-checked otherwise; transposed
// operands are read in place, so dy·Wᵀ and xᵀ·dy cost no transpose. Batched operands (rank ≥ 3) run one grid layer
// per batch entry, and an operand of batch 1 is broadcast against the other (attention's shapes, and tfjs's own
// rule for the broadcasts it computes right).
//
// Which kernel takes a product is the mode's: 'on' routes tfjs's BatchMatMul and _FusedMatMul (bias and linear
// activation only) here, 'off' leaves them to tfjs, and 'auto' (the default) asks a per-shape rule. The default rule
// comes from the GPU kit on an H100 (bench/RESULTS-gpu.md): ours where A is not transposed, on a hardware adapter
// only. On a software adapter (SwiftShader, all the development machine has) nothing favours either kernel and
// every committed figure was made with tfjs's, so there it stays tfjs's.
import * as tf from '@tensorflow/tfjs';
import { webGpuKernels, type KernelSpec, type WebGpuKernels } from './webgpu-kernel';
import { wrapKernel } from './wrap-kernel';
import { productShape } from './product-shape';
import { isSoftwareAdapter, type AdapterFacts } from './backend';

type Info = tf.TensorInfo;

/** off: tfjs's own kernel (the default); on: ours wherever it takes the product; auto: ours where the rule says. */
export type WebGpuMatMulMode = 'off' | 'on' | 'auto';
let mode: WebGpuMatMulMode = 'auto';

export function setWebGpuMatMulMode(next: WebGpuMatMulMode): void {
  if (next !== 'off' && next !== 'on' && next !== 'auto') throw new Error(`matmul mode is off, on or auto, not ${String(next)}`);
  mode = next;
}

export function webGpuMatMulMode(): WebGpuMatMulMode {
  return mode;
}

/** One product as the rule sees it: C[batch, m, n] = op(A)[batch, m, k]·op(B)[batch, k, n]. */
export interface MatMulShape {
  batch: number;
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** 'auto''s default rule, from the GPU kit's side-by-side products on an NVIDIA H100 (device time, bench/RESULTS-gpu.md):
 * ours was 1.03-1.28× tfjs's on untransposed products (1024², 4096², 2048×384×1536), 1.15-1.18× with B transposed
 * and 1.34-1.44× on attention's batched q·kᵀ, but 0.75-0.79× with A transposed (xᵀ·dy, a weight's gradient). */
export const untransposedARule = (shape: MatMulShape): boolean => !shape.transposeA;
/** The default: untransposedARule on a hardware adapter, tfjs's kernel on a software one. */
const defaultRule = (shape: MatMulShape): boolean => !softwareAdapter() && untransposedARule(shape);
let rule: (shape: MatMulShape) => boolean = defaultRule;

/** Sets the rule 'auto' follows; null restores the default (untransposedARule on a hardware adapter). */
export function setWebGpuMatMulRule(next: ((shape: MatMulShape) => boolean) | null): void {
  rule = next ?? defaultRule;
}

const software = new WeakMap<object, boolean>();

/** Whether the current tfjs WebGPU backend runs on a software adapter (backend.ts's test, on what the backend keeps
 * of its adapter: tfjs-webgpu's backend.adapterInfo, and GPUDevice.adapterInfo where the implementation has it). */
function softwareAdapter(): boolean {
  type Seen = Partial<AdapterFacts>;
  const backend = tf.backend() as unknown as { adapterInfo?: Seen; device?: { adapterInfo?: Seen } };
  let known = software.get(backend);
  if (known === undefined) {
    const facts = (i: Seen): AdapterFacts => ({ vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '', isFallbackAdapter: i.isFallbackAdapter === true });
    known = [backend.adapterInfo, backend.device?.adapterInfo].some((i) => !!i && isSoftwareAdapter(facts(i)));
    software.set(backend, known);
  }
  return known;
}

/** Products our kernel has computed: tests and benches check that it, not tfjs's, ran. */
export const webGpuMatMulStats = { products: 0 };

const TILE = 64;
const DEPTH = 16;
const WG = 256;

/** A product in the kernel's terms, or why the kernel does not take it. */
export interface MatMulPlan extends MatMulShape {
  /** Floats between one batch entry of A (of B) and the next; 0 where that operand is broadcast. */
  aBatchStride: number;
  bBatchStride: number;
  outShape: number[];
}

/** The plan for op(a)·op(b) (+ bias of n values), or null where tfjs's kernel keeps the product. */
export function planMatMul(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean, biasShape?: number[]): MatMulPlan | null {
  const p = productShape(aShape, bShape, transposeA, transposeB);
  if (!p) return null;
  const { batch, m, n, k, outShape } = p;
  // A bias of n values along the last axis, which leaves the output's shape as it is; any other stays with tfjs.
  if (biasShape && (tf.util.sizeFromShape(biasShape) !== n || biasShape.length > outShape.length || (biasShape.length > 0 && biasShape[biasShape.length - 1] !== n))) return null;
  return { batch, m, n, k, transposeA, transposeB, aBatchStride: p.batchA === 1 ? 0 : m * k, bBatchStride: p.batchB === 1 ? 0 : k * n, outShape };
}

// ---- the shader ----
//
// Workgroup (x, y, z) computes rows y·64…, columns x·64… of batch entry z. Invocation li holds rows 4·(li / 16)…+3
// and columns 4·(li % 16)…+3. Workgroup memory holds, per k of the current 16-deep slice, 64 rows of A as 16 vec4
// (tileA[k·16 + i] = A rows 4i…4i+3 at k) and 64 columns of B as 16 vec4 (tileB[k·16 + j]), so the inner step is
// two vec4 reads and four vec4 multiply-adds.

/** How an operand's 64 × 16 slice is read: `outer` is its rows (A) or columns (B), `contiguous` says whether k
 * (false) or the outer index (true) is the dimension adjacent in memory. */
function loadSlice(name: string, tile: string, contiguousOuter: boolean, vec: boolean, outerSize: string, base: string, origin: string): string {
  if (contiguousOuter) {
    // 16 k × 16 groups of 4 outer: one group per invocation, stored as it lies.
    const at = `${base} + kr * ${outerSize} + o`;
    const load = vec
      ? `if (kr < u.k && o < ${outerSize}) { v = ${name}[(${at}) / 4]; }`
      : `if (kr < u.k) { for (var c = 0; c < 4; c = c + 1) { if (o + c < ${outerSize}) { v[c] = ${name}[${at} + c]; } } }`;
    return `{
    let kr = k0 + i32(li / 16u);
    let o = ${origin} + i32(li % 16u) * 4;
    var v = vec4<f32>(0.0);
    ${load}
    ${tile}[li] = v;
  }`;
  }
  // 64 outer × 4 groups of 4 k: one group per invocation, scattered across four k rows of the tile.
  const at = `${base} + o * u.k + kc`;
  const load = vec
    ? `if (o < ${outerSize} && kc < u.k) { v = ${name}[(${at}) / 4]; }`
    : `if (o < ${outerSize}) { for (var c = 0; c < 4; c = c + 1) { if (kc + c < u.k) { v[c] = ${name}[${at} + c]; } } }`;
  return `{
    let r = i32(li / 4u);
    let kq = i32(li % 4u) * 4;
    let o = ${origin} + r;
    let kc = k0 + kq;
    var v = vec4<f32>(0.0);
    ${load}
    for (var c = 0; c < 4; c = c + 1) { ${tile}[(kq + c) * 16 + r / 4][r % 4] = v[c]; }
  }`;
}

interface Variant {
  transposeA: boolean;
  transposeB: boolean;
  vecA: boolean;
  vecB: boolean;
  vecOut: boolean;
  bias: boolean;
}

/** Which loads can be vec4: the operand's contiguous dimension a multiple of 4 keeps every group of 4 aligned and
 * inside one row (and batch entry), and the tensor's size a multiple of 4 (webgpu-kernel.ts's `vec4`). */
function variantOf(p: MatMulPlan, bias: boolean): Variant {
  return {
    transposeA: p.transposeA,
    transposeB: p.transposeB,
    vecA: (p.transposeA ? p.m : p.k) % 4 === 0,
    vecB: (p.transposeB ? p.k : p.n) % 4 === 0,
    vecOut: p.n % 4 === 0,
    bias,
  };
}

function matMulSpec(v: Variant): KernelSpec {
  const name = `tabtune-matmul-${v.transposeA ? 't' : 'n'}${v.transposeB ? 't' : 'n'}-${v.vecA ? 4 : 1}${v.vecB ? 4 : 1}${v.vecOut ? 4 : 1}${v.bias ? '-bias' : ''}`;
  // A's outer index is its row m: contiguous when A is stored transposed ([k, m]). B's is its column n: contiguous
  // when B is stored as is ([k, n]).
  const loadA = loadSlice('a', 'tileA', v.transposeA, v.vecA, 'u.m', 'aBase', 'row0');
  const loadB = loadSlice('b', 'tileB', !v.transposeB, v.vecB, 'u.n', 'bBase', 'col0');
  const steps = Array.from({ length: DEPTH }, (_, kk) => `
      {
        let av = tileA[${kk * 16} + ty];
        let bv = tileB[${kk * 16} + tx];
        acc0 = fma(vec4<f32>(av.x), bv, acc0);
        acc1 = fma(vec4<f32>(av.y), bv, acc1);
        acc2 = fma(vec4<f32>(av.z), bv, acc2);
        acc3 = fma(vec4<f32>(av.w), bv, acc3);
      }`).join('');
  const biasAt = (c: string) => (v.bias ? ` + bias[${c}]` : '');
  const store = (i: number) => v.vecOut
    ? `if (r${i} < u.m && col < u.n) { result[(outBase + r${i} * u.n + col) / 4] = acc${i}${v.bias ? ' + bv' : ''}; }`
    : `if (r${i} < u.m) { for (var c = 0; c < 4; c = c + 1) { if (col + c < u.n) { result[outBase + r${i} * u.n + col + c] = acc${i}[c]${biasAt('col + c')}; } } }`;
  return {
    name,
    inputs: [
      { name: 'a', access: 'read', vec4: v.vecA },
      { name: 'b', access: 'read', vec4: v.vecB },
      ...(v.bias ? [{ name: 'bias', access: 'read' as const }] : []),
    ],
    resultVec4: v.vecOut,
    uniforms: [
      { name: 'm', type: 'i32' },
      { name: 'n', type: 'i32' },
      { name: 'k', type: 'i32' },
      { name: 'aBatchStride', type: 'i32' },
      { name: 'bBatchStride', type: 'i32' },
    ],
    workgroupSize: WG,
    body: `
var<workgroup> tileA: array<vec4<f32>, ${DEPTH * 16}>;
var<workgroup> tileB: array<vec4<f32>, ${DEPTH * 16}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let tx = i32(li % 16u);
  let ty = i32(li / 16u);
  let row0 = i32(wg.y) * ${TILE};
  let col0 = i32(wg.x) * ${TILE};
  let aBase = i32(wg.z) * u.aBatchStride;
  let bBase = i32(wg.z) * u.bBatchStride;
  let outBase = i32(wg.z) * u.m * u.n;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0; k0 < u.k; k0 = k0 + ${DEPTH}) {
    ${loadA}
    ${loadB}
    workgroupBarrier();${steps}
    workgroupBarrier();
  }
  let col = col0 + tx * 4;
  let r0 = row0 + ty * 4;
  let r1 = r0 + 1;
  let r2 = r0 + 2;
  let r3 = r0 + 3;
  ${v.vecOut && v.bias ? 'var bv = vec4<f32>(0.0);\n  if (col < u.n) { bv = vec4<f32>(bias[col], bias[col + 1], bias[col + 2], bias[col + 3]); }' : ''}
  ${[0, 1, 2, 3].map(store).join('\n  ')}
}
`,
  };
}

const specs = new Map<string, KernelSpec>();

function specFor(v: Variant): KernelSpec {
  const key = JSON.stringify(v);
  let spec = specs.get(key);
  if (!spec) specs.set(key, (spec = matMulSpec(v)));
  return spec;
}

const i32 = (x: number) => ({ type: 'int32' as const, data: [x] });

/**
 * op(a)·op(b) (+ bias) on our kernel whatever the mode (benches compare it with tfjs's), or null where it does not
 * take the product: not float32, a shape planMatMul refuses, more workgroups than a grid dimension allows, or no
 * tfjs-webgpu queue. The result is a new TensorInfo of the current backend.
 */
export function ownWebGpuMatMul(a: Info, b: Info, transposeA: boolean, transposeB: boolean, bias?: Info | null, kernels: WebGpuKernels | null = webGpuKernels()): Info | null {
  const plan = planMatMul(a.shape, b.shape, transposeA, transposeB, bias?.shape);
  return plan && runPlan(plan, a, b, bias ?? null, kernels);
}

/** `plan` (planMatMul's for a, b and bias) on our kernel, or null where it cannot run it. */
function runPlan(plan: MatMulPlan, a: Info, b: Info, bias: Info | null, kernels: WebGpuKernels | null): Info | null {
  if (!kernels) return null;
  // Float32 tensors over float32 buffers only: a cast mask (encoder.ts's pool) is an int32 buffer seen as float32,
  // which our shader would read as bit patterns. On an H100 that made every mean-pooled embedding wrong (kit parity
  // 2.08 off) until such products were left to tfjs.
  if ([a, b, bias].some((t) => t && (t.dtype !== 'float32' || kernels.storedDtype(t) !== 'float32'))) return null;
  const grid: [number, number, number] = [Math.ceil(plan.n / TILE), Math.ceil(plan.m / TILE), plan.batch];
  if (grid.some((g) => g > kernels.device.limits.maxComputeWorkgroupsPerDimension)) return null;
  const out = kernels.allocate(plan.batch * plan.m * plan.n);
  kernels.run(
    specFor(variantOf(plan, !!bias)),
    out,
    bias ? [a, b, bias] : [a, b],
    [i32(plan.m), i32(plan.n), i32(plan.k), i32(plan.aBatchStride), i32(plan.bBatchStride)],
    { workgroups: grid },
  );
  webGpuMatMulStats.products++;
  return { dataId: out.dataId, shape: plan.outShape, dtype: 'float32' };
}

function takes(plan: MatMulPlan | null): plan is MatMulPlan {
  if (!plan || mode === 'off') return false;
  return mode === 'on' || rule(plan);
}

/** Whether no product can be ours, so the wrapper hands it on without planning it. */
const idle = () => mode === 'off';

/**
 * Wraps tfjs-webgpu's BatchMatMul and _FusedMatMul (once; call after the backend module has registered them).
 * Under 'off' every product goes straight to tfjs's kernel; _FusedMatMul with a prelu input or an activation other
 * than linear always does, as does what ownWebGpuMatMul declines.
 */
export function useOwnWebGpuMatMul(): void {
  wrapKernel('BatchMatMul', 'webgpu', 'ownTiledMatMul', (wrapped) => (args) => {
    if (idle()) return wrapped(args);
    const { a, b } = args.inputs as unknown as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const plan = planMatMul(a.shape, b.shape, transposeA, transposeB);
    const out = takes(plan) ? runPlan(plan, a, b, null, webGpuKernels()) : null;
    return out ?? wrapped(args);
  });
  wrapKernel('_FusedMatMul', 'webgpu', 'ownTiledMatMul', (wrapped) => (args) => {
    if (idle()) return wrapped(args);
    const { a, b, bias, preluActivationWeights } = args.inputs as unknown as { a: Info; b: Info; bias?: Info; preluActivationWeights?: Info };
    const { transposeA, transposeB, activation } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string | null };
    if (preluActivationWeights || (activation != null && activation !== 'linear')) return wrapped(args);
    const plan = planMatMul(a.shape, b.shape, transposeA, transposeB, bias?.shape);
    const out = takes(plan) ? runPlan(plan, a, b, bias ?? null, webGpuKernels()) : null;
    return out ?? wrapped(args);
  });
}
