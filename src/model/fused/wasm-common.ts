// What the wasm fused kernels (gelu-wasm.ts, layer-norm-wasm.ts, softmax-wasm.ts; issue #20) share: the module bound to tfjs-wasm's
// memory (src/runtime/fused-wasm/), the variant in use, addresses of tensors on tfjs's heap, and a count of the
// kernels run (tests check that a frozen γ/β costs no column kernel).
import * as tf from '@tensorflow/tfjs';
import { fusedWasmOn, supportedFusedVariants, type FusedWasm, type Variant } from '../../runtime/fused-wasm/module';
import { isShared } from '../../runtime/wasm-builds';
import { activeBatchMatMulVariant, memoryOf, poolOn, type WasmBackend } from '../../runtime/wasm-batch-matmul';
import { batchMatMulOn, type BatchMatMulFn } from '../../runtime/batch-matmul/module';
import { Kernel, type KernelId } from '../../runtime/batch-matmul/pool-layout';
import type { ProductPool } from '../../runtime/batch-matmul/pool';

/** auto: the best variant this engine runs; off: fusedWasmAvailable() is false (for benches and tests). */
export type FusedWasmMode = 'auto' | 'off' | Variant;
let mode: FusedWasmMode = 'auto';

/** Forces one variant, or none ('off'); throws when the engine cannot run the variant asked for. */
export function setFusedWasmMode(next: FusedWasmMode): void {
  if ((next === 'relaxed' || next === 'plain') && !supportedFusedVariants().includes(next)) {
    throw new Error(`this engine cannot run the ${next} wasm SIMD fused kernels`);
  }
  mode = next;
}

/** The module for a wasm backend object under the current mode, with its variant and memory, or null. */
function fusedOf(backend: unknown): { fns: FusedWasm; variant: Variant; memory: WebAssembly.Memory } | null {
  if (mode === 'off') return null;
  const memory = memoryOf(backend as WasmBackend);
  if (!memory) return null;
  const variant = mode === 'auto' ? supportedFusedVariants(isShared(memory))[0] : mode;
  const fns = variant ? fusedWasmOn(memory, variant) : null;
  return fns && variant ? { fns, variant, memory } : null;
}

/** The module for a wasm backend object under the current mode, or null. */
export function fusedModuleOf(backend: unknown): FusedWasm | null {
  return fusedOf(backend)?.fns ?? null;
}

export interface BothModules { fz: FusedWasm; mm: BatchMatMulFn; variant: Variant; pool: ProductPool | null }

/** The fused module and the product module with the same build on a wasm backend's heap, and the pool of threads
 * there, for a kernel that uses both (attention-wasm.ts); null where either does not run (turned off, or the modes
 * chose different builds, which a helper thread, running one build for a part, could not follow). */
export function bothModulesOf(backend: unknown): BothModules | null {
  const found = fusedOf(backend);
  if (!found || activeBatchMatMulVariant() !== found.variant) return null;
  const mm = batchMatMulOn(found.memory, found.variant);
  return mm && { fz: found.fns, mm, variant: found.variant, pool: poolOn(found.memory) };
}

/** A row-wise kernel over fewer elements than this runs on the calling thread alone: waking a helper costs more. */
const SPLIT_MIN_ELEMENTS = 1 << 18;

/**
 * `fns` with its row-wise kernels cut into bands of rows over the pool's threads where tfjs computes on several
 * (src/runtime/batch-matmul/pool.ts); rows are independent in each, so every band gives the bits one call gives.
 * The column sums (bias and γ gradients) stay on the calling thread: their sum runs down the rows.
 */
function onThreads(fns: FusedWasm, variant: Variant, pool: ProductPool): FusedWasm {
  /** `call` on `args` whole, or in bands of rows on the pool: in every row-wise kernel the row count (at `rowsAt`) is
   * followed by the column count, and `rowPointers` are the arguments that address a [rows, cols] float32 tensor. */
  const rowWise = (kernel: KernelId, args: number[], rowsAt: number, rowPointers: number[], call: (a: number[]) => void, rowIndexAt?: number) => {
    const cols = args[rowsAt + 1];
    if (args[rowsAt] * cols < SPLIT_MIN_ELEMENTS) call(args);
    else pool.runRows(kernel, variant, args, { rowsAt, rowPointers, rowBytes: 4 * cols, rowIndexAt }, call);
  };
  return {
    ...fns,
    bias_gelu: (...args) => rowWise(Kernel.BiasGelu, args, 3, [0, 2], (a) => fns.bias_gelu(a[0], a[1], a[2], a[3], a[4])),
    bias_gelu_slope: (...args) => rowWise(Kernel.BiasGeluSlope, args, 4, [0, 2, 3], (a) => fns.bias_gelu_slope(a[0], a[1], a[2], a[3], a[4], a[5])),
    layer_norm: (...args) => rowWise(Kernel.LayerNorm, args, 6, args[2] ? [0, 1, 5] : [0, 5],
      (a) => fns.layer_norm(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8])),
    layer_norm_dx: (...args) => rowWise(Kernel.LayerNormDx, args, 6, args[2] ? [0, 1, 4, 5] : [0, 4, 5],
      (a) => fns.layer_norm_dx(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8])),
    // The mask is read by sequence, not by row: it stays where it is, and the band's first row says which to read.
    masked_softmax: (...args) => rowWise(Kernel.MaskedSoftmax, args, 3, [0, 2],
      (a) => fns.masked_softmax(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]), 7),
    softmax_grad: (...args) => rowWise(Kernel.SoftmaxGrad, args, 3, [0, 1, 2], (a) => fns.softmax_grad(a[0], a[1], a[2], a[3], a[4], a[5])),
  };
}

