// tfjs set up for Node (CLI, unit and parity tests): the pure-JS cpu backend, wasm from node_modules, and WebGPU on
// Dawn (src/runtime/node-webgpu.ts).
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { AdapterFacts, BackendName } from './backend';
import { useNodeWebGpu } from './node-webgpu';
import { untransposeWasmMatMul } from './wasm-matmul';
import { shareWasmIdentity } from './wasm-identity';
import { useRowGather } from './wasm-gather';
import { useOwnWasmBatchMatMul } from './wasm-batch-matmul';

// Order matters: the batched-product kernel wraps the untransposing one, and hands it what it does not take.
untransposeWasmMatMul();
useOwnWasmBatchMatMul();
shareWasmIdentity();
useRowGather();

const require = createRequire(import.meta.url);
setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');

export async function useBackend(backend: BackendName): Promise<typeof tf> {
  if (backend !== 'cpu' && backend !== 'wasm' && backend !== 'webgpu') throw new Error(`Node runs the cpu, wasm and webgpu backends, not ${backend}.`);
  if (backend === 'webgpu') {
    webgpuAdapter = await useNodeWebGpu();
    return tf;
  }
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`The ${backend} backend could not be initialised.`);
  await tf.ready();
  return tf;
}

let webgpuAdapter: AdapterFacts | null = null;

/** The adapter WebGPU runs on in this process (null before useBackend('webgpu')). */
export function nodeWebGpuAdapter(): AdapterFacts | null {
  return webgpuAdapter;
}

export { tf };
