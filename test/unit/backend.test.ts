import { describe, expect, it } from 'vitest';
import { chooseBackend, isSoftwareAdapter, parseBackendParam, type AdapterFacts, type Capabilities } from '../../src/runtime/backend';

const swiftshader: AdapterFacts = { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true };
const nvidia: AdapterFacts = { vendor: 'nvidia', architecture: 'ampere', device: '', description: 'NVIDIA GeForce RTX 3060', isFallbackAdapter: false };
const caps = (webgpu: AdapterFacts | null, wasm = true, webgl = true): Capabilities => ({ webgpu, wasm, webgl });

describe('chooseBackend', () => {
  it('takes a hardware WebGPU adapter and names it', () => {
    const c = chooseBackend(caps(nvidia));
    expect(c.backend).toBe('webgpu');
    expect(c.reason).toBe('WebGPU — NVIDIA GeForce RTX 3060 / nvidia / ampere');
    expect(c.overridden).toBe(false);
  });

  it('prefers wasm over a software (SwiftShader) adapter and says why', () => {
    const c = chooseBackend(caps(swiftshader));
    expect(c.backend).toBe('wasm');
    expect(c.reason).toBe('CPU (wasm) — only a software WebGPU adapter was found (google / swiftshader)');
  });

  it('detects software adapters by architecture even when the fallback flag is not set', () => {
    expect(isSoftwareAdapter({ ...swiftshader, isFallbackAdapter: false })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 15)', description: '', isFallbackAdapter: false })).toBe(true);
    expect(isSoftwareAdapter(nvidia)).toBe(false);
  });

  it('falls back to wasm without WebGPU, then webgl, then cpu', () => {
    expect(chooseBackend({ webgpu: null, webgpuError: 'navigator.gpu is missing', wasm: true, webgl: true }).reason).toBe(
      'CPU (wasm) — this browser has no WebGPU adapter (navigator.gpu is missing)',
    );
    expect(chooseBackend(caps(null, false, true)).backend).toBe('webgl');
    expect(chooseBackend(caps(null, false, false)).backend).toBe('cpu');
  });

  it('honours an override the browser can satisfy, even a software adapter', () => {
    const c = chooseBackend(caps(swiftshader), 'webgpu');
    expect(c).toEqual({ backend: 'webgpu', reason: 'WebGPU — google / swiftshader — chosen by you', overridden: true });
    expect(chooseBackend(caps(nvidia), 'cpu').backend).toBe('cpu');
  });

  it('ignores an override the browser cannot satisfy and says so', () => {
    const c = chooseBackend(caps(null), 'webgpu');
    expect(c.backend).toBe('wasm');
    expect(c.overridden).toBe(false);
    expect(c.reason).toContain('you asked for webgpu, which this browser does not offer');
  });
});

describe('parseBackendParam', () => {
  it('accepts the four names, case-insensitively, and nothing else', () => {
    expect(parseBackendParam('WebGPU')).toBe('webgpu');
    expect(parseBackendParam('wasm')).toBe('wasm');
    expect(parseBackendParam('gpu')).toBeNull();
    expect(parseBackendParam(null)).toBeNull();
  });
});
