// tfjs-backend-wasm 4.22 hands a product to XNNPACK only when it is 2-D (batch 1) and untransposed; every batched
// product — the attention's q·kᵀ and probs·v, batch = sequences × heads, and their gradients — runs its scalar loop
// at about 2 GFLOP/s where XNNPACK's 2-D product reaches ~30 (bench/RESULTS.md, "Against PyTorch"). This wraps the
// wasm BatchMatMul kernel so that batched products run the project's own SIMD module instead
// (src/runtime/batch-matmul/batch-matmul.wat), in place on tfjs's heap: it imports tfjs's WebAssembly.Memory, reads
// both operands where they lie, in any orientation, and writes into an output tfjs allocated. Which products it takes
// is takesProduct's rule below; the rest (2-D products on several threads, other dtypes, broadcasts it does not cover,
// engines without wasm SIMD or where tfjs's memory is out of reach) go to the kernel it wraps.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { batchMatMulOn, supportedVariants, type Variant } from './batch-matmul/module';
import { startProductPool, type HelperPort, type ProductPool } from './batch-matmul/pool';
import { B_PACKED, scratchBytes, type ProductArgs } from './batch-matmul/slices';
import { packedWeight } from './batch-matmul/packed-weights';
import { wrapKernel } from './wrap-kernel';
import { productShape } from './product-shape';

type Info = tf.TensorInfo;

