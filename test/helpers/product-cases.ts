import { seeded } from './seeded';

/** One product op(a)·op(b) with its operands, for the product-thread tests. */
export interface ProductCase {
  name: string;
  a: Float32Array; aShape: number[];
  b: Float32Array; bShape: number[];
  transposeA: boolean; transposeB: boolean;
  /** Whether the pool shares it among threads (at least 2^24 multiply-adds: src/runtime/wasm-batch-matmul.ts). */
  split: boolean;
}

function make(name: string, aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean, split: boolean, seed: number): ProductCase {
  const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
  return { name, a: seeded(size(aShape), seed), aShape, b: seeded(size(bShape), seed + 1), bShape, transposeA, transposeB, split };
}

/** Every way a product is cut: bands of rows that do not divide evenly (130 rows on 3 threads: 45, 45, 40), each
 * orientation of a 2-D product, whole matrices of a batch (192 on 3 threads; 5 on 3: 2, 2, 1, with B broadcast), and
 * one product too small to cut. */
export function productCases(): ProductCase[] {
  return [
    make('2-D', [130, 600], [600, 240], false, false, true, 1),
    make('2-D, A transposed (dW = xᵀ·dy)', [600, 130], [600, 240], true, false, true, 3),
    make('2-D, B transposed (dx = dy·Wᵀ)', [130, 600], [240, 600], false, true, true, 5),
    make('batched q·kᵀ', [192, 64, 32], [192, 64, 32], false, true, true, 7),
    make('batched, B broadcast', [5, 200, 180], [1, 180, 220], false, false, true, 9),
    make('small', [16, 32], [32, 8], false, false, false, 11),
  ];
}

/** op(a)·op(b) in float64, row-major, batch broadcast where an operand has batch 1. */
export function reference(c: ProductCase): Float64Array {
  const [ab, ar, ac] = c.aShape.length === 3 ? c.aShape : [1, ...c.aShape];
  const [bb, br, bc] = c.bShape.length === 3 ? c.bShape : [1, ...c.bShape];
  const m = c.transposeA ? ac : ar;
  const k = c.transposeA ? ar : ac;
  const n = c.transposeB ? br : bc;
  const batch = Math.max(ab, bb);
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const ao = (ab === 1 ? 0 : t) * ar * ac;
    const bo = (bb === 1 ? 0 : t) * br * bc;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const x = c.transposeA ? c.a[ao + p * ac + i] : c.a[ao + i * ac + p];
          const y = c.transposeB ? c.b[bo + j * bc + p] : c.b[bo + p * bc + j];
          s += x * y;
        }
        out[t * m * n + i * n + j] = s;
      }
    }
  }
  return out;
}
