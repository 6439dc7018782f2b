// tfjs-wasm 4.22's GatherV2 walks its output one element at a time, recomputing each element's source index from
// strides: the word-embedding lookup of a MiniLM-L6 step (512 rows of 384 floats out of 30,522) took 4.2 ms in Node
// and 6.4–8.9 ms in Chromium (bench/pool-ab.ts --profile-shapes), a few hundred times what copying 786 KB costs.
// Taking whole rows along the first axis — every embedding lookup (src/model/embedding.ts) and the masked
// positions of src/model/mlm.ts — is one block copy per index on tfjs's own heap. Every other gather (another axis,
// batch dimensions, another element size) goes to the kernel this wraps, and so does an index out of range, so
// that tfjs's own error names it.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { memoryOf, type WasmBackend } from './wasm-batch-matmul';
import { wrapKernel } from './wrap-kernel';

type Info = tf.TensorInfo;

interface GatherBackend extends WasmBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): Info;
}

/** Rows shorter than this are left to tfjs: its loop is as good as a copy call per few elements. */
const MIN_ROW = 16;

let rows = true;
/** false: tfjs-wasm's element-wise GatherV2 for every gather (for tests and before/after benches; true by default). */
export function setRowGather(on: boolean): void {
  rows = on;
}

/** How many gathers took whole rows: tests check that this kernel, not the wrapped one, ran. */
export const rowGatherStats = { gathers: 0 };

export function useRowGather(): void {
  wrapKernel('GatherV2', 'wasm', 'rowCopy', (elementwise) => (args) => {
    const { x, indices } = args.inputs as unknown as { x: Info; indices: Info };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims?: number };
    const backend = args.backend as unknown as GatherBackend;
    const first = x.shape.length > 0 && (axis === 0 || axis === -x.shape.length);
    if (!rows || !first || (batchDims ?? 0) !== 0 || indices.dtype !== 'int32' || (x.dtype !== 'float32' && x.dtype !== 'int32')) {
      return elementwise(args);
    }
    const rowElems = x.shape.slice(1).reduce((p, d) => p * d, 1);
    const memory = memoryOf(backend);
    if (!memory || rowElems < MIN_ROW) return elementwise(args);
    const ids = backend.readSync(indices.dataId);
    const count = x.shape[0];
    for (let i = 0; i < ids.length; i++) if (!(ids[i] >= 0 && ids[i] < count)) return elementwise(args);
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype as 'float32' | 'int32');
    if (ids.length === 0) return out;
    // A view made after makeOutput: its malloc may have grown the memory, and a grown memory has a new buffer.
    const heap = new Int32Array(memory.buffer);
    const src = backend.dataIdMap.get(x.dataId).memoryOffset >>> 2;
    const dst = backend.dataIdMap.get(out.dataId).memoryOffset >>> 2;
    for (let i = 0; i < ids.length; i++) {
      const from = src + ids[i] * rowElems;
      heap.copyWithin(dst + i * rowElems, from, from + rowElems);
    }
    rowGatherStats.gathers++;
    return out;
  });
}
