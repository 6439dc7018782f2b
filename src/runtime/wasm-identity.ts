// tfjs saves every tensor a gradient will need by cloning it (tfjs-core's engine.clone: the Identity kernel), and
// tfjs-wasm's Identity copies the whole tensor, where its cpu backend only counts one more reference. A MiniLM-L6
// LoRA step made 404 such copies, 30 ms of a 674 ms step on one thread (bench/profile-wasm.ts), and on several
// threads they are work no helper shares. Here Identity on wasm shares the data as tfjs-wasm's own Reshape does
// (one more reference on the same heap block, freed when the last tensor on it goes). That is safe because no wasm
// kernel, tfjs's or the project's, writes into an input: every kernel writes a fresh output (the in-place AdamW
// update is WebGPU's alone, src/train/adamw-webgpu.ts).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { wrapKernel } from './wrap-kernel';

interface RefCounting { incRef(dataId: object): void }

let shared = true;
/** false: tfjs-wasm's copying Identity (for bench/wasm-ab.ts's before/after; true by default). */
export function setSharedIdentity(on: boolean): void {
  shared = on;
}

export function shareWasmIdentity(): void {
  wrapKernel('Identity', 'wasm', 'shared', (copy) => (args) => {
    const { x } = args.inputs as unknown as { x: tf.TensorInfo };
    if (!shared || x.dtype === 'string') return copy(args);
    (args.backend as unknown as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}
