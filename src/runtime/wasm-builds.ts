// The four builds of one of the project's wasm modules (scripts/build-batch-matmul-wasm.mjs writes them as base64:
// relaxed or plain SIMD, memory import unshared or shared), compiled once each and instantiated once per
// WebAssembly.Memory — tfjs-wasm's own, so the module reads and writes tensors where tfjs keeps them. Used by
// batch-matmul/module.ts and fused-wasm/module.ts.

/** relaxed: fused multiply-add (f32x4.relaxed_madd); plain: multiply then add (SIMD without relaxed SIMD). */
export type Variant = 'relaxed' | 'plain';

export interface Builds { relaxedShared: string; relaxedUnshared: string; plainShared: string; plainUnshared: string }

export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** One module's builds: which variants this engine runs, and the module's exports bound to a memory. */
export function wasmBuilds<Exports>(builds: Builds) {
  const compiled = new Map<string, WebAssembly.Module | null>();
  /** The compiled build, or null where this engine rejects it (no SIMD, no relaxed SIMD, no shared memory). The
   * whole build is validated, not a probe instruction: it is small, and that is exactly what must compile. */
  const compile = (variant: Variant, shared: boolean): WebAssembly.Module | null => {
    const key = `${variant}${shared ? 'Shared' : 'Unshared'}` as keyof Builds;
    if (!compiled.has(key)) {
      const bytes = decode(builds[key]);
      compiled.set(key, WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null);
    }
    return compiled.get(key)!;
  };
  const instances = new WeakMap<WebAssembly.Memory, Map<Variant, Exports>>();
  return {
    /** The variants this engine can run, best first; empty without wasm SIMD. */
    supported(shared = false): Variant[] {
      return (['relaxed', 'plain'] as const).filter((v) => compile(v, shared) !== null);
    },
    /** The module's exports bound to `memory`, or null where the engine cannot run `variant`. */
    on(memory: WebAssembly.Memory, variant: Variant): Exports | null {
      let byVariant = instances.get(memory);
      if (!byVariant) instances.set(memory, (byVariant = new Map()));
      const known = byVariant.get(variant);
      if (known) return known;
      const mod = compile(variant, isShared(memory));
      if (!mod) return null;
      const exports = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as Exports;
      byVariant.set(variant, exports);
      return exports;
    },
  };
}
