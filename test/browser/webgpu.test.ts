import { describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/runtime/tf-browser';
import type { Capabilities, BackendChoice } from '../../src/runtime/backend';

function inWorker(): Promise<{ caps: Capabilities; choice: BackendChoice }> {
  const w = new Worker(new URL('./probe.worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    w.onmessage = (e) => {
      resolve(e.data);
      w.terminate();
    };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage('probe');
  });
}

function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

describe('WebGPU in this Chromium', () => {
  it('yields an adapter inside a worker, and the app picks wasm over a software one', async () => {
    const { caps, choice } = await inWorker();
    expect(caps.webgpu).not.toBeNull();
    expect(caps.webgpu!.architecture.length + caps.webgpu!.vendor.length).toBeGreaterThan(0);
    if (caps.webgpu!.isFallbackAdapter || caps.webgpu!.architecture === 'swiftshader') {
      expect(choice.backend).toBe('wasm');
      expect(choice.reason).toMatch(/^CPU \(wasm\) — only a software WebGPU adapter was found/);
    } else {
      expect(choice.backend).toBe('webgpu');
    }
  });

  it('computes a matmul on webgpu equal to the cpu backend within 1e-5', async () => {
    const a = seeded(64 * 96, 1);
    const b = seeded(96 * 48, 2);
    await useBackend('cpu');
    const ref = tf.tidy(() => tf.matMul(tf.tensor2d(a, [64, 96]), tf.tensor2d(b, [96, 48])).dataSync());
    await useBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const out = tf.matMul(tf.tensor2d(a, [64, 96]), tf.tensor2d(b, [96, 48]));
    const got = await out.data();
    tf.dispose(out);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i] - got[i]));
    expect(ref.length).toBe(64 * 48);
    expect(maxDiff).toBeLessThan(1e-5);
  });
});