/** Whether the current backend is tfjs-wasm and the fused module runs on it: wasmBiasGelu and wasmLayerNorm work. */
export function fusedWasmAvailable(): boolean {
  return tf.getBackend() === 'wasm' && fusedModuleOf(tf.backend()) !== null;
}

/** Kernels run, by name: tests check which gradients ran. */
export const fusedWasmStats: Record<string, number> = {};

export interface KernelContext {
  fns: FusedWasm;
  backend: WasmBackend;
  /** The byte address of a tensor on tfjs's heap. */
  at(t: tf.TensorInfo): number;
  /** A new float32 tensor of tfjs's, uninitialised. */
  output(shape: number[]): tf.TensorInfo;
  /** `bytes` of scratch for the duration of f. */
  withScratch<T>(bytes: number, f: (at: number) => T): T;
}

export function context(name: string, backend: unknown): KernelContext {
  const found = fusedOf(backend);
  if (!found) throw new Error(`${name} runs on tfjs's wasm backend with wasm SIMD only (see fusedWasmAvailable()).`);
  fusedWasmStats[name] = (fusedWasmStats[name] ?? 0) + 1;
  const b = backend as WasmBackend;
  const pool = poolOn(found.memory);
  return {
    fns: pool ? onThreads(found.fns, found.variant, pool) : found.fns,
    backend: b,
    at: (t) => b.dataIdMap.get(t.dataId).memoryOffset,
    output: (shape) => {
      const out = b.makeOutput(shape, 'float32');
      made?.push({ backend: b, out });
      return out;
    },
    withScratch(bytes, f) {
      const at = b.wasm._malloc(bytes + 16) >>> 0;
      try {
        return f(at);
      } finally {
        b.wasm._free(at);
      }
    },
  };
}

/** 2 × 4·⌈cols/4⌉ floats: what column_sum and layer_norm_dgamma sum in (fused.wat). */
export const columnScratchBytes = (cols: number) => 2 * 4 * Math.ceil(cols / 4) * 4;

/** The outputs the kernel now running has made (context().output), so that a kernel that throws frees them: tfjs's
 * engine never sees the outputs of a kernel that failed, and nothing else would. */
let made: { backend: WasmBackend; out: tf.TensorInfo }[] | null = null;

/**
 * Registers `kernelFunc` for wasm under `kernelName` unless another copy of this code already did. When it throws
 * (a helper thread that stopped answering: src/runtime/batch-matmul/pool.ts), the outputs it had made are freed.
 */
export function registerWasmKernel(kernelName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, 'wasm')) return;
  tf.registerKernel({
    kernelName, backendName: 'wasm',
    kernelFunc: (args) => {
      const outer = made;
      made = [];
      try {
        return kernelFunc(args);
      } catch (e) {
        for (const { backend, out } of made) backend.disposeData(out.dataId);
        throw e;
      } finally {
        made = outer;
      }
    },
  });
}

export function checkFloat32(name: string, tensors: (tf.Tensor | null)[]): void {
  if (tensors.some((t) => t && t.dtype !== 'float32')) throw new Error(`${name}: float32 tensors only.`);
}

const COLUMN_SUM = 'TabtuneColumnSumWasm';
let columnSumRegistered = false;

/** Σ over the rows of a [rows, cols] tensor, a [cols] tensor: the gradient of a bias. */
export function wasmColumnSum(t: tf.Tensor2D): tf.Tensor1D {
  if (!columnSumRegistered) {
    columnSumRegistered = true;
    registerWasmKernel(COLUMN_SUM, ({ inputs, backend }) => {
      const [src] = inputs as unknown as tf.TensorInfo[];
      const [rows, cols] = src.shape;
      const k = context(COLUMN_SUM, backend);
      const out = k.output([cols]);
      k.withScratch(columnScratchBytes(cols), (scratch) => k.fns.column_sum(k.at(src), k.at(out), scratch, rows, cols));
      return out;
    });
  }
  return tf.engine().runKernel(COLUMN_SUM, [t] as unknown as tf.NamedTensorMap, {}) as tf.Tensor1D;
}
