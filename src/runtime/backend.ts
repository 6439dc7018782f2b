// Which tfjs backend runs the training, and why. The choice is a pure function of what the browser reports,
// so it is unit-tested; probing and initialisation are thin wrappers around it.
import type { BackendName } from '../domain';

export type { BackendName } from '../domain';
export const BACKENDS: readonly BackendName[] = ['webgpu', 'wasm', 'webgl', 'cpu'];

/** What a WebGPU adapter says about itself (GPUAdapterInfo fields; JSON.stringify of the real object prints `{}`). */
export interface AdapterFacts {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface Capabilities {
  /** null when navigator.gpu is missing or requestAdapter() returned null. */
  webgpu: AdapterFacts | null;
  webgpuError?: string;
  wasm: boolean;
  webgl: boolean;
}

export interface BackendChoice {
  backend: BackendName;
  /** One sentence a person reads in the page, e.g. "CPU (wasm) — only a software WebGPU adapter was found". */
  reason: string;
  overridden: boolean;
}

const SOFTWARE_ARCHITECTURES = ['swiftshader', 'llvmpipe', 'lavapipe', 'warp', 'softpipe'];

export function isSoftwareAdapter(a: AdapterFacts): boolean {
  if (a.isFallbackAdapter) return true;
  const text = `${a.vendor} ${a.architecture} ${a.device} ${a.description}`.toLowerCase();
  return SOFTWARE_ARCHITECTURES.some((s) => text.includes(s));
}

export function describeAdapter(a: AdapterFacts): string {
  const parts = [a.description, a.vendor, a.architecture, a.device].filter((s) => s && s.trim());
  return parts.length ? [...new Set(parts)].join(' / ') : 'unnamed adapter';
}

export function parseBackendParam(value: string | null | undefined): BackendName | null {
  if (!value) return null;
  const v = value.trim().toLowerCase();
  return (BACKENDS as readonly string[]).includes(v) ? (v as BackendName) : null;
}

/**
 * Prefer a hardware WebGPU adapter; a software adapter (SwiftShader runs shaders on the CPU at well under
 * 1 GFLOP/s here, against ~30 for tfjs-wasm) loses to wasm; without wasm, webgl, then plain JS.
 */
export function chooseBackend(caps: Capabilities, override?: BackendName | null): BackendChoice {
  if (override) {
    const unavailable =
      (override === 'webgpu' && !caps.webgpu) || (override === 'wasm' && !caps.wasm) || (override === 'webgl' && !caps.webgl);
    if (!unavailable) {
      const what = override === 'webgpu' && caps.webgpu ? ` — ${describeAdapter(caps.webgpu)}` : '';
      return { backend: override, reason: `${label(override)}${what} — chosen by you`, overridden: true };
    }
    const auto = chooseBackend(caps, null);
    return { ...auto, reason: `${auto.reason} (you asked for ${override}, which this browser does not offer)`, overridden: false };
  }
  if (caps.webgpu && !isSoftwareAdapter(caps.webgpu)) {
    return { backend: 'webgpu', reason: `WebGPU — ${describeAdapter(caps.webgpu)}`, overridden: false };
  }
  const why = caps.webgpu
    ? `only a software WebGPU adapter was found (${describeAdapter(caps.webgpu)})`
    : `this browser has no WebGPU adapter${caps.webgpuError ? ` (${caps.webgpuError})` : ''}`;
  if (caps.wasm) return { backend: 'wasm', reason: `CPU (wasm) — ${why}`, overridden: false };
  if (caps.webgl) return { backend: 'webgl', reason: `WebGL — ${why} and WebAssembly is unavailable`, overridden: false };
  return { backend: 'cpu', reason: `CPU (plain JavaScript, slow) — ${why} and neither WebAssembly nor WebGL is available`, overridden: false };
}

export function label(b: BackendName): string {
  return { webgpu: 'WebGPU', wasm: 'CPU (wasm)', webgl: 'WebGL', cpu: 'CPU (JavaScript)' }[b];
}

/** What an adapter says about itself: the browser's, or Dawn's in Node (src/runtime/node-webgpu.ts). */
export function adapterFacts(adapter: GPUAdapter): AdapterFacts {
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    // Older Chromium exposed the flag on the adapter, newer on adapter.info.
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
  };
}

/** Reads the adapter's facts; works on the main thread and in workers (navigator.gpu is exposed to both). */
export async function probeCapabilities(): Promise<Capabilities> {
  const caps: Capabilities = { webgpu: null, wasm: typeof WebAssembly === 'object', webgl: hasWebGl() };
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    caps.webgpuError = 'navigator.gpu is missing';
    return caps;
  }
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) {
      caps.webgpuError = 'requestAdapter() returned no adapter';
      return caps;
    }
    caps.webgpu = adapterFacts(adapter);
  } catch (e) {
    caps.webgpuError = e instanceof Error ? e.message : String(e);
  }
  return caps;
}

function hasWebGl(): boolean {
  try {
    if (typeof OffscreenCanvas !== 'undefined') return Boolean(new OffscreenCanvas(1, 1).getContext('webgl2'));
    if (typeof document !== 'undefined') return Boolean(document.createElement('canvas').getContext('webgl2'));
  } catch {
    /* a context that throws is no context */
  }
  return false;
}
