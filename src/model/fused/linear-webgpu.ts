// The encoder's linear layers as tfjs kernels of our own on WebGPU (issue #21): a step's cost there is about its
// dispatch count (bench/RESULTS-gpu.md). Unfused, a linear is matMul + add (2 dispatches) and LoRA adds 4 more;
// tf.fused.matMul saves the add but its customGrad computes every input's gradient, so a frozen W would still pay
// its full [in, out] product each step. Here each op is a registered kernel with a registered gradient: tfjs's tape
// (tfjs-core's tape.js, backpropagateGradients) calls a gradient's per-input closure only for inputs on a path from
// the tensors asked for (trainable variables for tf.variableGrads), so a frozen weight's product is never run.
//
// Forward: x·W + b is tfjs-webgpu's own _FusedMatMul (its tuned matmul, the bias in the epilogue): 1 dispatch.
// LoRA adds t = xd·A and y + (t·B)·s in own kernels: 3. GELU(h + b) is one own kernel. Nothing the backward needs
// is kept beyond the inputs: t = xd·A is [rows, r] and recomputed. The skinny products whose inner size is in, out
// or r (one output per invocation, a short loop each) are own kernels: one dispatch, fused with the scale and the
// add. The two that sum over the batch's rows (A's and B's gradients) are tfjs's matMul, which splits that sum over
// workgroups (an atomic-add program after a zero fill, 2 dispatches, from an inner size of 2,000:
// BatchMatMul_impl.js); an own kernel with a loop over every row measured slow on a real GPU.
import * as tf from '@tensorflow/tfjs';
import { webGpuKernels, type KernelSpec, type WebGpuKernels } from '../../runtime/webgpu-kernel';

const LINEAR = 'TabtuneLinear';
const LORA_LINEAR = 'TabtuneLoraLinear';
const BIAS_GELU = 'TabtuneBiasGelu';
const WG = 64;

/** x·W + b for x [rows, in], W [in, out], b [out]. */
export function fusedLinear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  register();
  return run(LINEAR, [x, w, b], {});
}

/** x·W + b + (xd·A)·B·scaling; xd is x after LoRA dropout (x itself when dropout is off). */
export function fusedLoraLinear(x: tf.Tensor2D, xd: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, a: tf.Tensor2D, bMat: tf.Tensor2D, scaling: number): tf.Tensor2D {
  register();
  // x once when it is also xd: the tape then asks x's one closure for both terms of its gradient, instead of two
  // closures whose results it would add (a third dispatch).
  return run(LORA_LINEAR, xd === x ? [x, w, b, a, bMat] : [x, w, b, a, bMat, xd], { scaling });
}

/** GELU(h + b), the exact erf GELU as encoder.ts's gelu, for the feed-forward's inner layer (h = x·W without bias). */
export function fusedBiasGelu(h: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  register();
  return run(BIAS_GELU, [h, b], {});
}

function run(name: string, inputs: tf.Tensor[], attrs: tf.NamedAttrMap): tf.Tensor2D {
  // An array, not a named map: saveAllInputs accepts only arrays (tfjs-core's engine.js, getTensorsForGradient), and
  // the LoRA kernel takes 5 or 6 inputs. The tape names them '0', '1', ….
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs) as tf.Tensor2D;
}

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  const kernels: [string, tf.KernelFunc, tf.GradFunc][] = [
    [LINEAR, linearForward, linearGrad],
    [LORA_LINEAR, loraForward, loraGrad],
    [BIAS_GELU, biasGeluForward, biasGeluGrad],
  ];
  for (const [kernelName, kernelFunc, gradFunc] of kernels) {
    if (!tf.getKernel(kernelName, 'webgpu')) tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
    tf.registerGradient({ kernelName, saveAllInputs: true, gradFunc });
  }
}

// ---- the kernels' WGSL ----

/** result[i, j] = (base[i, j] +) scale · Σ_l P(i, l)·Q(l, j), P m×k (stored k×m when transA), Q k×n (n×k when
 * transB). One invocation per output element: meant for products with one side r wide. */
