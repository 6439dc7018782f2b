// The project's batched-matmul kernel for tfjs-wasm (src/runtime/wasm-batch-matmul.ts, on the SIMD module of
// src/runtime/batch-matmul/): values against a float64 reference in every orientation and at sizes that are not
// multiples of its 4×8 and 5×8 tiles, batch broadcasts, both the relaxed-SIMD and the plain-SIMD build, the gradients of an
// attention block against tfjs's own kernel, and no leaked tensors.
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { batchMatMulOn, supportedVariants } from '../../src/runtime/batch-matmul/module';
import { scratchBytes } from '../../src/runtime/batch-matmul/slices';
import { batchMatMulStats, planProduct, setBatchMatMulMode, setUnsplitProducts, takesProduct, type BatchMatMulMode } from '../../src/runtime/wasm-batch-matmul';

// Node 20's V8 has relaxed SIMD behind a flag (later Nodes ship it): on before the first module is compiled, so
// the relaxed build is tested too.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Logical a (batchA×m×k) and b (batchB×k×n), row-major, as float64 products and their Σ|a·b| per element. */
function reference(a: Float32Array, b: Float32Array, batchA: number, batchB: number, m: number, n: number, k: number) {
  const batch = Math.max(batchA, batchB);
  const out = new Float64Array(batch * m * n);
  const scale = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const ao = (batchA === 1 ? 0 : t) * m * k;
    const bo = (batchB === 1 ? 0 : t) * k * n;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let sum = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const x = a[ao + i * k + p] * b[bo + p * n + j];
        sum += x;
        abs += Math.abs(x);
      }
      out[(t * m + i) * n + j] = sum;
      scale[(t * m + i) * n + j] = abs;
    }
  }
  return { out, scale };
}

/** The last two axes of a row-major batch×r×c array swapped (how a transposed operand is stored). */
function swapLast(x: Float32Array, batch: number, r: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let t = 0; t < batch; t++) for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[t * r * c + j * r + i] = x[t * r * c + i * c + j];
  return out;
}

/** Largest error relative to the sum of magnitudes the element adds up (float32 rounding grows with it). */
function worst(got: Float32Array, ref: { out: Float64Array; scale: Float64Array }): number {
  let w = 0;
  for (let i = 0; i < got.length; i++) w = Math.max(w, Math.abs(got[i] - ref.out[i]) / (ref.scale[i] + 1e-30));
  return w;
}

const variants = supportedVariants();
const sizes = [1, 3, 17, 33, 128];

