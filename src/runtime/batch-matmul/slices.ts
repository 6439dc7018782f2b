// How one product is shared among threads that each run the module's batch_matmul on their own part: whole matrices
// of a batch, or, for a single matrix, bands of output rows. Every part writes a disjoint region of C and reads A and
// B where they lie, so the parts need no synchronisation beyond "all done".

/** `total` items cut into min(parts, total) runs as even as they go, the first runs one longer: their lengths. */
export function runsOf(total: number, parts: number): number[] {
  const count = Math.min(parts, total);
  return Array.from({ length: count }, (_, p) => Math.floor(total / count) + (p < total % count ? 1 : 0));
}

/** B's batch stride that tells batch_matmul B is already packed at `packed` (a cached frozen weight). */
export const B_PACKED = -1;

/** batch_matmul's arguments, in its parameter order (batch-matmul.wat); addresses and strides in bytes. */
export type ProductArgs = [
  a: number, b: number, c: number, batch: number, m: number, n: number, k: number,
  aBatchStride: number, bBatchStride: number, aRowStride: number, aKStride: number, bKStride: number, bNStride: number,
  cRowStride: number, cBatchStride: number, packed: number, tile: number,
];

/**
 * The scratch one part needs: B packed in panels of 8 columns, then (`tile`) a 5×8 edge tile followed by one chunk
 * of A packed for $gemm_packed (batch-matmul.wat): 32768 / K rows cut to a multiple of 5, at least 5, of K floats.
 */
export function scratchBytes(n: number, k: number): { packed: number; tile: number } {
  const chunkRows = Math.max(5, Math.floor(Math.floor(32768 / k) / 5) * 5);
  return { packed: Math.ceil(n / 8) * 8 * k * 4, tile: 160 + chunkRows * k * 4 };
}

/** Rows of the tile of $gemm_packed (batch-matmul.wat), which takes the large products: bands are cut on it so no
 * part gets a ragged tile it need not have. ($gemm's tiles are 4 rows: a band of its narrow products may end on a
 * ragged one.) */
const TILE_ROWS = 5;

/**
 * The product `args` (its scratch pointers ignored, but for a B packed already) cut into at most `parts` parts,
 * each with its own scratch from `scratch(i)`. A batch is cut into runs of whole matrices; a single matrix into bands of rows (a multiple of the
 * tile's 5). Fewer parts come back where there is less to cut (a batch of 2 on 4 threads: 2 parts; 7 rows: 2 bands).
 */
export function sliceProduct(args: ProductArgs, parts: number, scratch: (part: number) => { packed: number; tile: number }): ProductArgs[] {
  const [a, b, c, batch, m, n, k, abs, bbs, ars, aks, bks, bns, ldc, cbs, packedB] = args;
  // B packed once already (bbs = B_PACKED): every part reads that copy instead of packing its own.
  const partScratch = bbs === B_PACKED ? (p: number) => ({ ...scratch(p), packed: packedB }) : scratch;
  const out: ProductArgs[] = [];
  if (batch > 1) {
    let first = 0;
    for (const [p, size] of runsOf(batch, parts).entries()) {
      const s = partScratch(p);
      out.push([a + first * abs, bbs === B_PACKED ? b : b + first * bbs, c + first * cbs, size, m, n, k, abs, bbs, ars, aks, bks, bns, ldc, cbs, s.packed, s.tile]);
      first += size;
    }
    return out;
  }
  const band = Math.max(TILE_ROWS, Math.ceil(m / parts / TILE_ROWS) * TILE_ROWS);
  for (let row = 0, p = 0; row < m; row += band, p++) {
    const rows = Math.min(band, m - row);
    const s = partScratch(p);
    out.push([a + row * ars, b, c + row * ldc, 1, rows, n, k, abs, bbs, ars, aks, bks, bns, ldc, cbs, s.packed, s.tile]);
  }
  return out;
}