function productSpec(transA: boolean, transB: boolean, base: boolean): KernelSpec {
  const pAt = transA ? 'p[l * u.m + i]' : 'p[i * u.k + l]';
  const qAt = transB ? 'q[j * u.k + l]' : 'q[l * u.n + j]';
  return {
    name: `tabtune-product-${transA ? 't' : 'n'}${transB ? 't' : 'n'}${base ? '-plus' : ''}`,
    inputs: [
      { name: 'p', access: 'read' },
      { name: 'q', access: 'read' },
      ...(base ? [{ name: 'base', access: 'read' as const }] : []),
    ],
    uniforms: [
      { name: 'm', type: 'i32' },
      { name: 'n', type: 'i32' },
      { name: 'k', type: 'i32' },
      { name: 'scale', type: 'f32' },
    ],
    workgroupSize: WG,
    // (Σ)·scale, then + base: lora.ts's order, y + (t·B)·s.
    body: `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let idx = flatIndex(wg, nwg, li);
  if (idx >= u.m * u.n) { return; }
  let i = idx / u.n;
  let j = idx % u.n;
  var s = 0.0;
  for (var l = 0; l < u.k; l = l + 1) { s = s + ${pAt} * ${qAt}; }
  result[idx] = ${base ? 'base[idx] + ' : ''}s * u.scale;
}
`,
  };
}

const PRODUCT_NN = productSpec(false, false, false);
const PRODUCT_NN_PLUS = productSpec(false, false, true);
const PRODUCT_NT = productSpec(false, true, false);

// tfjs-webgpu's Erf (unary_op_util.js, Abramowitz & Stegun 7.1.26, its constants from tfjs-core) and encoder.ts's
// gelu and its gradient, operation for operation, so that the results are those of the unfused ops.
const GELU_FNS = `
fn erfTf(a: f32) -> f32 {
  let p = ${tf.backend_util.ERF_P};
  let a1 = ${tf.backend_util.ERF_A1};
  let a2 = ${tf.backend_util.ERF_A2};
  let a3 = ${tf.backend_util.ERF_A3};
  let a4 = ${tf.backend_util.ERF_A4};
  let a5 = ${tf.backend_util.ERF_A5};
  let sgn = sign(a);
  let absA = abs(a);
  let t = 1.0 / (1.0 + p * absA);
  return sgn * (1.0 - (((((a5 * t + a4) * t) + a3) * t + a2) * t + a1) * t * exp(-absA * absA));
}
fn geluTf(v: f32) -> f32 {
  let onePlusErf = 1.0 + erfTf(v / ${Math.SQRT2});
  return (v * 0.5) * onePlusErf;
}
fn geluGradTf(v: f32, dy: f32) -> f32 {
  let onePlusErf = 1.0 + erfTf(v / ${Math.SQRT2});
  let pdf = exp((v * v) * -0.5) * ${1 / Math.sqrt(2 * Math.PI)};
  return dy * ((onePlusErf * 0.5) + (v * pdf));
}
`;

const elementwise = (name: string, inputs: string[], expr: string): KernelSpec => ({
  name,
  inputs: inputs.map((n) => ({ name: n, access: 'read' as const })),
  uniforms: [{ name: 'cols', type: 'i32' }],
  workgroupSize: WG,
  body: `${GELU_FNS}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = flatIndex(wg, nwg, li);
  if (i >= u.outShape) { return; }
  let v = h[i] + b[i % u.cols];
  result[i] = ${expr};
}
`,
});

const GELU = elementwise('tabtune-bias-gelu', ['h', 'b'], 'geluTf(v)');
const GELU_GRAD = elementwise('tabtune-bias-gelu-grad', ['dy', 'h', 'b'], 'geluGradTf(v, dy[i])');

/** Column-sum workgroups: LANES row lanes for each of SUM_COLS adjacent columns. */
const SUM_COLS = 16;
const LANES = 16;

/** result[j] = Σ_rows of dy (or of dy·gelu'(h + b), recomputed rather than read, so the bias's gradient does not
 * wait for h's). A workgroup takes SUM_COLS columns; lane l adds rows l, l + LANES, …, then the lanes are added
 * pairwise: one invocation per column would leave a GPU with a few hundred threads, each walking every row. */
