// LoRA's input dropout drawn on the GPU. tf.dropout draws its mask in JavaScript (tfjs-core's randomUniform fills a
// host buffer, about 8 ns a value here) and uploads it, then runs four elementwise kernels: with the app's default
// rate 0.1 that is one mask per adapted layer per step, 12 masks of batch × seq × 384 values for MiniLM-L6 (37.7 M
// values, ~300 ms of JavaScript, at seq 128 × batch 64, a step an H100 runs in 43 ms: bench/RESULTS-gpu.md).
// Here the mask is a hash of (seed, element index), so it costs one dispatch, nothing is uploaded, and the
// gradient is the same kernel on dy with the same seed (dropout's gradient is dy ⊙ mask / keep).
//
// The hash is PCG's output permutation (O'Neill's pcg32 "RXS M XS", as in Jarzynski & Olano, "Hash Functions for
// GPU Rendering", JCGT 2020): the hashed index mixed with the hashed seed, hashed again; the top 24 bits give a uniform
// float in [0, 1), kept when ≥ rate, as tf.dropout keeps a value when floor(u + keep) is 1. cpu and wasm draw the
// same mask on the host (../dropout-mask.ts), so a seed gives one mask on every backend.
import * as tf from '@tensorflow/tfjs';
import { webGpuKernels, type KernelSpec } from '../../runtime/webgpu-kernel';

const DROPOUT = 'TabtuneDropout';
const WG = 256;

/** Whether masks can be drawn on the device: tfjs-webgpu with the queue webgpu-kernel.ts uses. */
export function deviceDropoutAvailable(): boolean {
  return webGpuKernels() !== null;
}

/** x with each element zeroed with probability `rate` and the rest scaled by 1 / (1 − rate); the same seed draws
 * the same mask. `seed` is a non-negative integer below 2^53. */
export function deviceDropout<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  if (!(rate >= 0 && rate < 1)) throw new Error(`Dropout rate must be at least 0 and below 1 (got ${rate}).`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Dropout seed must be a non-negative integer (got ${seed}).`);
  register();
  return tf.engine().runKernel(DROPOUT, [x] as unknown as tf.NamedTensorMap, { rate, seedLo: seed % 2 ** 32, seedHi: Math.floor(seed / 2 ** 32) } as unknown as tf.NamedAttrMap) as T;
}

let registered = false;
function register(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel(DROPOUT, 'webgpu')) tf.registerKernel({ kernelName: DROPOUT, backendName: 'webgpu', kernelFunc: ({ inputs, attrs }) => run((inputs as unknown as tf.TensorInfo[])[0], attrs as unknown as Attrs) });
  tf.registerGradient({
    kernelName: DROPOUT,
    gradFunc: (dy, _saved, attrs) => ({
      0: () => tf.engine().runKernel(DROPOUT, [dy as tf.Tensor] as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor,
    }),
  });
}

interface Attrs {
  rate: number;
  seedLo: number;
  seedHi: number;
}

const SPEC: KernelSpec = {
  name: 'tabtune-dropout',
  inputs: [{ name: 'x', access: 'read' }],
  uniforms: [
    { name: 'size', type: 'i32' },
    { name: 'seedLo', type: 'i32' },
    { name: 'seedHi', type: 'i32' },
    { name: 'rate', type: 'f32' },
    { name: 'scale', type: 'f32' },
  ],
  workgroupSize: WG,
  body: `
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let idx = flatIndex(wg, nwg, li);
  if (idx >= u.size) { return; }
  let key = pcg(bitcast<u32>(u.seedLo) ^ pcg(bitcast<u32>(u.seedHi)));
  let h = pcg(pcg(bitcast<u32>(idx)) ^ key);
  let uniform = f32(h >> 8u) * (1.0 / 16777216.0);
  result[idx] = select(0.0, x[idx] * u.scale, uniform >= u.rate);
}
`,
};

/** Two's-complement i32 of a u32, for the uniform (the shader bitcasts it back). */
const asI32 = (v: number) => v | 0;

function run(x: tf.TensorInfo, a: Attrs): tf.TensorInfo {
  const k = webGpuKernels();
  if (!k) throw new Error('Device dropout runs only on tfjs-webgpu (4.22).');
  const size = x.shape.reduce((p, d) => p * d, 1);
  const out = k.allocate(size);
  k.run(SPEC, out, [x], [
    { type: 'int32', data: [size] },
    { type: 'int32', data: [asI32(a.seedLo)] },
    { type: 'int32', data: [asI32(a.seedHi)] },
    { type: 'float32', data: [a.rate] },
    { type: 'float32', data: [1 / (1 - a.rate)] },
  ], size);
  return { dataId: out.dataId, shape: [...x.shape], dtype: 'float32' };
}
