// Picks and instantiates one build of the batched-matmul wasm module (batch-matmul.wat, built into
// batch-matmul-wasm.ts by scripts/build-batch-matmul-wasm.mjs) on a given WebAssembly.Memory — tfjs-wasm's own, so
// the module reads operands and writes products where tfjs keeps its tensors.
import { plainShared, plainUnshared, relaxedShared, relaxedUnshared } from './batch-matmul-wasm';

/** relaxed: fused multiply-add (f32x4.relaxed_madd); plain: multiply then add (SIMD without relaxed SIMD). */
export type Variant = 'relaxed' | 'plain';

/** The module's one export; addresses and strides in bytes (see batch-matmul.wat). */
export type BatchMatMulFn = (
  a: number, b: number, c: number, batch: number, m: number, n: number, k: number,
  aBatchStride: number, bBatchStride: number, aRowStride: number, aKStride: number, bKStride: number, bNStride: number,
  packed: number, tile: number,
) => void;

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

export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

const compiled = new Map<string, WebAssembly.Module | null>();
/** The compiled build, or null where this engine rejects it (no SIMD, no relaxed SIMD, no shared memory). The
 * whole build is validated, not a probe instruction: it is small, and that is exactly what must compile. */
function compile(variant: Variant, shared: boolean): WebAssembly.Module | null {
  const key = `${variant}/${shared}`;
  if (!compiled.has(key)) {
    const bytes = decode(sources[variant][shared ? 'shared' : 'unshared']);
    compiled.set(key, WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null);
  }
  return compiled.get(key)!;
}

/** The variants this engine can run, best first. Empty without wasm SIMD: tfjs's own kernel stays in use then. */
export function supportedVariants(shared = false): Variant[] {
  return (['relaxed', 'plain'] as const).filter((v) => compile(v, shared) !== null);
}

const instances = new WeakMap<WebAssembly.Memory, Map<Variant, BatchMatMulFn>>();
/** The module's batch_matmul bound to `memory`, or null where the engine cannot run `variant`. */
export function batchMatMulOn(memory: WebAssembly.Memory, variant: Variant): BatchMatMulFn | null {
  let byVariant = instances.get(memory);
  if (!byVariant) instances.set(memory, (byVariant = new Map()));
  const known = byVariant.get(variant);
  if (known) return known;
  const mod = compile(variant, isShared(memory));
  if (!mod) return null;
  const instance = new WebAssembly.Instance(mod, { env: { memory } });
  const fn = instance.exports.batch_matmul as BatchMatMulFn;
  byVariant.set(variant, fn);
  return fn;
}
