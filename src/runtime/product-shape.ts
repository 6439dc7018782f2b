// The shape of a product op(A)·op(B) as the project's own matmul kernels take it (the tiled WebGPU one,
// src/runtime/webgpu-matmul.ts, and the wasm SIMD one, src/runtime/wasm-batch-matmul.ts): each adds its own strides.
import * as tf from '@tensorflow/tfjs';

/** C[batch, m, n] = op(A)[batch, m, k]·op(B)[batch, k, n], with each operand's batch (1 where it is broadcast). */
export interface ProductShape {
  batch: number;
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
  outShape: number[];
}

/**
 * The shape of op(a)·op(b), or null where neither own kernel takes it: rank below 2, mismatched or empty inner
 * sizes, or batches that are neither equal nor one of them 1 (a broadcast such as [2, 1] against [1, 3], which
 * stays with tfjs's kernel, as do shapes tfjs refuses).
 */
export function productShape(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): ProductShape | null {
  const ar = aShape.length;
  const br = bShape.length;
  if (ar < 2 || br < 2) return null;
  const m = transposeA ? aShape[ar - 1] : aShape[ar - 2];
  const k = transposeA ? aShape[ar - 2] : aShape[ar - 1];
  const n = transposeB ? bShape[br - 2] : bShape[br - 1];
  if ((transposeB ? bShape[br - 1] : bShape[br - 2]) !== k || m === 0 || n === 0 || k === 0) return null;
  const aOuter = aShape.slice(0, -2);
  const bOuter = bShape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(aOuter);
  const batchB = tf.util.sizeFromShape(bOuter);
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
  } catch {
    return null;
  }
  const batch = Math.max(batchA, batchB);
  if (tf.util.sizeFromShape(outer) !== batch || (batchA !== batchB && Math.min(batchA, batchB) !== 1)) return null;
  return { batch, batchA, batchB, m, n, k, outShape: [...outer, m, n] };
}
