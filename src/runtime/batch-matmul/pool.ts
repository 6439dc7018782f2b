// The project's wasm kernels on several threads. tfjs's threaded wasm build splits XNNPACK's 2-D products across its
// pthreads, but the project's modules (batch-matmul.wat, fused.wat) ran on the calling thread alone, so with several
// threads the attention's batched products and the fused kernels left every other core idle, and 2-D products had to
// stay with XNNPACK (the module is faster per thread but had only one). Here helper workers instantiate the same
// modules on tfjs's shared memory; a product is cut into parts (./slices.ts), a row-wise fused kernel into bands of
// rows, the helpers take one part each through a control block on that memory (./pool-layout.ts) and the calling
// thread computes the first part itself. Tensors are read and written in place, as on one thread.
import { batchMatMulOn, type Variant } from './module';
import { ARITY, Kernel, SLOT_BYTES, VARIANTS, Word, type KernelId } from './pool-layout';
import { scratchBytes, sliceProduct, type ProductArgs } from './slices';

export interface Heap {
  malloc(bytes: number): number;
  free(offset: number): void;
}

export interface ProductPool {
  /** Threads that share a product: the caller and its helpers, or 1 once the pool is stopped. */
  readonly threads: number;
  /** Whether the pool stopped itself because a helper stopped answering (not because stop() was called). */
  readonly lost: boolean;
  /** Computes the product `args` describes (its scratch arguments are ignored) with the `variant` build, split over
   * the threads (on the calling thread alone once the pool is stopped). */
  run(args: ProductArgs, variant: Variant): void;
  /**
   * Runs a row-wise fused kernel (fused.wat) in bands of rows: `args` are its arguments for all `rows`, `rowPointers`
   * the indices of the arguments that address a tensor of `rowBytes` bytes per row (they advance with the band),
   * `rowsAt` the index of the row count, `rowIndexAt` that of an argument counting rows (it advances by the band's
   * first row). `own` runs the calling thread's band with the same build as `variant`.
   */
  runRows(kernel: KernelId, variant: Variant, args: number[], rows: { rowsAt: number; rowPointers: number[]; rowBytes: number; rowIndexAt?: number }, own: (args: number[]) => void): void;
  /** Runs parts the caller cut itself (at most `threads`): parts[0] with `own` on the calling thread, the others on
   * the helpers, each with kernel's arguments. */
  runParts(kernel: KernelId, variant: Variant, parts: number[][], own: (args: number[]) => void): void;
  /** Stops the helpers; later products run on the calling thread. */
  stop(): void;
}

/** What the pool needs from a helper: a Worker running ./product-helper.ts (src/runtime/tf-browser.ts starts it, inlined
 * into whatever bundle uses it), or, in tests, something else that speaks the same messages. */
export interface HelperPort {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((e: MessageEvent) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

/** Parts handed to helpers, by kernel (pool-layout.ts's Kernel): tests check that the pool, not one thread, ran them. */
export const poolStats = { parts: [0, 0, 0, 0, 0, 0, 0, 0, 0] };

/** A helper stuck this long on one part has died (a crashed worker never answers): the product fails loudly. */
const STUCK_MS = 60_000;

/** Whether this thread may block in Atomics.wait (workers may; a page's main thread may not, and spins instead). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `helpers` helper threads on `memory` (tfjs's shared WebAssembly.Memory) running `variant`; resolves to the
 * pool once every helper has its module, or to null where they cannot start (no shared memory, no Worker, a helper
 * that fails or does not answer within `timeoutMs`), in which case nothing is left running.
 */
export async function startProductPool(
  memory: WebAssembly.Memory, variant: Variant, helpers: number, heap: Heap,
  spawn: () => HelperPort, timeoutMs = 15_000, stuckMs = STUCK_MS,
): Promise<ProductPool | null> {
  if (!batchMatMulOn(memory, variant) || helpers < 1 || !(memory.buffer instanceof SharedArrayBuffer) || typeof Atomics === 'undefined') return null;
  const block = heap.malloc(helpers * SLOT_BYTES + SLOT_BYTES) >>> 0;
  const base = Math.ceil(block / SLOT_BYTES) * SLOT_BYTES;
  new Int32Array(memory.buffer, base, (helpers * SLOT_BYTES) / 4).fill(0);
  const ports: HelperPort[] = [];
  const ready = (port: HelperPort, slot: number) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('a product helper did not start in time')), timeoutMs);
    port.onmessage = (e) => {
      clearTimeout(timer);
      port.onmessage = null;
      if (e.data?.ok) resolve();
      else reject(new Error(String(e.data?.error ?? 'a product helper could not start')));
    };
    port.onerror = (e) => {
      clearTimeout(timer);
      reject(new Error(e.message || 'a product helper failed to load'));
    };
    port.postMessage({ memory, variant, slot });
  });
  try {
    for (let i = 0; i < helpers; i++) ports.push(spawn());
    await Promise.all(ports.map((p, i) => ready(p, base + i * SLOT_BYTES)));
  } catch {
    ports.forEach((p) => p.terminate());
    heap.free(block);
    return null;
  }
  return makePool(memory, ports, base, block, heap, stuckMs);
}

