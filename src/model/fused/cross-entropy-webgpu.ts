// The training loss as one tfjs kernel of our own on WebGPU (issue #21): mean softmax cross-entropy over the batch,
// as loop.ts's crossEntropy (torch.nn.functional.cross_entropy) computes it. As tfjs ops it is logSoftmax, oneHot,
// mul, sum, mean and neg, about 10 dispatches forward and as many backward, every step, whatever the model's size:
// a fifth of a small model's budget. Here: 1 dispatch forward (the loss), 1 backward (the logits' gradient,
// (softmax − onehot)·dy / B). The labels get no gradient. Nothing is read back.
import * as tf from '@tensorflow/tfjs';
import { webGpuKernels, type KernelSpec, type WebGpuKernels } from '../../runtime/webgpu-kernel';

const CROSS_ENTROPY = 'TabtuneCrossEntropy';
const WG = 64;

/** Mean softmax cross-entropy of logits [B, C] against int32 labels [B]. */
export function fusedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  register();
  // An array: saveAllInputs accepts only arrays (tfjs-core's engine.js, getTensorsForGradient).
  return tf.engine().runKernel(CROSS_ENTROPY, [logits, labels] as unknown as tf.NamedTensorMap, {}) as tf.Scalar;
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel(CROSS_ENTROPY, 'webgpu')) tf.registerKernel({ kernelName: CROSS_ENTROPY, backendName: 'webgpu', kernelFunc: forward });
  tf.registerGradient({ kernelName: CROSS_ENTROPY, saveAllInputs: true, gradFunc: gradient });
}

// The labels are int32; every binding is array<f32> (webgpu-kernel.ts), so the shader reinterprets their bits.
// Row i's log-softmax as tfjs's logSoftmax: (z − max) − log Σ exp(z − max).
const ROW_FNS = `
fn rowMax(i: i32) -> f32 {
  var m = logits[i * u.classes];
  for (var c = 1; c < u.classes; c = c + 1) { m = max(m, logits[i * u.classes + c]); }
  return m;
}
fn rowLogSum(i: i32, m: f32) -> f32 {
  var s = 0.0;
  for (var c = 0; c < u.classes; c = c + 1) { s = s + exp(logits[i * u.classes + c] - m); }
  return log(s);
}
fn label(i: i32) -> i32 { return bitcast<i32>(labels[i]); }
`;

/** One workgroup: each invocation takes rows li, li + WG, …; the picked log-probabilities are added pairwise. */
const LOSS: KernelSpec = {
  name: 'tabtune-cross-entropy',
  inputs: [
    { name: 'logits', access: 'read' },
    { name: 'labels', access: 'read' },
  ],
  uniforms: [
    { name: 'rows', type: 'i32' },
    { name: 'classes', type: 'i32' },
  ],
  workgroupSize: WG,
  body: `${ROW_FNS}
var<workgroup> sums: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  for (var i = i32(li); i < u.rows; i = i + ${WG}) {
    let m = rowMax(i);
    s = s + ((logits[i * u.classes + label(i)] - m) - rowLogSum(i, m));
  }
  sums[li] = s;
  for (var half = ${WG / 2}u; half > 0u; half = half / 2u) {
    workgroupBarrier();
    if (li < half) { sums[li] = sums[li] + sums[li + half]; }
  }
  if (li == 0u) { result[0] = -(sums[0] / f32(u.rows)); }
}
`,
};

/** One invocation per logit: (softmax − onehot) · dy / B. */
const LOSS_GRAD: KernelSpec = {
  name: 'tabtune-cross-entropy-grad',
  inputs: [
    { name: 'logits', access: 'read' },
    { name: 'labels', access: 'read' },
    { name: 'dy', access: 'read' },
  ],
  uniforms: [
    { name: 'rows', type: 'i32' },
    { name: 'classes', type: 'i32' },
  ],
  workgroupSize: WG,
  body: `${ROW_FNS}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let idx = flatIndex(wg, nwg, li);
  if (idx >= u.rows * u.classes) { return; }
  let i = idx / u.classes;
  let c = idx % u.classes;
  let m = rowMax(i);
  let p = exp((logits[idx] - m) - rowLogSum(i, m));
  let onehot = select(0.0, 1.0, c == label(i));
  result[idx] = (p - onehot) * (dy[0] / f32(u.rows));
}
`,
};

function queue(): WebGpuKernels {
  const k = webGpuKernels();
  if (!k) throw new Error('The fused cross-entropy kernel runs only on tfjs-webgpu (4.22).');
  return k;
}

const i32 = (v: number) => ({ type: 'int32' as const, data: [v] });

function forward({ inputs }: { inputs: tf.NamedTensorInfoMap }): tf.TensorInfo {
  const [logits, labels] = inputs as unknown as tf.TensorInfo[];
  const [rows, classes] = logits.shape;
  const k = queue();
  const out = k.allocate(1);
  k.run(LOSS, out, [logits, labels], [i32(rows), i32(classes)], WG);
  return { dataId: out.dataId, shape: [], dtype: 'float32' };
}

function gradient(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): Record<string, () => tf.Tensor> {
  const [logits, labels] = saved;
  return {
    0: () => {
      const [rows, classes] = logits.shape;
      const k = queue();
      const out = k.allocate(rows * classes);
      k.run(LOSS_GRAD, out, [logits, labels, dy as tf.Tensor], [i32(rows), i32(classes)], rows * classes);
      return tf.engine().makeTensorFromDataId(out.dataId, [rows, classes], 'float32');
    },
    1: () => tf.zerosLike(labels),
  };
}