/** What tfjs-wasm's backend object offers that this kernel uses (tfjs-backend-wasm dist/backend_wasm.js). */
export interface WasmBackend {
  wasm: {
    _malloc(bytes: number): number;
    _free(offset: number): void;
    /** The non-threaded builds export their memory; the threaded build creates it in JS and keeps it here. */
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
  };
  dataIdMap: { get(id: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): Info;
  disposeData(dataId: object): boolean;
}

/** auto: the best variant this engine runs; off: always the wrapped kernel (for benches and tests). */
export type BatchMatMulMode = 'auto' | 'off' | Variant;
let mode: BatchMatMulMode = 'auto';

/** Forces one variant, or the wrapped kernel ('off'); throws when the engine cannot run the variant asked for. */
export function setBatchMatMulMode(next: BatchMatMulMode): void {
  if ((next === 'relaxed' || next === 'plain') && !supportedVariants().includes(next)) {
    throw new Error(`this engine cannot run the ${next} wasm SIMD batched matmul`);
  }
  mode = next;
}

/** The variant that runs under the current mode, or null where products go to the wrapped kernel. */
export function activeBatchMatMulVariant(): Variant | null {
  if (mode === 'off') return null;
  if (mode !== 'auto') return mode;
  return supportedVariants()[0] ?? null;
}

/** One product in the module's terms: sizes, and byte strides that encode the orientation of each operand. */
export interface Plan {
  batch: number; m: number; n: number; k: number;
  aBatchStride: number; bBatchStride: number; aRowStride: number; aKStride: number; bKStride: number; bNStride: number;
  outShape: number[];
  /** Whether either operand is transposed. */
  transposed: boolean;
}

/** The plan for op(a)·op(b), or null where this kernel does not take the product (the wrapped kernel does). */
export function planProduct(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): Plan | null {
  const p = productShape(aShape, bShape, transposeA, transposeB);
  if (!p) return null;
  const { batch, m, n, k } = p;
  return {
    batch, m, n, k,
    aBatchStride: p.batchA === 1 ? 0 : 4 * m * k,
    bBatchStride: p.batchB === 1 ? 0 : 4 * k * n,
    aRowStride: transposeA ? 4 : 4 * k,
    aKStride: transposeA ? 4 * m : 4,
    bKStride: transposeB ? 4 : 4 * n,
    bNStride: transposeB ? 4 * k : 4,
    outShape: p.outShape,
    transposed: transposeA || transposeB,
  };
}

/**
 * Batched products run here (tfjs's loop is 10–17× slower: scripts/bench-batch-matmul.ts). So does every 2-D product
 * when tfjs computes on one thread: the module multiplies the linear layers' products of MiniLM-L6 (forward, and
 * dx = dy·Wᵀ, dW = xᵀ·dy read in place) and a LoRA adapter's rank-8 products at 1.2–1.5× what XNNPACK gives (after
 * src/runtime/wasm-matmul.ts has materialised a transposed operand), measured side by side by that script. With
 * several threads XNNPACK splits a 2-D product across them; the module does too once its pool of threads runs
 * (`pooled`: ./batch-matmul/pool.ts), and then takes every 2-D product large enough to cut, which made MiniLM-L6's
 * LoRA step 0.73–0.79× and tabtune-mini's 0.77–0.84× of the step with XNNPACK's threads (bench/pool-ab.ts, 2 threads;
 * bench/RESULTS.md). A 2-D product too small to cut runs here on the calling thread (`unsplit` below); a larger one
 * without the pool stays with XNNPACK, which has tfjs's threads.
 */
export function takesProduct(plan: Plan, threads: number, pooled = false): boolean {
  if (plan.batch > 1) return true;
  const mine = untransposed2d || plan.transposed;
  if (threads === 1) return mine;
  if (!splits(plan)) return unsplit === 'all' ? mine : unsplit === 'transposed' && plan.transposed;
  return mine && pooled && pooled2d;
}

/**
 * With several threads, where a 2-D product too small to cut among them runs: 'all' — on the module, on the calling
 * thread; 'transposed' — there only when an operand is transposed (XNNPACK needs it transposed in memory first,
 * src/runtime/wasm-matmul.ts, which for a LoRA adapter's rank-8 gradients costs more than the product), the rest on
 * XNNPACK; 'xnnpack' — all of them on XNNPACK (the rule before). Side by side on 2 threads (bench/pool-ab.ts
 * --rules): MiniLM-L6's LoRA step at seq 32 0.965× with 'transposed' against 'xnnpack', 0.985× with 'all' against
 * 'transposed'; tiny-bert's 0.872×. Larger products keep their rule: shared by the pool, or XNNPACK without one.
 */
export type UnsplitRule = 'xnnpack' | 'transposed' | 'all';
let unsplit: UnsplitRule = 'all';
/** Where 2-D products too small to cut run with several threads (for bench/pool-ab.ts). */
export function setUnsplitProducts(rule: UnsplitRule): void {
  unsplit = rule;
}

/** Whether the pool shares `plan` among its threads: smaller products run on the calling thread alone, where waking
 * a helper would cost more than it saves. */
function splits(plan: Plan): boolean {
  return plan.batch * plan.m * plan.n * plan.k >= SPLIT_MIN_MACS;
}

let untransposed2d = true;
/** false: untransposed 2-D products go to XNNPACK on one thread too, the rule before it was measured slower
 * (for bench/wasm-ab.ts's before/after; true by default). */
export function setOwnUntransposed2d(on: boolean): void {
  untransposed2d = on;
}

let pooled2d = true;
/** false: with several threads, 2-D products stay with XNNPACK even when the module has a pool of threads (for
 * bench/wasm-ab.ts's before/after; true by default). */
export function setPooled2d(on: boolean): void {
  pooled2d = on;
}

/** A product smaller than this many multiply-adds runs on the calling thread alone (a 2-D one with XNNPACK), because
 * waking a helper costs more: from 2²² tiny-bert's step was 1.1× slower on 2 threads (bench/RESULTS.md). MiniLM-L6's
 * and tabtune-mini's layer products are 2²⁵ and more at 32 tokens. */
let SPLIT_MIN_MACS = 1 << 24;
/** The size from which work is split among threads, in multiply-adds (also the wasm attention's rule:
 * src/model/fused/attention-wasm.ts). */
export function splitMinMacs(): number {
  return SPLIT_MIN_MACS;
}

/** The size from which products are split among threads, in multiply-adds (for bench/pool-ab.ts). */
export function setSplitMinMacs(macs: number): void {
  SPLIT_MIN_MACS = macs;
}

let pool: ProductPool | null = null;
let poolMemory: WebAssembly.Memory | null = null;

/**
 * Starts helper threads (each from `spawn`) so that the module's products run on `threads` threads (the caller and
 * threads − 1 helpers), on the wasm backend `backend` (tfjs's threaded build: its memory must be shared). Returns the number of threads
 * products now run on: 1 where helpers cannot start, and then nothing changes.
 */
export async function startProductThreads(backend: unknown, threads: number, spawn: () => HelperPort, opts: { stuckMs?: number } = {}): Promise<number> {
  stopProductThreads();
  const b = backend as WasmBackend;
  const memory = memoryOf(b);
  const variant = activeBatchMatMulVariant();
  if (!memory || !variant || threads < 2) return 1;
  const heap = { malloc: (n: number) => b.wasm._malloc(n), free: (o: number) => b.wasm._free(o) };
  pool = await startProductPool(memory, variant, threads - 1, heap, spawn, undefined, opts.stuckMs);
  poolMemory = pool && memory;
  return pool?.threads ?? 1;
}

/** Stops the helpers; products run on the calling thread again. */
export function stopProductThreads(): void {
  pool?.stop();
  pool = null;
  poolMemory = null;
}

/** The pool of helper threads on `memory`, or null where none runs (one thread, another backend's memory, or a pool
 * that stopped itself: 2-D products then go back to XNNPACK, which has tfjs's threads). */
export function poolOn(memory: WebAssembly.Memory | null): ProductPool | null {
  return pool && pool.threads > 1 && memory && poolMemory === memory ? pool : null;
}

/** How many threads the module's products run on. */
export function productThreads(): number {
  return pool?.threads ?? 1;
}

/** Whether the products went back to one thread because a helper stopped answering (they had started). */
export function productThreadsLost(): boolean {
  return pool?.lost ?? false;
}

export function memoryOf(backend: WasmBackend): WebAssembly.Memory | null {
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/** How many products the module has computed: tests and benches check that it, not the wrapped kernel, ran. */
export const batchMatMulStats = { products: 0, pooled: 0 };

/** Runs `plan` on the module (on `memory`, the backend's heap) with inputs a and b already on it; returns the output
 * tfjs allocated. */
function runPlan(backend: WasmBackend, memory: WebAssembly.Memory, fn: NonNullable<ReturnType<typeof batchMatMulOn>>, variant: Variant, plan: Plan, a: Info, b: Info): Info {
  const out = backend.makeOutput(plan.outShape, 'float32');
  const offsets = [backend.dataIdMap.get(a.dataId).memoryOffset, backend.dataIdMap.get(b.dataId).memoryOffset,
    backend.dataIdMap.get(out.dataId).memoryOffset];
  const pooled = poolOn(memory);
  // A frozen weight's B comes packed already (./batch-matmul/packed-weights.ts), for every part alike.
  const packedB = packedWeight(backend, memory, variant, b, plan);
  const bBatchStride = packedB === null ? plan.bBatchStride : B_PACKED;
  if (pooled && splits(plan)) {
    const args: ProductArgs = [...offsets as [number, number, number], plan.batch, plan.m, plan.n, plan.k,
      plan.aBatchStride, bBatchStride, plan.aRowStride, plan.aKStride, plan.bKStride, plan.bNStride, 4 * plan.n, 4 * plan.m * plan.n, packedB ?? 0, 0];
    try {
      pooled.run(args, variant);
    } catch (e) {
      // A helper went silent (the pool has stopped itself): the output never reaches tfjs's engine, so it is freed here.
      backend.disposeData(out.dataId);
      throw e;
    }
    batchMatMulStats.products++;
    batchMatMulStats.pooled++;
    return out;
  }
  // B's panels need scratch only where B is not packed already; the tile always does.
  const { packed, tile } = scratchBytes(plan.n, plan.k);
  const panels = packedB === null ? packed : 0;
  const scratch = backend.wasm._malloc(panels + tile) >>> 0;
  try {
    fn(
      offsets[0], offsets[1], offsets[2], plan.batch, plan.m, plan.n, plan.k,
      plan.aBatchStride, bBatchStride, plan.aRowStride, plan.aKStride, plan.bKStride, plan.bNStride,
      4 * plan.n, 4 * plan.m * plan.n, packedB ?? scratch, scratch + panels,
    );
  } finally {
    backend.wasm._free(scratch);
  }
  batchMatMulStats.products++;
  return out;
}

/**
 * op(a)·op(b) on the module, whatever takesProduct says (benches compare it with the wrapped kernel on 2-D
 * products too), or null where it cannot run: a product planProduct refuses, tfjs's memory out of reach, or an
 * engine without `variant`. a and b are tensor infos of the wasm backend `backend`; the result is a new one.
 */
export function ownBatchMatMul(backend: unknown, a: Info, b: Info, transposeA: boolean, transposeB: boolean, variant: Variant): Info | null {
  const plan = planProduct(a.shape, b.shape, transposeA, transposeB);
  return plan && runOwn(backend as WasmBackend, plan, a, b, variant);
}

/** `plan` (planProduct's for a and b) on the module, or null where it cannot run it. */
function runOwn(backend: WasmBackend, plan: Plan, a: Info, b: Info, variant: Variant): Info | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const memory = memoryOf(backend);
  const fn = memory && batchMatMulOn(memory, variant);
  return memory && fn ? runPlan(backend, memory, fn, variant, plan, a, b) : null;
}

/** Wraps the registered wasm BatchMatMul kernel (call after src/runtime/wasm-matmul.ts has wrapped it). */
export function useOwnWasmBatchMatMul(): void {
  wrapKernel('BatchMatMul', 'wasm', 'ownBatched', (wrapped) => (args) => {
    const { a, b } = args.inputs as unknown as { a: Info; b: Info };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const variant = activeBatchMatMulVariant();
    const plan = variant && planProduct(a.shape, b.shape, transposeA, transposeB);
    const out = plan && takesProduct(plan, getThreadsCount(), poolOn(memoryOf(args.backend as WasmBackend)) !== null) ? runOwn(args.backend as WasmBackend, plan, a, b, variant) : null;
    return out ?? wrapped(args);
  });
}