describe('the wasm batched matmul', () => {
  it('runs where the engine has SIMD, relaxed SIMD included once enabled', () => {
    expect(variants).toContain('plain');
    expect(variants).toContain('relaxed');
  });

  for (const variant of ['relaxed', 'plain'] as const) {
    it.skipIf(!variants.includes(variant))(`${variant}: every orientation and odd size against float64`, async () => {
      await useBackend('wasm');
      setBatchMatMulMode(variant);
      try {
        const before = batchMatMulStats.products;
        const batch = 2;
        let errors = 0;
        let products = 0;
        for (const m of sizes) for (const n of sizes) for (const k of sizes) {
          if (m * n * k > 128 * 33 * 128) continue; // the largest cubes add time and no new edge case
          const a = values(batch * m * k, m * 7 + k);
          const b = values(batch * k * n, n * 11 + k);
          const ref = reference(a, b, batch, batch, m, n, k);
          for (const ta of [false, true]) for (const tb of [false, true]) {
            const got = tf.tidy(() => {
              const at = ta ? tf.tensor3d(swapLast(a, batch, m, k), [batch, k, m]) : tf.tensor3d(a, [batch, m, k]);
              const bt = tb ? tf.tensor3d(swapLast(b, batch, k, n), [batch, n, k]) : tf.tensor3d(b, [batch, k, n]);
              const c = tf.matMul(at, bt, ta, tb);
              expect(c.shape).toEqual([batch, m, n]);
              return c.dataSync() as Float32Array;
            });
            const e = worst(got, ref);
            if (!(e < 1e-5)) {
              errors++;
              console.error(`${variant} m=${m} n=${n} k=${k} ta=${ta} tb=${tb}: relative error ${e}`);
            }
            products++;
          }
        }
        expect(errors).toBe(0);
        expect(batchMatMulStats.products - before).toBe(products);
      } finally {
        setBatchMatMulMode('auto');
      }
    });
  }

  it('broadcasts a batch-1 operand against a batched one, in either place and at either rank', async () => {
    await useBackend('wasm');
    const [m, n, k] = [5, 9, 17];
    const shapes: { a: number[]; b: number[]; batchA: number; batchB: number }[] = [
      { a: [1, m, k], b: [6, k, n], batchA: 1, batchB: 6 },
      { a: [6, m, k], b: [1, k, n], batchA: 6, batchB: 1 },
      { a: [m, k], b: [2, 3, k, n], batchA: 1, batchB: 6 },
      { a: [2, 3, m, k], b: [k, n], batchA: 6, batchB: 1 },
    ];
    for (const variant of variants) {
      setBatchMatMulMode(variant);
      try {
        for (const s of shapes) {
          const a = values(s.batchA * m * k, 3);
          const b = values(s.batchB * k * n, 4);
          const before = batchMatMulStats.products;
          const got = tf.tidy(() => tf.matMul(tf.tensor(a, s.a), tf.tensor(b, s.b)).dataSync() as Float32Array);
          expect(batchMatMulStats.products - before, `${s.a}·${s.b}`).toBe(1);
          expect(worst(got, reference(a, b, s.batchA, s.batchB, m, n, k)), `${variant} ${s.a}·${s.b}`).toBeLessThan(1e-5);
        }
      } finally {
        setBatchMatMulMode('auto');
      }
    }
  });

  it('runs its shared-memory builds (for the threaded tfjs) on a shared WebAssembly.Memory', () => {
    // Node's tfjs runs the unshared build; the browser's threaded tfjs keeps its heap in a shared memory with a
    // 4 GiB maximum, which the module's shared builds import. Here on a memory of that kind, with no tfjs.
    const memory = new WebAssembly.Memory({ initial: 8, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(supportedVariants(true)).toEqual(variants);
    // n = 10 takes $gemm; n = 37 takes $gemm_packed in the relaxed build (over 32 columns), whose packed chunk of A
    // lies after the tile, as scratchBytes sizes it
    for (const [batch, m, n, k] of [[3, 6, 10, 5], [2, 7, 37, 5]]) {
      const a = values(batch * m * k, 7);
      const b = values(batch * k * n, 8);
      const [aAt, bAt, cAt, packAt] = [0, 4096, 8192, 16384];
      const { packed } = scratchBytes(n, k);
      for (const variant of variants) {
        const fn = batchMatMulOn(memory, variant)!;
        const heap = new Float32Array(memory.buffer);
        heap.set(a, aAt / 4);
        heap.set(b, bAt / 4);
        fn(aAt, bAt, cAt, batch, m, n, k, 4 * m * k, 4 * k * n, 4 * k, 4, 4 * n, 4, 4 * n, 4 * m * n, packAt, packAt + packed);
        const got = new Float32Array(memory.buffer, cAt, batch * m * n).slice();
        expect(worst(got, reference(a, b, batch, batch, m, n, k)), `${variant} n=${n}`).toBeLessThan(1e-5);
      }
    }
  });

  it('writes each matrix of a batch into its band of columns of a wider C, and nothing else', () => {
    // The attention's layout (src/model/fused/attention-wasm.ts): C is [m, bands·n], matrix t fills columns
    // t·n … t·n + n − 1 (rows ldc = 4·bands·n bytes apart, matrices cbs = 4n apart). n = 10 takes $gemm, n = 37
    // $gemm_packed in the relaxed build; m = 7 ends on a ragged tile in both.
    const memory = new WebAssembly.Memory({ initial: 8 });
    for (const [batch, m, n, k] of [[3, 7, 10, 5], [2, 7, 37, 6]]) {
      const bands = batch + 1;
      const a = values(batch * m * k, 9);
      const b = values(batch * k * n, 10);
      const [aAt, bAt, cAt, packAt] = [0, 4096, 8192, 32768];
      const { packed } = scratchBytes(n, k);
      const ref = reference(a, b, batch, batch, m, n, k);
      for (const variant of variants) {
        const fn = batchMatMulOn(memory, variant)!;
        const heap = new Float32Array(memory.buffer);
        heap.set(a, aAt / 4);
        heap.set(b, bAt / 4);
        heap.fill(7, cAt / 4, cAt / 4 + m * bands * n);
        fn(aAt, bAt, cAt, batch, m, n, k, 4 * m * k, 4 * k * n, 4 * k, 4, 4 * n, 4, 4 * bands * n, 4 * n, packAt, packAt + packed);
        const c = heap.slice(cAt / 4, cAt / 4 + m * bands * n);
        // back to [batch, m, n]; the last band was never written
        const got = Float32Array.from({ length: batch * m * n }, (_, x) => c[Math.floor(x / n) % m * bands * n + Math.floor(x / (m * n)) * n + (x % n)]);
        expect(worst(got, ref), `${variant} n=${n}`).toBeLessThan(1e-5);
        for (let i = 0; i < m; i++) expect(Array.from(c.subarray(i * bands * n + batch * n, (i + 1) * bands * n)).every((v) => v === 7)).toBe(true);
      }
    }
  });

  it('takes every 2-D product on one thread, transposed or not', async () => {
    await useBackend('wasm');
    expect(getThreadsCount()).toBe(1);
    // k = 1030: $gemm takes A in chunks of 28 rows at this depth and $gemm_packed (n = 41, relaxed) in chunks of 30,
    // so m = 33 crosses a chunk edge and ends on a ragged tile in both.
    for (const [m, n, k] of [[33, 17, 1030], [33, 41, 1030]]) {
      const a = values(m * k, 5);
      const b = values(k * n, 6);
      const ref = reference(a, b, 1, 1, m, n, k);
      for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
        const before = batchMatMulStats.products;
        const got = tf.tidy(() => {
          const at = ta ? tf.tensor2d(swapLast(a, 1, m, k), [k, m]) : tf.tensor2d(a, [m, k]);
          const bt = tb ? tf.tensor2d(swapLast(b, 1, k, n), [n, k]) : tf.tensor2d(b, [k, n]);
          return tf.matMul(at, bt, ta, tb).dataSync() as Float32Array;
        });
        expect(batchMatMulStats.products - before, `n=${n} ta=${ta} tb=${tb}`).toBe(1);
        expect(worst(got, ref), `n=${n} ta=${ta} tb=${tb}`).toBeLessThan(1e-5);
      }
    }
    const before = batchMatMulStats.products;
    const small = tf.tidy(() => tf.matMul(tf.ones([1, 3, 4]), tf.ones([1, 4, 5])).dataSync());
    expect(batchMatMulStats.products - before).toBe(1);
    expect(Array.from(small)).toEqual(new Array(15).fill(4));
  });

  it('leaves large 2-D products to XNNPACK on several threads unless its own threads share them, and takes small and batched ones on any count', () => {
    const flat = planProduct([512, 384], [384, 384], false, false)!;
    const flatT = planProduct([512, 384], [384, 384], false, true)!;
    const batched = planProduct([192, 32, 32], [192, 32, 32], false, true)!;
    // 16 × 32 tokens through a 64 → 64 layer: 2^19 multiply-adds, below the 2^24 from which a product is cut.
    const small = planProduct([512, 64], [64, 64], false, false)!;
    // A LoRA adapter's gradient dA = xᵀ·g at 512 tokens, rank 8: 2^20.6 multiply-adds, A transposed.
    const loraT = planProduct([512, 384], [512, 8], true, false)!;
    const all = [flat, flatT, batched, small, loraT];
    expect(all.map((p) => takesProduct(p, 1))).toEqual([true, true, true, true, true]);
    expect(all.map((p) => takesProduct(p, 2))).toEqual([false, false, true, true, true]);
    expect(all.map((p) => takesProduct(p, 4, true))).toEqual([true, true, true, true, true]);
    try {
      setUnsplitProducts('transposed');
      expect(all.map((p) => takesProduct(p, 2, true))).toEqual([true, true, true, false, true]);
      setUnsplitProducts('xnnpack');
      expect(all.map((p) => takesProduct(p, 2, true))).toEqual([true, true, true, false, false]);
      expect(all.map((p) => takesProduct(p, 2))).toEqual([false, false, true, false, false]);
    } finally {
      setUnsplitProducts('all');
    }
  });

  it('gives an attention block the gradients of tfjs’s own kernel, and leaks no tensors', async () => {
    await useBackend('wasm');
    const [batch, heads, seq, dim] = [2, 3, 17, 8];
    const shape = [batch, heads, seq, dim];
    const size = batch * heads * seq * dim;
    const q = tf.tensor4d(values(size, 1), shape as [number, number, number, number]);
    const k = tf.tensor4d(values(size, 2), shape as [number, number, number, number]);
    const v = tf.tensor4d(values(size, 3), shape as [number, number, number, number]);
    const w = tf.tensor4d(values(size, 4), shape as [number, number, number, number]);
    const attention = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) => {
      const probs = tf.softmax(tf.mul(tf.matMul(qq, kk, false, true), 1 / Math.sqrt(dim)));
      return tf.sum(tf.mul(tf.matMul(probs, vv), w));
    };
    const grads = (mode: BatchMatMulMode) => {
      setBatchMatMulMode(mode);
      try {
        return tf.tidy(() => {
          const { value, grads: g } = tf.valueAndGrads((qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) => attention(qq, kk, vv) as tf.Scalar)([q, k, v]);
          return [value, ...g].map((t) => t.dataSync() as Float32Array);
        });
      } finally {
        setBatchMatMulMode('auto');
      }
    };
    const ref = grads('off');
    for (const variant of variants) {
      const before = batchMatMulStats.products;
      const memBefore = tf.memory();
      const got = grads(variant);
      const memAfter = tf.memory();
      // forward q·kᵀ and probs·v, and the four gradient products
      expect(batchMatMulStats.products - before).toBe(6);
      got.forEach((g, i) => {
        const peak = Math.max(...ref[i].map(Math.abs));
        const diff = Math.max(...g.map((x, j) => Math.abs(x - ref[i][j])));
        expect(diff / peak, `${variant}: ${['value', 'dq', 'dk', 'dv'][i]}`).toBeLessThan(1e-5);
      });
      expect(memAfter.numTensors).toBe(memBefore.numTensors);
      expect(memAfter.numBytes).toBe(memBefore.numBytes);
    }
    tf.dispose([q, k, v, w]);
  });

  it('keeps tf.memory() flat across repeated products', async () => {
    await useBackend('wasm');
    const a = tf.randomNormal([4, 33, 17]);
    const b = tf.randomNormal([4, 33, 17]);
    const run = () => tf.tidy(() => tf.matMul(a, b, false, true).dataSync());
    run();
    const before = tf.memory();
    for (let i = 0; i < 5; i++) run();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    tf.dispose([a, b]);
  });
});
