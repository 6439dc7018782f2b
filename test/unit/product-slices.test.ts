// How a product is cut among threads (src/runtime/batch-matmul/slices.ts): checked by running each cut on a byte-
// addressed model of the module's batch_matmul and comparing with the uncut product, and by the cuts' exact sizes.
import { describe, expect, it } from 'vitest';
import { B_PACKED, runsOf, scratchBytes, sliceProduct, type ProductArgs } from '../../src/runtime/batch-matmul/slices';

/** batch_matmul (batch-matmul.wat) in JS over a Float64Array "heap" addressed in bytes (every address a multiple of 4). */
function model(heap: Float64Array, [a, b, c, batch, m, n, k, abs, bbs, ars, aks, bks, bns, ldc, cbs]: ProductArgs): void {
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += heap[(a + t * abs + i * ars + p * aks) / 4] * heap[(b + t * bbs + p * bks + j * bns) / 4];
        heap[(c + t * cbs + i * ldc + j * 4) / 4] = s;
      }
    }
  }
}

/** A product laid out on a fresh heap: A at 0, B after it, C after B; returns the heap, args and C's range. */
function layout(batch: number, m: number, n: number, k: number, transposeA: boolean, transposeB: boolean, broadcastB = false, cBands = 0) {
  const aWords = batch * m * k;
  const bWords = (broadcastB ? 1 : batch) * k * n;
  const heap = new Float64Array(aWords + bWords + (cBands ? m * cBands * n : batch * m * n));
  for (let i = 0; i < aWords + bWords; i++) heap[i] = ((i * 7919) % 101) - 50;
  const args: ProductArgs = [0, aWords * 4, (aWords + bWords) * 4, batch, m, n, k,
    4 * m * k, broadcastB ? 0 : 4 * k * n, transposeA ? 4 : 4 * k, transposeA ? 4 * m : 4, transposeB ? 4 : 4 * n, transposeB ? 4 * k : 4,
    // cBands (≥ batch): C is one [m, cBands·n] matrix and matrix t fills its columns t·n … t·n + n − 1 (the
    // attention's heads writing into [rows, hidden])
    cBands ? 4 * cBands * n : 4 * n, cBands ? 4 * n : 4 * m * n, 0, 0];
  return { heap, args, c: [aWords + bWords, heap.length] as const };
}

const noScratch = () => ({ packed: 0, tile: 0 });

describe('sliceProduct', () => {
  const cases: [string, Parameters<typeof layout>, number][] = [
    ['a 2-D product in bands of rows', [1, 130, 12, 9, false, false], 3],
    ['A transposed', [1, 30, 5, 7, true, false], 4],
    ['B transposed', [1, 17, 6, 5, false, true], 2],
    ['a batch in runs of matrices', [7, 6, 5, 4, false, true], 3],
    ['B broadcast over the batch', [5, 4, 6, 3, false, false, true], 3],
    ['more threads than rows', [1, 3, 4, 2, false, false], 8],
    ['a batch writing bands of columns of one C', [6, 5, 3, 4, false, true, false, 6], 4],
    ['a band of columns of a wider C in bands of rows', [1, 23, 4, 3, true, false, false, 3], 3],
  ];
  for (const [name, shape, parts] of cases) {
    it(`computes what the uncut product computes: ${name}`, () => {
      const whole = layout(...shape);
      model(whole.heap, whole.args);
      const cut = layout(...shape);
      for (const part of sliceProduct(cut.args, parts, noScratch)) model(cut.heap, part);
      expect(cut.heap.subarray(...cut.c)).toEqual(whole.heap.subarray(...whole.c));
    });
  }

  it('cuts a count into runs as even as they go, the first ones longer', () => {
    expect(runsOf(7, 3)).toEqual([3, 2, 2]);
    expect(runsOf(2, 4)).toEqual([1, 1]);
    expect(runsOf(5, 1)).toEqual([5]);
    expect(runsOf(16, 2)).toEqual([8, 8]);
  });

  it('gives every part the one packed copy of B when B comes packed already (a frozen weight), and its own scratch else', () => {
    const scratch = (p: number) => ({ packed: 1000 * (p + 1), tile: 1000 * (p + 1) + 500 });
    for (const batch of [1, 4]) {
      const { args } = layout(batch, 130, 12, 9, false, false, true);
      args[8] = B_PACKED;
      args[15] = 64;
      const parts = sliceProduct(args, 3, scratch);
      expect(parts).toHaveLength(3);
      expect(parts.map((p) => [p[1], p[8], p[15], p[16]])).toEqual([[args[1], B_PACKED, 64, 1500], [args[1], B_PACKED, 64, 2500], [args[1], B_PACKED, 64, 3500]]);
    }
  });

  it('cuts bands on the packed tile’s 5 rows and batches as evenly as they go, each part with its own scratch', () => {
    const { args } = layout(1, 130, 12, 9, false, false);
    const scratch = (p: number) => ({ packed: 1000 * (p + 1), tile: 1000 * (p + 1) + 500 });
    const bands = sliceProduct(args, 3, scratch);
    expect(bands.map((p) => p[4])).toEqual([45, 45, 40]);
    expect(bands.map((p) => p[0])).toEqual([0, 45 * 9 * 4, 90 * 9 * 4]);
    expect(bands.map((p) => p[2])).toEqual([args[2], args[2] + 45 * 12 * 4, args[2] + 90 * 12 * 4]);
    expect(bands.map((p) => [p[15], p[16]])).toEqual([[1000, 1500], [2000, 2500], [3000, 3500]]);
    expect(sliceProduct(layout(1, 3, 4, 2, false, false).args, 8, noScratch).map((p) => p[4])).toEqual([3]);
    expect(sliceProduct(layout(1, 9, 4, 2, false, false).args, 2, noScratch).map((p) => p[4])).toEqual([5, 4]);
    const runs = sliceProduct(layout(5, 4, 6, 3, false, false, true).args, 3, noScratch);
    expect(runs.map((p) => p[3])).toEqual([2, 2, 1]);
    expect(runs.map((p) => p[1])).toEqual([runs[0][1], runs[0][1], runs[0][1]]);
    expect(sliceProduct(layout(2, 4, 6, 3, false, false).args, 4, noScratch).map((p) => p[3])).toEqual([1, 1]);
  });

  it('sizes the scratch as the module packs B (panels of 8 columns) and A (a 5×8 tile, then one chunk of rows)', () => {
    // a chunk is 32768 / K rows cut to a multiple of 5: 3275 rows of 10 floats at K = 10, 5 rows at K = 7000
    expect(scratchBytes(8, 10)).toEqual({ packed: 320, tile: 160 + 3275 * 10 * 4 });
    expect(scratchBytes(9, 10)).toEqual({ packed: 640, tile: 160 + 3275 * 10 * 4 });
    expect(scratchBytes(33, 7000)).toEqual({ packed: 40 * 7000 * 4, tile: 160 + 5 * 7000 * 4 });
  });
});