const columnSum = (gelu: boolean): KernelSpec => ({
  name: gelu ? 'tabtune-column-sum-gelu-grad' : 'tabtune-column-sum',
  inputs: (gelu ? ['dy', 'h', 'b'] : ['dy']).map((n) => ({ name: n, access: 'read' as const })),
  uniforms: [
    { name: 'rows', type: 'i32' },
    { name: 'cols', type: 'i32' },
  ],
  workgroupSize: SUM_COLS * LANES,
  body: `${gelu ? GELU_FNS : ''}
var<workgroup> partial: array<f32, ${SUM_COLS * LANES}>;
@compute @workgroup_size(${SUM_COLS * LANES})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let j = i32(wg.y * nwg.x + wg.x) * ${SUM_COLS} + i32(li % ${SUM_COLS}u);
  var s = 0.0;
  if (j < u.cols) {
    for (var r = i32(li / ${SUM_COLS}u); r < u.rows; r = r + ${LANES}) {
      let i = r * u.cols + j;
      s = s + ${gelu ? 'geluGradTf(h[i] + b[j], dy[i])' : 'dy[i]'};
    }
  }
  partial[li] = s;
  for (var half = ${LANES / 2}u; half > 0u; half = half / 2u) {
    workgroupBarrier();
    if (li / ${SUM_COLS}u < half) { partial[li] = partial[li] + partial[li + half * ${SUM_COLS}u]; }
  }
  if (li < ${SUM_COLS}u && j < u.cols) { result[j] = partial[li]; }
}
`,
});

const COLUMN_SUM = columnSum(false);
const COLUMN_SUM_GELU_GRAD = columnSum(true);

// ---- helpers ----

function queue(): WebGpuKernels {
  const k = webGpuKernels();
  if (!k) throw new Error('The fused linear kernels run only on tfjs-webgpu (4.22).');
  return k;
}

const i32 = (v: number) => ({ type: 'int32' as const, data: [v] });
const f32 = (v: number) => ({ type: 'float32' as const, data: [v] });

/** An own product's output [m, n] (see productSpec). */
function product(k: WebGpuKernels, spec: KernelSpec, inputs: tf.TensorInfo[], m: number, n: number, inner: number, scale: number): tf.TensorInfo {
  const out = k.allocate(m * n);
  k.run(spec, out, inputs, [i32(m), i32(n), i32(inner), f32(scale)], m * n);
  return { dataId: out.dataId, shape: [m, n], dtype: 'float32' };
}

/** A TensorInfo made by an own kernel as a tensor (tracked by the enclosing tidy, as the gradient closures run in one). */
const tensor = (t: tf.TensorInfo) => tf.engine().makeTensorFromDataId(t.dataId, t.shape, 'float32') as tf.Tensor2D;

function fusedMatMul(backend: tf.KernelBackend, x: tf.TensorInfo, w: tf.TensorInfo, bias: tf.TensorInfo): tf.TensorInfo {
  const kernel = tf.getKernel('_FusedMatMul', 'webgpu');
  if (!kernel) throw new Error('tfjs-webgpu has no _FusedMatMul kernel.');
  // Rank 2 is fine: batchMatMulImpl makes both rank 3 itself and shapes the result [rows, out].
  return kernel.kernelFunc({ inputs: { a: x, b: w, bias }, attrs: { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0 }, backend }) as tf.TensorInfo;
}

const columnSums = (dy: tf.Tensor, more: tf.Tensor[] = []) => {
  const k = queue();
  const [rows, cols] = dy.shape;
  const out = k.allocate(cols);
  k.run(more.length ? COLUMN_SUM_GELU_GRAD : COLUMN_SUM, out, [dy, ...more], [i32(rows), i32(cols)], Math.ceil(cols / SUM_COLS) * SUM_COLS * LANES);
  return tensor({ dataId: out.dataId, shape: [cols], dtype: 'float32' });
};

// ---- forward and gradients ----

