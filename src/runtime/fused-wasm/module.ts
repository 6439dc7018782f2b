// The fused elementwise and row module (fused.wat, built into fused-wasm.ts by scripts/build-batch-matmul-wasm.mjs) on
// tfjs-wasm's own WebAssembly.Memory, as batch-matmul/module.ts has the batched matmul: the kernels read and write
// tensors where tfjs keeps them. Builds are picked and instantiated by ../wasm-builds.ts.
import * as builds from './fused-wasm';
import { wasmBuilds, type Variant } from '../wasm-builds';

export type { Variant };

/** The module's exports; addresses in bytes, sizes in floats (see fused.wat). hasResidual: 1 or 0. */
export interface FusedWasm {
  bias_gelu(h: number, b: number, out: number, rows: number, cols: number): void;
  bias_gelu_slope(h: number, b: number, out: number, slope: number, rows: number, cols: number): void;
  column_sum(src: number, out: number, scratch: number, rows: number, cols: number): void;
  layer_norm(x: number, r: number, hasResidual: number, gamma: number, beta: number, out: number, rows: number, cols: number, eps: number): void;
  layer_norm_dx(x: number, r: number, hasResidual: number, gamma: number, dy: number, out: number, rows: number, cols: number, eps: number): void;
  layer_norm_dgamma(x: number, r: number, hasResidual: number, dy: number, out: number, scratch: number, rows: number, cols: number, eps: number): void;
  masked_softmax(x: number, mask: number, out: number, rows: number, cols: number, d: number, rowsPerMask: number, firstRow: number): void;
  softmax_grad(y: number, dy: number, out: number, rows: number, cols: number, d: number): void;
}

const loader = wasmBuilds<FusedWasm>(builds);

/** The variants this engine can run, best first; empty without wasm SIMD. */
export function supportedFusedVariants(shared = false): Variant[] {
  return loader.supported(shared);
}

/** The module bound to `memory`, or null where the engine cannot run `variant`. */
export function fusedWasmOn(memory: WebAssembly.Memory, variant: Variant): FusedWasm | null {
  return loader.on(memory, variant);
}
