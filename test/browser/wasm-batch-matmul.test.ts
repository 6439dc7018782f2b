// The project's batched-matmul module (src/runtime/wasm-batch-matmul.ts) in Chromium: the page is cross-origin
// isolated, so tfjs runs its threaded build, whose heap is a shared WebAssembly.Memory; the module's shared build
// must import that memory and compute what the cpu backend computes.
import { expect, it } from 'vitest';
import { tf, useBackend } from '../../src/runtime/tf-browser';
import { activeBatchMatMulVariant, batchMatMulStats } from '../../src/runtime/wasm-batch-matmul';
import { seeded } from '../helpers/seeded';

it('runs batched products on tfjs’s shared heap, relaxed SIMD, with the cpu backend’s results', async () => {
  const a = seeded(12 * 33 * 20, 1);
  const b = seeded(12 * 17 * 20, 2);
  // q·kᵀ-like, the shape of attention scores: batch 12, 33 × 20 against 17 × 20 transposed.
  const run = () => tf.tidy(() => tf.matMul(tf.tensor3d(a, [12, 33, 20]), tf.tensor3d(b, [12, 17, 20]), false, true).dataSync() as Float32Array);

  await useBackend('wasm');
  const wasm = (tf.backend() as unknown as { wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } } }).wasm;
  const memory = wasm.wasmMemory ?? wasm.asm?.memory;
  expect(memory?.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(activeBatchMatMulVariant()).toBe('relaxed');
  const before = batchMatMulStats.products;
  const got = run();
  expect(batchMatMulStats.products - before).toBe(1);

  await useBackend('cpu');
  const ref = run();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  expect(diff / scale).toBeLessThan(1e-5);
});
