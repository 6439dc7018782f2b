// tfjs set up for the browser (page, worker, browser tests): registers WebGPU and wasm, and points wasm at the
// binaries Vite serves, so nothing is fetched from a CDN.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendName } from './backend';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

// tfjs-wasm's threaded build spawns pthread workers from an inlined script that breaks once bundled
// ("e is not defined" in every blob worker), so the single-threaded SIMD build is used even when the page is
// cross-origin isolated. The page says so next to the backend.
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
export const WASM_THREADS = false;

/** Switches tfjs to `backend` and waits until it is ready; throws with the backend's name when it cannot. */
export async function useBackend(backend: BackendName): Promise<typeof tf> {
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`The ${backend} backend could not be initialised in this browser.`);
  await tf.ready();
  return tf;
}

export { tf };
