// tfjs set up for the browser (page, worker, browser tests): registers WebGPU and wasm, and points wasm at the
// binaries Vite serves, so nothing is fetched from a CDN.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendName } from './backend';
// Inlined (a blob worker) so that the bundle that uses this file, the app's training worker or a library consumer's,
// stays one self-contained file.
import ProductHelper from './batch-matmul/product-helper.ts?worker&inline';
import type { HelperPort } from './batch-matmul/pool';
import { untransposeWasmMatMul } from './wasm-matmul';
import { shareWasmIdentity } from './wasm-identity';
import { useRowGather } from './wasm-gather';
import { splitWebGpuAddN, takeWebGpuErrors, watchWebGpu } from './webgpu-fixes';
import { productThreads, productThreadsLost, startProductThreads, useOwnWasmBatchMatMul } from './wasm-batch-matmul';
import { useOwnWebGpuMatMul } from './webgpu-matmul';

// Order matters: the batched-product kernel wraps the untransposing one, and hands it what it does not take.
untransposeWasmMatMul();
useOwnWasmBatchMatMul();
shareWasmIdentity();
useRowGather();

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

// The threaded build is used when the page is cross-origin isolated (SharedArrayBuffer); its pthread workers only
// work because scripts/vite-wasm-threads.ts rewrites how tfjs hands them their script.

/**
 * Threads for the wasm backend: every logical core but one, which stays with the page's own thread (rendering,
 * the loss chart), at least one. Left to itself tfjs takes half the cores (it assumes two hardware threads per
 * core), so an 8-core laptop trained on four. At most 8: tfjs's threaded build starts a pool of 8 pthreads and
 * waits for each thread it asks for, so asking for more would hang the worker instead of using more cores.
 */
export function wasmThreadsFor(logicalCores: number): number {
  return Math.min(8, Math.max(1, Math.floor(logicalCores) - 1));
}

let productThreadsTried = false;

/**
 * Starts tfjs's wasm backend on wasmThreadsFor(cores) threads. tfjs-backend-wasm 4.22 caps whatever count it is
 * given at hardwareConcurrency / 2, which its C++ reads through Emscripten from this thread's navigator when the
 * module starts; so for that moment only, navigator reports twice the wanted count, and the real value is restored
 * before anything else can read it.
 */
async function startWasm(): Promise<boolean> {
  const cores = navigator.hardwareConcurrency || 1;
  const wanted = wasmThreadsFor(cores);
  setThreadsCount(wanted);
  const own = Object.getOwnPropertyDescriptor(navigator, 'hardwareConcurrency');
  Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * wanted, configurable: true });
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    if (own) Object.defineProperty(navigator, 'hardwareConcurrency', own);
    else delete (navigator as unknown as Record<string, unknown>).hardwareConcurrency;
  }
  // The project's own kernels (src/runtime/wasm-batch-matmul.ts) on as many threads as tfjs computes with. Tried once:
  // helpers that did not start would not start on the next run either, and each try may wait out their timeout.
  if (ok && getThreadsCount() > 1 && !productThreadsTried) {
    productThreadsTried = true;
    await startProductThreads(tf.backend(), getThreadsCount(), productHelper);
  }
  return ok;
}

splitWebGpuAddN();
// Off until set (src/runtime/webgpu-matmul.ts): the wrapper only hands products on while the mode is 'off'.
useOwnWebGpuMatMul();

/** A helper thread for the project's wasm products (src/runtime/batch-matmul/pool.ts). */
export function productHelper(): HelperPort {
  return new ProductHelper() as unknown as HelperPort;
}

/**
 * How many threads the wasm backend computes with, in words for the page: the threaded build needs
 * SharedArrayBuffer, which browsers grant only to cross-origin isolated pages (COOP/COEP, vite.config.ts).
 */
export function wasmThreading(): { threads: number; note: string } {
  const threads = getThreadsCount();
  const cores = navigator.hardwareConcurrency || 1;
  if (threads > 1) {
    // Said only when it happens: tabtune's own kernels (most of a step) left on one thread is worth knowing.
    const alone = productThreads() >= threads ? ''
      : productThreadsLost() ? '; tabtune\'s own kernels on one since a helper thread stopped answering'
      : '; tabtune\'s own kernels on one, their helper threads did not start';
    return { threads, note: `${threads} threads: every one of the ${cores} logical cores but one${alone}` };
  }
  if (!globalThis.crossOriginIsolated) {
    return { threads, note: 'one thread: this page is not cross-origin isolated, so the browser withholds the shared memory threads need' };
  }
  return { threads, note: `one thread: this browser reports ${cores} logical core${cores === 1 ? '' : 's'}, and one is left to the page` };
}

/** Switches tfjs to `backend` and waits until it is ready; throws with the backend's name when it cannot. */
export async function useBackend(backend: BackendName): Promise<typeof tf> {
  const ok = backend === 'wasm' ? await startWasm() : await tf.setBackend(backend);
  if (!ok) throw new Error(`The ${backend} backend could not be initialised in this browser.`);
  await tf.ready();
  if (backend === 'webgpu') watchWebGpu();
  return tf;
}

export { tf, takeWebGpuErrors };
