// LoRA's dropout mask drawn on the host with the very hash the WebGPU kernel uses (fused/dropout-webgpu.ts: PCG's
// output permutation of the element index mixed with the hashed seed), so a seed gives one mask on every backend.
// It replaces tf.dropout on cpu and wasm (tfjs-core's seedrandom generator, then four elementwise kernels): one loop
// of integer arithmetic draws the mask and one multiply applies it. What it buys is one mask per seed on every
// backend; a wasm step's time is unchanged within the noise (bench/RESULTS.md).
import * as tf from '@tensorflow/tfjs';

/** PCG "RXS M XS" on a u32 (the WGSL `pcg` of fused/dropout-webgpu.ts, in 32-bit integer arithmetic). */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/**
 * The mask as values: 0 where an element drops, 1 / (1 − rate) (as float32) where it stays. Element i stays when
 * the top 24 bits of pcg(pcg(i) ^ key), as a float in [0, 1), are at least `rate`; key = pcg(seedLo ^ pcg(seedHi)).
 */
export function dropoutMask(size: number, rate: number, seed: number): Float32Array {
  if (!(rate >= 0 && rate < 1)) throw new Error(`Dropout rate must be at least 0 and below 1 (got ${rate}).`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`Dropout seed must be a non-negative integer (got ${seed}).`);
  const key = pcgHash((seed % 2 ** 32) ^ pcgHash(Math.floor(seed / 2 ** 32)));
  const scale = Math.fround(1 / (1 - rate));
  // The shader compares u = f32(h >> 8) / 2^24, exact in float32 and here, with the float32 rate.
  const threshold = Math.fround(rate);
  const out = new Float32Array(size);
  // pcgHash twice, written out: the loop runs once per element of every adapted layer's input, every step (measured in
  // Node: 4.5–5.8 ns a value written out, 5.1–7.2 with the two calls).
  for (let i = 0; i < size; i++) {
    let s = (Math.imul(i, 747796405) + 2891336453) | 0;
    let w = Math.imul((s >>> ((s >>> 28) + 4)) ^ s, 277803737);
    s = (Math.imul(((w >>> 22) ^ w) ^ key, 747796405) + 2891336453) | 0;
    w = Math.imul((s >>> ((s >>> 28) + 4)) ^ s, 277803737);
    if ((((w >>> 22) ^ w) >>> 8) * (1 / 16777216) >= threshold) out[i] = scale;
  }
  return out;
}

/** x times the mask (an ordinary product, so its gradient is dy ⊙ mask, which is dropout's). */
export function hostDropout<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  const mask = dropoutMask(x.size, rate, seed);
  return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, 'float32'))) as T;
}
