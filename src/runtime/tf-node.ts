// tfjs set up for Node (CLI, unit and parity tests): the pure-JS cpu backend and wasm from node_modules.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { BackendName } from './backend';
import { untransposeWasmMatMul } from './wasm-matmul';
import { useOwnWasmBatchMatMul } from './wasm-batch-matmul';

// Order matters: the batched-product kernel wraps the untransposing one, and hands it what it does not take.
untransposeWasmMatMul();
useOwnWasmBatchMatMul();

const require = createRequire(import.meta.url);
setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');

export async function useBackend(backend: BackendName): Promise<typeof tf> {
  if (backend !== 'cpu' && backend !== 'wasm') throw new Error(`Node runs the cpu and wasm backends only, not ${backend}.`);
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`The ${backend} backend could not be initialised.`);
  await tf.ready();
  return tf;
}

export { tf };