function linearForward({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const [x, w, b] = inputs as unknown as tf.TensorInfo[];
  return fusedMatMul(backend as tf.KernelBackend, x, w, b);
}

function linearGrad(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): Record<string, () => tf.Tensor> {
  const g = dy as tf.Tensor2D;
  const [x, w] = saved as tf.Tensor2D[];
  return {
    0: () => tf.matMul(g, w, false, true),
    1: () => tf.matMul(x, g, true, false),
    2: () => columnSums(g),
  };
}

function loraForward({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const [x, w, b, a, bMat, xd = x] = inputs as unknown as tf.TensorInfo[];
  const k = queue();
  const be = backend as tf.KernelBackend;
  const [rows, inDim] = x.shape;
  const [r, outDim] = bMat.shape;
  const y0 = fusedMatMul(be, x, w, b);
  const t = product(k, PRODUCT_NN, [xd, a], rows, r, inDim, 1);
  const y = product(k, PRODUCT_NN_PLUS, [t, bMat, y0], rows, outDim, r, (attrs as { scaling: number }).scaling);
  // The queue keeps the buffers alive until the dispatches that read them are done (webgpu-kernel.ts).
  be.disposeData(t.dataId);
  be.disposeData(y0.dataId);
  return y;
}

function loraGrad(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap): Record<string, () => tf.Tensor> {
  const g = dy as tf.Tensor2D;
  const [x, w, , a, bMat, xdSaved] = saved as tf.Tensor2D[];
  const xd = xdSaved ?? x;
  const s = (attrs as { scaling: number }).scaling;
  const k = queue();
  const [rows, inDim] = x.shape;
  const [r, outDim] = bMat.shape;
  // u = s·dy·Bᵀ [rows, r]: the upstream gradient of t, needed by A's gradient and, with dropout, by xd's. Then it is
  // made once, here: this runs inside the backward pass's tidy (tfjs-core's engine.js, gradients), which frees it at
  // the end, while a closure's own tidy would free it before the other closure could use it. Whenever this node is
  // on the backward path in LoRA training both closures run (A is trainable, and xd depends on x), so it is never
  // wasted there; without dropout only A's closure uses it and it stays lazy.
  const made = xdSaved ? tensor(product(k, PRODUCT_NT, [g, bMat], rows, r, outDim, s)) : null;
  const u = () => made ?? tensor(product(k, PRODUCT_NT, [g, bMat], rows, r, outDim, s));
  const grads: Record<string, () => tf.Tensor> = {
    // dy·Wᵀ + u·Aᵀ = dy·(W + s·A·B)ᵀ: the merged weight costs in·out·r products (r/rows of dy·Wᵀ's) and makes the
    // sum one tfjs product, 2 dispatches instead of 3. With dropout, the second term is xd's.
    0: xdSaved
      ? () => tf.matMul(g, w, false, true)
      : () => tf.matMul(g, tensor(product(k, PRODUCT_NN_PLUS, [a, bMat, w], inDim, outDim, r, s)), false, true),
    1: () => tf.matMul(x, g, true, false),
    2: () => columnSums(g),
    // xdᵀ·u [in, r] and s·tᵀ·dy [r, out] (t = xd·A recomputed, s folded into it) sum over every row of the batch
    // with an output of only in·r values: tfjs's matMul splits that sum across workgroups (its split-K program,
    // from about 2,000 rows; one tiled dispatch below that). An invocation per output looping over the rows, as
    // product() would, left an H100 with a few thousand busy threads: a MiniLM-L6 LoRA step at seq 128 × batch 64
    // waited 103 ms for the GPU against 59 ms for full fine-tuning (bench/RESULTS-gpu.md).
    3: () => tf.matMul(xd, u(), true, false),
    4: () => tf.matMul(tensor(product(k, PRODUCT_NN, [xd, a], rows, r, inDim, s)), g, true, false),
  };
  if (xdSaved) grads[5] = () => tf.matMul(u(), a, false, true);
  return grads;
}

function biasGeluForward({ inputs }: { inputs: tf.NamedTensorInfoMap }): tf.TensorInfo {
  const [h, b] = inputs as unknown as tf.TensorInfo[];
  const k = queue();
  const out = k.allocate(tf.util.sizeFromShape(h.shape));
  k.run(GELU, out, [h, b], [i32(h.shape[1])], tf.util.sizeFromShape(h.shape));
  return { dataId: out.dataId, shape: h.shape, dtype: 'float32' };
}

function biasGeluGrad(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): Record<string, () => tf.Tensor> {
  const g = dy as tf.Tensor2D;
  const [h, b] = saved;
  return {
    0: () => {
      const k = queue();
      const out = k.allocate(g.size);
      k.run(GELU_GRAD, out, [g, h, b], [i32(g.shape[1])], g.size);
      return tensor({ dataId: out.dataId, shape: g.shape, dtype: 'float32' });
    },
    1: () => columnSums(g, [h, b]),
  };
}
