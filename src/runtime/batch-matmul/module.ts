// The batched-matmul wasm module (batch-matmul.wat, built into batch-matmul-wasm.ts by
// scripts/build-batch-matmul-wasm.mjs) on a given WebAssembly.Memory — tfjs-wasm's own, so the module reads operands
// and writes products where tfjs keeps its tensors. Builds are picked and instantiated by ../wasm-builds.ts.
import * as builds from './batch-matmul-wasm';
import { wasmBuilds, type Variant } from '../wasm-builds';

export { isShared, type Variant } from '../wasm-builds';

/** The module's product; addresses and strides in bytes (see batch-matmul.wat). bBatchStride −1 (B_PACKED in
 * slices.ts): `packed` already holds B as pack_b packs it. */
export type BatchMatMulFn = (
  a: number, b: number, c: number, batch: number, m: number, n: number, k: number,
  aBatchStride: number, bBatchStride: number, aRowStride: number, aKStride: number, bKStride: number, bNStride: number,
  cRowStride: number, cBatchStride: number, packed: number, tile: number,
) => void;

/** B (K × N, strides in bytes) packed at dst as batch_matmul packs it: ceil(N/8)·8·K floats (slices.ts scratchBytes). */
export type PackBFn = (src: number, dst: number, n: number, k: number, bKStride: number, bNStride: number) => void;

const loader = wasmBuilds<{ batch_matmul: BatchMatMulFn; pack_b: PackBFn }>(builds);

/** The variants this engine can run, best first. Empty without wasm SIMD: tfjs's own kernel stays in use then. */
export function supportedVariants(shared = false): Variant[] {
  return loader.supported(shared);
}

/** The module's batch_matmul bound to `memory`, or null where the engine cannot run `variant`. */
export function batchMatMulOn(memory: WebAssembly.Memory, variant: Variant): BatchMatMulFn | null {
  return loader.on(memory, variant)?.batch_matmul ?? null;
}

/** The module's pack_b bound to `memory`, or null where the engine cannot run `variant`. */
export function packBOn(memory: WebAssembly.Memory, variant: Variant): PackBFn | null {
  return loader.on(memory, variant)?.pack_b ?? null;
}
