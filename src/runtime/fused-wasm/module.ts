// Picks and instantiates one build of the fused elementwise module (fused.wat, built into fused-wasm.ts by
// scripts/build-batch-matmul-wasm.mjs) on tfjs-wasm's own WebAssembly.Memory, as batch-matmul/module.ts does for
// the batched matmul: the kernels read and write tensors where tfjs keeps them.
import { isShared, type Variant } from '../batch-matmul/module';
import { plainShared, plainUnshared, relaxedShared, relaxedUnshared } from './fused-wasm';

export type { Variant };

/** The module's exports; addresses in bytes, sizes in floats (see fused.wat). hasResidual: 1 or 0. */
export interface FusedWasm {
  bias_gelu(h: number, b: number, out: number, rows: number, cols: number): void;
  bias_gelu_grad(dy: number, h: number, b: number, out: number, rows: number, cols: number): void;
  column_sum(src: number, out: number, scratch: number, rows: number, cols: number): void;
  layer_norm(x: number, r: number, hasResidual: number, gamma: number, beta: number, out: number, rows: number, cols: number, eps: number): void;
  layer_norm_dx(x: number, r: number, hasResidual: number, gamma: number, dy: number, out: number, rows: number, cols: number, eps: number): void;
  layer_norm_dgamma(x: number, r: number, hasResidual: number, dy: number, out: number, scratch: number, rows: number, cols: number, eps: number): void;
}

const sources: Record<Variant, { shared: string; unshared: string }> = {
  relaxed: { shared: relaxedShared, unshared: relaxedUnshared },
  plain: { shared: plainShared, unshared: plainUnshared },
};

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

const compiled = new Map<string, WebAssembly.Module | null>();
/** The compiled build, or null where this engine rejects it (no SIMD, no relaxed SIMD, no shared memory). */
function compile(variant: Variant, shared: boolean): WebAssembly.Module | null {
  const key = `${variant}/${shared}`;
  if (!compiled.has(key)) {
    const bytes = decode(sources[variant][shared ? 'shared' : 'unshared']);
    compiled.set(key, WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null);
  }
  return compiled.get(key)!;
}

/** The variants this engine can run, best first; empty without wasm SIMD. */
export function supportedFusedVariants(shared = false): Variant[] {
  return (['relaxed', 'plain'] as const).filter((v) => compile(v, shared) !== null);
}

const instances = new WeakMap<WebAssembly.Memory, Map<Variant, FusedWasm>>();
/** The module bound to `memory`, or null where the engine cannot run `variant`. */
export function fusedWasmOn(memory: WebAssembly.Memory, variant: Variant): FusedWasm | null {
  let byVariant = instances.get(memory);
  if (!byVariant) instances.set(memory, (byVariant = new Map()));
  const known = byVariant.get(variant);
  if (known) return known;
  const mod = compile(variant, isShared(memory));
  if (!mod) return null;
  const exports = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as FusedWasm;
  byVariant.set(variant, exports);
  return exports;
}