function makePool(memory: WebAssembly.Memory, ports: HelperPort[], base: number, block: number, heap: Heap, stuckMs: number): ProductPool {
  const blocking = canBlock();
  let seq = 0;
  let stopped = false;
  let lost = false;
  const slot = (i: number) => (base + i * SLOT_BYTES) >> 2;
  const waitDone = (words: Int32Array, i: number, target: number) => {
    const at = slot(i) + Word.Done;
    const since = performance.now();
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(words, at);
      if (done === target) return;
      if (blocking) Atomics.wait(words, at, done, 1000);
      if ((blocking || (spins & 0xffff) === 0) && performance.now() - since > stuckMs) {
        lost = true;
        pool.stop();
        throw new Error('a product helper stopped answering; products run on one thread from now on');
      }
    }
  };
  /** parts[1…] to the helpers, parts[0] on this thread, back when all are done. */
  const dispatch = (kernel: KernelId, variant: Variant, parts: number[][], own: (args: number[]) => void) => {
    const words = new Int32Array(memory.buffer);
    const floats = new Float32Array(memory.buffer);
    const { float } = ARITY[kernel];
    seq = (seq + 1) & 0x3fffffff;
    for (let i = 1; i < parts.length; i++) {
      const at = slot(i - 1);
      words[at + Word.Kernel] = kernel;
      words[at + Word.Variant] = VARIANTS.indexOf(variant);
      words.set(parts[i], at + Word.Args);
      if (float >= 0) floats[at + Word.Args + float] = parts[i][float];
      Atomics.store(words, at + Word.Seq, seq);
      Atomics.notify(words, at + Word.Seq);
      poolStats.parts[kernel]++;
    }
    own(parts[0]);
    for (let i = 1; i < parts.length; i++) waitDone(words, i - 1, seq);
  };
  const pool: ProductPool = {
    get threads() {
      return stopped ? 1 : ports.length + 1;
    },
    get lost() {
      return lost;
    },
    run(args, variant) {
      const own = batchMatMulOn(memory, variant)!;
      const [, , , , , n, k] = args;
      const { packed, tile } = scratchBytes(n, k);
      const partBytes = packed + tile;
      const scratch = heap.malloc(pool.threads * partBytes + 32) >>> 0;
      try {
        const first = Math.ceil(scratch / 32) * 32;
        const parts = sliceProduct(args, pool.threads, (p) => ({ packed: first + p * partBytes, tile: first + p * partBytes + packed }));
        // Dispatched after malloc: malloc may have grown the memory, and a grown shared memory has a new buffer.
        dispatch(Kernel.Product, variant, parts, (a) => own(...(a as ProductArgs)));
      } finally {
        heap.free(scratch);
      }
    },
    runRows(kernel, variant, args, { rowsAt, rowPointers, rowBytes, rowIndexAt }, own) {
      const rows = args[rowsAt];
      const band = Math.ceil(rows / pool.threads);
      const parts: number[][] = [];
      for (let row = 0; row < rows; row += band) {
        const part = [...args];
        part[rowsAt] = Math.min(band, rows - row);
        for (const i of rowPointers) part[i] += row * rowBytes;
        if (rowIndexAt !== undefined) part[rowIndexAt] += row;
        parts.push(part);
      }
      dispatch(kernel, variant, parts, own);
    },
    runParts(kernel, variant, parts, own) {
      if (parts.length > pool.threads) throw new Error(`${parts.length} parts for ${pool.threads} threads`);
      dispatch(kernel, variant, parts, own);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      const words = new Int32Array(memory.buffer);
      ports.forEach((_, i) => {
        Atomics.store(words, slot(i) + Word.Seq, -1);
        Atomics.notify(words, slot(i) + Word.Seq);
      });
      // The block goes back to tfjs's heap only once every helper has acknowledged: a helper that read it after tfjs
      // had reused it would take a tensor's bytes for a product to compute. One that does not answer keeps it.
      const since = performance.now();
      let acknowledged = false;
      while (!acknowledged && performance.now() - since < 1000) {
        acknowledged = ports.every((_, i) => Atomics.load(words, slot(i) + Word.Done) === -1);
      }
      ports.forEach((p) => p.terminate());
      if (acknowledged) heap.free(block);
    },
  };
  return pool;
}
