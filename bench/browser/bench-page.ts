// The browser side of `npm run bench`: the same rows as the Node bench (bench/shared.ts: the real trainStep on
// random-weight models), on tfjs's browser backends, set up exactly as the app sets them up
// (src/runtime/tf-browser.ts). scripts/cli/bench.ts drives it through Playwright: it calls the functions on
// `window.tabtuneBench` with page.evaluate and gets plain JSON back. Runs on the page's main thread (the app runs
// the same step in a worker; the figures are the same work, and the page here has nothing else to do).
import { productHelper, tf, takeWebGpuErrors, useBackend, wasmThreading } from '../../src/runtime/tf-browser';
import { describeAdapter, probeCapabilities, type BackendName } from '../../src/runtime/backend';
import type { LoadedModel } from '../../src/model/load';
import { productThreads, setPooled2d, setSplitMinMacs, setUnsplitProducts, type UnsplitRule, startProductThreads, stopProductThreads } from '../../src/runtime/wasm-batch-matmul';
import { attentionGflops, matmulGflops, measureRow, randomModel, shapeByName, type MeasureOptions, type Measured, type RowPlan } from '../shared';

export interface InitResult { ok: boolean; backend: string | null; backend_in_use: string; threads?: number | null; error?: string }

let cached: LoadedModel | null = null;

function webglRenderer(): string {
  try {
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
    if (!gl) return 'unknown renderer';
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const r = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    return `WebGL ${tf.env().getNumber('WEBGL_VERSION')} — ${String(r)}`;
  } catch (e) {
    return `renderer unreadable (${e instanceof Error ? e.message : String(e)})`;
  }
}

async function describe(backend: BackendName): Promise<string> {
  if (backend === 'webgpu') {
    const caps = await probeCapabilities();
    if (!caps.webgpu) return `WebGPU — no adapter (${caps.webgpuError ?? '?'})`;
    const a = caps.webgpu;
    return `WebGPU — ${describeAdapter(a)}${a.isFallbackAdapter ? ' (fallback adapter)' : ''}`;
  }
  if (backend === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    return `wasm — ${simd ? 'SIMD' : 'no SIMD'}, ${wasmThreading().note}`;
  }
  if (backend === 'webgl') return webglRenderer();
  return 'plain JavaScript';
}

const api = {
  async init(backend: BackendName): Promise<InitResult> {
    try {
      await useBackend(backend);
      if (tf.getBackend() !== backend) throw new Error(`tfjs is on ${tf.getBackend()} after asking for ${backend}`);
      return { ok: true, backend: tf.getBackend(), backend_in_use: await describe(backend), threads: backend === 'wasm' ? wasmThreading().threads : null };
    } catch (e) {
      return { ok: false, backend: tf.getBackend() ?? null, backend_in_use: '—', error: e instanceof Error ? e.message : String(e) };
    }
  },
  /** The project's products on every wasm thread (on: the app's setting) or on the calling thread alone (off), for
   * bench/pool-ab.ts; returns the thread count products now run on. */
  async productThreads(on: boolean): Promise<number> {
    if (!on) stopProductThreads();
    else if (productThreads() !== wasmThreading().threads) await startProductThreads(tf.backend(), wasmThreading().threads, productHelper);
    return productThreads();
  },
  /** With product threads: whether 2-D products take them too (true, the app's rule) or stay with XNNPACK. */
  setPooled2d: (on: boolean) => setPooled2d(on),
  setSplitMinMacs: (macs: number) => setSplitMinMacs(macs),
  setUnsplitProducts: (rule: UnsplitRule) => setUnsplitProducts(rule),
  matmul: (reps?: number) => matmulGflops(reps),
  attention: (reps?: number) => attentionGflops(reps),
  async row(plan: RowPlan, opts: MeasureOptions): Promise<Measured & { gpu_errors: number; gpu_error_first: string | null }> {
    if (cached?.id !== plan.model) {
      cached = null; // let the previous shape's host weights go before making the next
      cached = randomModel(shapeByName(plan.model));
    }
    // useBackend('webgpu') records the device's errors (an invalid pipeline drops its command batch silently):
    // each row reports the ones it caused.
    takeWebGpuErrors();
    const m = await measureRow(cached, shapeByName(plan.model), plan, opts);
    await new Promise((r) => setTimeout(r, 50)); // let queued uncapturederror events arrive
    const gpuErrors = takeWebGpuErrors().map((e) => e.split('\n')[0]);
    return { ...m, gpu_errors: gpuErrors.length, gpu_error_first: gpuErrors[0] ?? null };
  },
  async info(): Promise<Record<string, unknown>> {
    const caps = await probeCapabilities();
    return {
      user_agent: navigator.userAgent,
      cross_origin_isolated: globalThis.crossOriginIsolated,
      hardware_concurrency: navigator.hardwareConcurrency,
      webgpu_adapter: caps.webgpu ?? caps.webgpuError ?? null,
      webgpu_is_software: caps.webgpu ? caps.webgpu.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(describeAdapter(caps.webgpu)) : null,
      tfjs: tf.version.tfjs,
      wasm_threads: tf.getBackend() === 'wasm' ? wasmThreading().threads : null,
      product_threads: tf.getBackend() === 'wasm' ? productThreads() : null,
    };
  },
};

export type BenchApi = typeof api;
(globalThis as unknown as { tabtuneBench: BenchApi }).tabtuneBench = api;
document.title = 'tabtune bench — ready';
