// Frozen weights packed once. batch_matmul copies its B operand into panels of 8 columns before it multiplies
// (batch-matmul.wat $pack_b), and in a LoRA or head-only step B is mostly a frozen weight: the same copy, remade in
// every step, by every thread that shares the product, and forward and backward (W and Wᵀ). Here the first product
// of a frozen weight keeps its packed copy on tfjs's heap, and later products of that weight in the same orientation
// read it (B's batch stride B_PACKED). MiniLM-L6's one-thread LoRA step in Node at seq 32: 0.973× (477.3 → 464.3 ms),
// 85 MB kept; at seq 128, where a product has 4× the rows to spread the copy over, no measurable change.
// Correct for any tensor, because tfjs never changes the data under a dataId (a variable's assign takes a new one);
// kept only for the data of non-trainable variables, because only they come back every step. A copy is freed with
// its data (the backend's disposeData), and all of them stay under a limit of heap bytes.
import * as tf from '@tensorflow/tfjs';
import { packBOn, type Variant } from './module';
import { scratchBytes } from './slices';

/** What this needs of tfjs-wasm's backend object (tfjs-backend-wasm dist/backend_wasm.js). */
interface Backend {
  wasm: { _malloc(bytes: number): number; _free(offset: number): void };
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined; has(id: object): boolean };
  disposeData(dataId: object, force?: boolean): boolean;
}

interface Copy { raw: number; at: number; bytes: number }
interface Cache { byData: Map<object, Map<string, Copy>>; bytes: number }

const caches = new WeakMap<object, Cache>();
/** The most heap bytes packed copies take unless told otherwise. */
export const PACKED_WEIGHTS_LIMIT = 128 * 2 ** 20;
let limit = PACKED_WEIGHTS_LIMIT;

/** The most heap bytes packed copies may take (for tests and benches; 0 turns the cache off). */
export function setPackedWeightsLimit(bytes: number): void {
  limit = bytes;
}

/** Copies made and products that read one, for tests and benches. */
export const packedWeightStats = { packs: 0, hits: 0 };

/** Heap bytes the packed copies take on `backend` (for tests and benches). */
export function packedWeightBytes(backend: unknown): number {
  return caches.get(backend as object)?.bytes ?? 0;
}

const frozen = new WeakMap<object, boolean>();
/** Whether `dataId` is the data of a non-trainable variable: decided at its first product and remembered (a variable
 * frozen later is not packed; that costs only the saving). */
function isFrozenWeight(dataId: object): boolean {
  let f = frozen.get(dataId);
  if (f === undefined) {
    f = Object.values(tf.engine().registeredVariables).some((v) => v.dataId === dataId && !v.trainable);
    frozen.set(dataId, f);
  }
  return f;
}

function cacheOf(backend: Backend): Cache {
  const kept = caches.get(backend);
  if (kept) return kept;
  const made: Cache = { byData: new Map(), bytes: 0 };
  caches.set(backend, made);
  // The copies of a dataId go when tfjs frees its data (its last reference disposed).
  const dispose = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: object, force?: boolean) => {
    const freed = dispose(dataId, force);
    const copies = made.byData.get(dataId);
    if (copies && !backend.dataIdMap.has(dataId)) {
      for (const c of copies.values()) {
        backend.wasm._free(c.raw);
        made.bytes -= c.bytes;
      }
      made.byData.delete(dataId);
    }
    return freed;
  };
  return made;
}

/**
 * The address of B packed as batch_matmul would pack it, when B is a frozen weight (2-D, the data of a non-trainable
 * variable) and its copy is kept or can be made within the limit; else null, and the product packs B itself.
 * n, k and the strides are the product's (wasm-batch-matmul.ts planProduct).
 */
export function packedWeight(backend: unknown, memory: WebAssembly.Memory, variant: Variant, b: tf.TensorInfo,
  plan: { n: number; k: number; bKStride: number; bNStride: number }): number | null {
  if (limit <= 0 || b.shape.length !== 2 || b.dtype !== 'float32' || !isFrozenWeight(b.dataId)) return null;
  const be = backend as Backend;
  const cache = cacheOf(be);
  const key = `${plan.bKStride}:${plan.bNStride}`;
  const kept = cache.byData.get(b.dataId)?.get(key);
  if (kept) {
    packedWeightStats.hits++;
    return kept.at;
  }
  const bytes = scratchBytes(plan.n, plan.k).packed + 32;
  const pack = packBOn(memory, variant);
  const source = be.dataIdMap.get(b.dataId);
  if (!pack || !source || cache.bytes + bytes > limit) return null;
  const raw = be.wasm._malloc(bytes) >>> 0;
  if (!raw) return null;
  // 32-byte aligned, as the micro-kernel reads each panel row as two vectors
  const at = Math.ceil(raw / 32) * 32;
  pack(source.memoryOffset, at, plan.n, plan.k, plan.bKStride, plan.bNStride);
  if (!cache.byData.has(b.dataId)) cache.byData.set(b.dataId, new Map());
  cache.byData.get(b.dataId)!.set(key, { raw, at, bytes });
  cache.bytes += bytes;
  packedWeightStats.packs++;
  return at;
}
