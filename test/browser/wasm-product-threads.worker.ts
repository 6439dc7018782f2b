// Claims 4 logical cores before tfjs loads, so its threaded wasm build runs on 3 threads and the project's kernels
// get a pool of 3 (src/runtime/batch-matmul/pool.ts); computes the products and fused kernels of
// wasm-product-threads.test.ts with the pool, then with it stopped, then with helpers that cannot start, then with a
// helper that stops answering, and sends everything back.
import { productCases, type ProductCase } from '../helpers/product-cases';
import { seeded } from '../helpers/seeded';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';

Object.defineProperty(navigator, 'hardwareConcurrency', { value: 4, configurable: true });

self.onmessage = async () => {
  try {
    const { tf, useBackend, productHelper, wasmThreading } = await import('../../src/runtime/tf-browser');
    const mm = await import('../../src/runtime/wasm-batch-matmul');
    await useBackend('wasm');
    const run = (c: ProductCase) => tf.tidy(() => tf.matMul(tf.tensor(c.a, c.aShape), tf.tensor(c.b, c.bShape), c.transposeA, c.transposeB).dataSync() as Float32Array);
    const each = () => productCases().map((c) => {
      const before = mm.batchMatMulStats.pooled;
      const out = run(c);
      return { out, pooled: mm.batchMatMulStats.pooled - before };
    });
    const { wasmBiasGelu } = await import('../../src/model/fused/gelu-wasm');
    const { wasmLayerNorm } = await import('../../src/model/fused/layer-norm-wasm');
    const { fusedWasmStats } = await import('../../src/model/fused/wasm-common');
    const { wasmMaskedSoftmax } = await import('../../src/model/fused/softmax-wasm');
    const { wasmAttention } = await import('../../src/model/fused/attention-wasm');
    // The attention's softmax over [4, 4, 128, 128]: 2^18 elements, cut into bands of 683 rows, which do not start
    // on a sequence's first row (512 rows each); sequences padded after 128, 100, 37 and 1 keys.
    const [sb, sh, sl] = [4, 4, 128];
    // 520 rows × 512: over the 2^18 elements from which a row-wise kernel is cut (174, 174, 172 rows on 3 threads).
    const [rows, cols] = [520, 512];
    const fused = () => {
      const h = tf.tensor2d(seeded(rows * cols, 21), [rows, cols]);
      const r = tf.tensor2d(seeded(rows * cols, 22), [rows, cols]);
      const b = tf.tensor1d(seeded(cols, 23));
      const g = tf.tensor1d(seeded(cols, 24));
      const dy = tf.tensor2d(seeded(rows * cols, 25), [rows, cols]);
      const gelu = tf.grad((x) => wasmBiasGelu(x as typeof h, b).mul(dy).sum());
      const norm = (withResidual: boolean) => tf.grad((x) => wasmLayerNorm(x as typeof h, withResidual ? r : null, g, b, 1e-12).mul(dy).sum());
      const scores = tf.tensor4d(seeded(sb * sh * sl * sl, 26, 20), [sb, sh, sl, sl]);
      const real = [128, 100, 37, 1];
      const mask = tf.tensor2d(Float32Array.from({ length: sb * sl }, (_, i) => (i % sl < real[Math.floor(i / sl)] ? 0 : -1e9)), [sb, sl]);
      const sdy = tf.tensor4d(seeded(sb * sh * sl * sl, 27), [sb, sh, sl, sl]);
      const softmaxGrad = tf.grad((x) => wasmMaskedSoftmax(x as typeof scores, mask, Math.sqrt(32)).mul(sdy).sum());
      // The attention of the same 4 sequences (4 heads of 32): 2^26 multiply-adds, cut into runs of 2, 1 and 1
      // sequences on 3 threads, forward and backward.
      const [aq, ak, av, ady] = [28, 29, 30, 31].map((seed) => tf.tensor2d(seeded(sb * sl * sh * 32, seed, 2), [sb * sl, sh * 32]));
      const attention = (x: Tensor, y: Tensor, z: Tensor) => wasmAttention(x as Tensor2D, y as Tensor2D, z as Tensor2D, mask, sb, sl, sh);
      const out = tf.tidy(() => [wasmBiasGelu(h, b), gelu(h), wasmLayerNorm(h, r, g, b, 1e-12), norm(true)(h), wasmLayerNorm(h, null, g, b, 1e-12), norm(false)(h),
        wasmMaskedSoftmax(scores, mask, Math.sqrt(32)), softmaxGrad(scores), attention(aq, ak, av), ...tf.grads(attention)([aq, ak, av], ady)]
        .map((t) => t.dataSync() as Float32Array));
      tf.dispose([h, r, b, g, dy, scores, mask, sdy, aq, ak, av, ady]);
      return out;
    };
    const threads = mm.productThreads();
    const notes = [wasmThreading().note];
    const pooled = each();
    const { poolStats } = await import('../../src/runtime/batch-matmul/pool');
    const partsBefore = [...poolStats.parts];
    const pooledFused = fused();
    const fusedParts = poolStats.parts.map((n, i) => n - partsBefore[i]);
    // A frozen weight's products, x·W and dy·Wᵀ (2^26 multiply-adds each, cut into bands): every band reads the one
    // packed copy (src/runtime/batch-matmul/packed-weights.ts) instead of packing W for itself.
    const pw = await import('../../src/runtime/batch-matmul/packed-weights');
    const frozenW = tf.tidy(() => tf.variable(tf.tensor2d(seeded(384 * 300, 41), [384, 300]), false));
    const fx = tf.tensor2d(seeded(520 * 384, 42), [520, 384]);
    const fdy = tf.tensor2d(seeded(520 * 300, 43), [520, 300]);
    const frozen = () => tf.tidy(() => [tf.matMul(fx, frozenW), tf.matMul(fdy, frozenW, false, true)].map((t) => t.dataSync() as Float32Array));
    const frozenBefore = { ...pw.packedWeightStats, pooled: mm.batchMatMulStats.pooled };
    const frozenPooled = [frozen(), frozen()];
    const frozenRuns = { packs: pw.packedWeightStats.packs - frozenBefore.packs, hits: pw.packedWeightStats.hits - frozenBefore.hits, pooled: mm.batchMatMulStats.pooled - frozenBefore.pooled };
    // The same products on the pool with every band packing W for itself, as before the copies were kept. (Without
    // the pool these 2-D products would go to XNNPACK, whose bits differ.)
    pw.setPackedWeightsLimit(0);
    const frozenUnpacked = frozen();
    pw.setPackedWeightsLimit(pw.PACKED_WEIGHTS_LIMIT);
    tf.dispose([frozenW, fx, fdy]);
    mm.stopProductThreads();
    const stoppedThreads = mm.productThreads();
    notes.push(wasmThreading().note);
    const alone = each();
    const aloneFused = fused();
    const refused = await mm.startProductThreads(tf.backend(), 3, () => {
      const port = { onmessage: null as ((e: MessageEvent) => void) | null, onerror: null, terminated: false,
        postMessage() { queueMicrotask(() => port.onmessage?.({ data: { ok: false, error: 'refused' } } as MessageEvent)); },
        terminate() { port.terminated = true; } };
      return port;
    });
    const restarted = await mm.startProductThreads(tf.backend(), 3, productHelper);
    const again = each();
    // The plain build on the same pool: helpers take the build each part names, not the one they started with.
    mm.setBatchMatMulMode('plain');
    const plainPooled = each();
    mm.stopProductThreads();
    const plainAlone = each();
    mm.setBatchMatMulMode('auto');
    // A helper that starts and then never answers (a crashed worker): after stuckMs the product fails with a message,
    // the pool stops, and later products run on this thread alone.
    const startSilent = () => mm.startProductThreads(tf.backend(), 2, () => {
      const port = { onmessage: null as ((e: MessageEvent) => void) | null, onerror: null,
        postMessage() { queueMicrotask(() => port.onmessage?.({ data: { ok: true } } as MessageEvent)); }, terminate() {} };
      return port;
    }, { stuckMs: 200 });
    const silent = await startSilent();
    const split = productCases().find((_, i) => pooled[i].pooled > 0)!;
    let stuckError = '';
    const dataIds = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    const idsBefore = dataIds();
    try {
      run(split);
    } catch (e) {
      stuckError = e instanceof Error ? e.message : String(e);
    }
    const idsLeft = dataIds() - idsBefore;
    const lostThreads = mm.productThreads();
    // The same for a fused kernel cut into bands of rows: it fails, and its output goes with it.
    await startSilent();
    const h = tf.tensor2d(seeded(rows * cols, 21), [rows, cols]);
    const bias = tf.tensor1d(seeded(cols, 23));
    const fusedIdsBefore = dataIds();
    let fusedStuckError = '';
    try {
      wasmBiasGelu(h, bias).dispose();
    } catch (e) {
      fusedStuckError = e instanceof Error ? e.message : String(e);
    }
    const fusedIdsLeft = dataIds() - fusedIdsBefore;
    tf.dispose([h, bias]);
    notes.push(wasmThreading().note);
    const afterLost = each();
    mm.stopProductThreads();
    notes.push(wasmThreading().note);
    self.postMessage({ isolated: globalThis.crossOriginIsolated, threads, stoppedThreads, refused, restarted, pooled, alone, again, plainPooled, plainAlone, pooledFused, aloneFused, fusedRuns: { ...fusedWasmStats }, fusedParts, frozenPooled, frozenUnpacked, frozenRuns, notes, silent, stuckError, idsLeft, fusedStuckError, fusedIdsLeft, lostThreads, afterLost });
  } catch (e) {
    self.postMessage({ error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
};
