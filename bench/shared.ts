// What the Node bench (scripts/cli/bench.ts) and the browser bench page (bench/browser/bench-page.ts) share: the model
// shapes, the random-weight models, the analytic FLOP count, the 1024×1024 matmul probe and one row's measurement
// (the real trainStep of src/train/loop.ts, timed, with kernels, dispatches, readbacks and uploads counted by
// instrumenting tfjs). Environment-free: it imports '@tensorflow/tfjs' only, and whoever calls it has already
// chosen and initialised the backend (src/runtime/tf-node.ts in Node, src/runtime/tf-browser.ts in the page).
import * as tf from '@tensorflow/tfjs';
import { createClassifier } from '../src/model/classifier';
import { disposeEncoder, type EncoderWeights } from '../src/model/encoder';
import type { LoadedModel } from '../src/model/load';
import type { EncoderConfig, HostBatch, Method } from '../src/model/types';
import { AdamW } from '../src/train/optimizer';
import { trainStep } from '../src/train/loop';
import { createRng } from '../src/util/rng';
import { fusedKernelsEnabled, setFusedKernels } from '../src/runtime/fused-switch';
import type { RecomputeSetting } from '../src/model/recompute';
import { bufferCopyStats } from '../src/runtime/webgpu-kernel';
import { wasmAttention, wasmAttentionAvailable } from '../src/model/fused/attention-wasm';

export interface Shape { name: string; layers: number; hidden: number; heads: number; ffn: number; vocab: number }

/** tiny-bert is the shape of the project's generated test model (public/models/tiny-bert); the others are real models' shapes. */
export const SHAPES: Shape[] = [
  { name: 'tiny-bert', layers: 2, hidden: 64, heads: 2, ffn: 256, vocab: 4096 },
  { name: 'minilm-l6', layers: 6, hidden: 384, heads: 12, ffn: 1536, vocab: 30522 },
  { name: 'distilbert', layers: 6, hidden: 768, heads: 12, ffn: 3072, vocab: 30522 },
];
/** Shapes a targeted bench may name that the full run leaves out: tabtune-mini is the app's bundled default model
 * (public/models/tabtune-mini/config.json). */
export const EXTRA_SHAPES: Shape[] = [
  { name: 'tabtune-mini', layers: 4, hidden: 256, heads: 4, ffn: 1024, vocab: 12288 },
];
export const METHODS: Method[] = ['head', 'lora', 'full'];
export const SEQS = [32, 64, 128];
export const BATCH = 16;
// Dropout 0, where the app's default is 0.1 (src/config.ts): on wasm and cpu tfjs draws dropout masks on the host
// and uploads them, which a LoRA row would then count and time (on WebGPU they are drawn on the device,
// src/model/fused/dropout-webgpu.ts); what that costs is measured apart (bench/RESULTS.md, "Reading";
// bench/dropout-ab.ts).
export const LORA = { r: 8, alpha: 16, dropout: 0, targetModules: ['query', 'value'] };

export function shapeByName(name: string): Shape {
  const known = [...SHAPES, ...EXTRA_SHAPES];
  const s = known.find((x) => x.name === name);
  if (!s) throw new Error(`unknown model shape ${name} (known: ${known.map((x) => x.name).join(', ')})`);
  return s;
}

/** A LoadedModel with random weights of a real shape, built in memory (no files, no tokenizer needed). */
export function randomModel(s: Shape): LoadedModel {
  const config: EncoderConfig = { modelType: 'bert', vocabSize: s.vocab, hiddenSize: s.hidden, numLayers: s.layers, numHeads: s.heads, intermediateSize: s.ffn, maxPositions: 512, typeVocabSize: 2, layerNormEps: 1e-12, padTokenId: 0 };
  const rng = createRng(1);
  const t = (shape: number[], fill?: number) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (fill !== undefined) data.fill(fill);
    else for (let i = 0; i < data.length; i++) data[i] = (rng.next() - 0.5) * 0.04;
    return { dtype: 'F32', shape, data };
  };
  const w: LoadedModel['weights'] = {
    'embeddings.word_embeddings.weight': t([s.vocab, s.hidden]),
    'embeddings.position_embeddings.weight': t([512, s.hidden]),
    'embeddings.token_type_embeddings.weight': t([2, s.hidden]),
    'embeddings.LayerNorm.weight': t([s.hidden], 1),
    'embeddings.LayerNorm.bias': t([s.hidden], 0),
  };
  for (let i = 0; i < s.layers; i++) {
    const p = `encoder.layer.${i}.`;
    for (const m of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) Object.assign(w, { [`${p}${m}.weight`]: t([s.hidden, s.hidden]), [`${p}${m}.bias`]: t([s.hidden], 0) });
    Object.assign(w, { [`${p}intermediate.dense.weight`]: t([s.ffn, s.hidden]), [`${p}intermediate.dense.bias`]: t([s.ffn], 0), [`${p}output.dense.weight`]: t([s.hidden, s.ffn]), [`${p}output.dense.bias`]: t([s.hidden], 0) });
    for (const n of ['attention.output.LayerNorm', 'output.LayerNorm']) Object.assign(w, { [`${p}${n}.weight`]: t([s.hidden], 1), [`${p}${n}.bias`]: t([s.hidden], 0) });
  }
  return { id: s.name, revision: 'random', config, weights: w, tokenizer: null as never, pooling: 'cls', rawConfig: {}, rawTokenizer: { json: null, config: {} } };
}

/**
 * Analytic FLOPs of one training step (multiply-add = 2 FLOPs), batch BATCH:
 * forward = layers · (2·tokens·(4·H² + 2·H·FFN) [the six linear layers] + 4·B·L²·H [QKᵀ and attention·V]);
 * the step is forward × 3 for `full` (activation and weight gradients), × 2 for `lora` (activation gradients
 * through the frozen layers; the r-8 adapters are < 1 %), × 1 for `head` (no encoder backward). Embeddings,
 * LayerNorm, softmax, GELU and the optimizer are left out (memory-bound, a few % of the total).
 */
export function flops(s: Shape, method: Method, seq: number, batch = BATCH): number {
  const tokens = batch * seq;
  const fwd = s.layers * (2 * tokens * (4 * s.hidden * s.hidden + 2 * s.hidden * s.ffn) + 4 * batch * seq * seq * s.hidden);
  return fwd * (method === 'full' ? 3 : method === 'lora' ? 2 : 1);
}

/**
 * The rate of `once` (which must finish, read-back included, before it resolves) at `flop` per call, GFLOP/s, from
 * the median of single timed calls after one untimed one. At least `reps` calls, and more until `minMs` have passed
 * (at most 30): a kernel's rate is the denominator of every row's efficiency, and three products of 30 ms on a shared
 * machine moved it by 10 % between runs (72 and 81 GFLOP/s, the same module on 2 threads). Fewer than `reps` once the
 * calls took `budgetMs` (SwiftShader WebGPU needs seconds for one).
 */
async function rateOf(once: () => Promise<void>, flop: number, reps: number, budgetMs: number, minMs: number): Promise<number> {
  await once();
  const times: number[] = [];
  const t0 = performance.now();
  for (;;) {
    const elapsed = performance.now() - t0;
    const enough = times.length >= reps && elapsed >= minMs;
    if (times.length && (enough || elapsed >= budgetMs || times.length >= 30)) break;
    const s = performance.now();
    await once();
    times.push(performance.now() - s);
  }
  return flop / (median([...times].sort((a, b) => a - b)) / 1000) / 1e9;
}

/** The current backend's 1024×1024 float32 matmul rate, GFLOP/s (rateOf: each product read back). */
export async function matmulGflops(reps = 3, budgetMs = 3000, size = 1024, minMs = 1000): Promise<number> {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  try {
    return await rateOf(async () => {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    }, 2 * size ** 3, reps, budgetMs, minMs);
  } finally {
    tf.dispose([a, b]);
  }
}

/** The current backend's rate on the attention's batched products, GFLOP/s: MiniLM-L6's q·kᵀ and probs·v at seq 128,
 * batch BATCH (16 sequences × 12 heads, head size 32), run the way src/model/encoder.ts's attention runs them on this
 * backend (rateOf: each result read back). Where the wasm attention is on (src/model/fused/attention-wasm.ts), that is
 * its forward and backward kernels, as a training step runs them: per sequence, the forward's two products with the
 * scaled, masked softmax between them, and the backward's four with the softmax's gradient; only the six products'
 * FLOPs are counted, so the softmax's time lowers the figure. Elsewhere, the unfused path's two forward products on
 * the heads' transposed layout. */
export async function attentionGflops(reps = 3, budgetMs = 3000, minMs = 1000): Promise<number> {
  const [b, h, l, d] = [BATCH, 12, 128, 32];
  const product = 2 * b * h * l * l * d;
  if (wasmAttentionAvailable()) {
    const [q, k, v, dy] = [0, 1, 2, 3].map(() => tf.randomNormal([b * l, h * d])) as tf.Tensor2D[];
    const mask = tf.zeros([b, l]) as tf.Tensor2D;
    const grads = tf.grads((qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) => wasmAttention(qq as tf.Tensor2D, kk as tf.Tensor2D, vv as tf.Tensor2D, mask, b, l, h));
    try {
      return await rateOf(async () => {
        const out = grads([q, k, v], dy);
        await Promise.all(out.map((t) => t.data()));
        tf.dispose(out);
      }, 6 * product, reps, budgetMs, minMs);
    } finally {
      tf.dispose([q, k, v, dy, mask]);
    }
  }
  const q = tf.randomNormal([b, h, l, d]);
  const k = tf.randomNormal([b, h, l, d]);
  const v = tf.randomNormal([b, h, l, d]);
  const probs = tf.randomUniform([b, h, l, l]);
  const pair = () => tf.tidy(() => tf.add(tf.sum(tf.matMul(q, k, false, true)), tf.sum(tf.matMul(probs, v))));
  try {
    return await rateOf(async () => {
      const out = pair();
      await out.data();
      out.dispose();
    }, 2 * product, reps, budgetMs, minMs);
  } finally {
    tf.dispose([q, k, v, probs]);
  }
}

export interface RowPlan {
  model: string;
  method: Method;
  seq: number;
  /** BATCH when absent. */
  batch?: number;
  /** false: AdamW and the clip factor as tfjs ops even on WebGPU, for before/after comparisons (default true). */
  fusedOptimizer?: boolean;
  /** false: the encoder's tfjs ops even on WebGPU instead of its fused kernels (src/runtime/fused-switch.ts; default true). */
  fusedKernels?: boolean;
  /** Layer recompute (src/model/recompute.ts); the classifier's default, 'auto', when absent. */
  recompute?: RecomputeSetting;
  /** LoRA dropout; LORA's 0 when absent (bench/dropout-ab.ts measures the app's 0.1). */
  loraDropout?: number;
}
export interface MeasureOptions {
  /** At most this many timed steps after the warm-up step… */
  steps: number;
  /** …and no more once the timed steps together took this long (at least one timed step is always made). */
  budgetMs: number;
  /** After the timed steps, one more step under tf.time: each dispatch's device time (timestamp queries, where the
   * backend has them), summed per program name into `kernel_profile`. */
  profile?: boolean;
  /** After the timed steps, one more step under tf.profile: each kernel's wall time, summed per kernel name into
   * `wall_profile` (for wasm and cpu, whose kernels run synchronously, so a kernel's wall time is its own);
   * 'shapes': products (BatchMatMul) apart by their operands' and output's shapes. */
  wallProfile?: boolean | 'shapes';
}
/** One program's share of a profiled step: its dispatches and their summed device time. */
export interface KernelShare {
  name: string;
  dispatches: number;
  ms: number;
}
export interface Measured {
  ms_per_step: number;
  spread_ms: number;
  steps_timed: number;
  warmup_ms: number;
  times_ms: number[];
  /** The median time spent inside the synchronous trainStep call: recording and submitting kernels, on the CPU.
   * On a GPU backend the rest of the step is waiting for the device; on wasm and cpu the step computes in it. */
  encode_ms: number;
  peak_bytes: number;
  /** Tensor bytes alive before the timed steps (weights, optimizer state): peak_bytes − this is the step's own. */
  start_bytes: number;
  leaked_tensors: number;
  kernels_per_step: number;
  dispatches_per_step: number;
  /** Buffer-to-buffer copy commands per step (WebGPU: the fused AdamW's, src/runtime/webgpu-kernel.ts). */
  copies_per_step: number;
  /** What `dispatches_per_step` counts on this backend. */
  dispatch_unit: string;
  readbacks_per_step: number;
  uploads_per_step: number;
  upload_bytes_per_step: number;
  /** Where the counted readbacks of the last timed step came from: kernel name → reads. */
  readback_sites: Record<string, number>;
  /** The largest single host→device upload of the last timed step. */
  largest_upload: { bytes: number; shape: number[]; during: string } | null;
  trainable_params: number;
  flops_per_step: number;
  /** With `profile`: per program, most device time first, and the step's total device time. */
  kernel_profile?: KernelShare[];
  /** With `wallProfile`: per kernel name, most wall time first. */
  wall_profile?: KernelShare[];
  kernel_ms_total?: number;
}

type Fn = (...a: unknown[]) => unknown;
/** Wraps obj[name] (when it is a function) to count calls; returns the undo. */
function countCalls(obj: Record<string, unknown> | undefined, name: string, onCall: (args: unknown[]) => void, after?: () => void): () => void {
  const orig = obj?.[name];
  if (!obj || typeof orig !== 'function') return () => {};
  obj[name] = function (this: unknown, ...a: unknown[]) {
    onCall(a);
    const out = (orig as Fn).apply(this, a);
    after?.();
    return out;
  };
  return () => void (obj[name] = orig);
}

/**
 * Counts, while `f` runs synchronously: kernels (every engine.runKernelFunc call — what tf.profile lists), device
 * dispatches (WebGPU: compute dispatches recorded, i.e. recordAndSubmit calls; WebGL: shader programs run; wasm and
 * cpu: kernels, each a call into wasm/JS), readbacks (the backend's read/readSync) and uploads (backend.write, i.e.
 * tensors made from host data, with their bytes).
 */
interface Counts { peakBytes: number; kernels: number; dispatches: number; copies: number; reads: number; uploads: number; uploadBytes: number; readSites: Record<string, number>; largestUpload: { bytes: number; shape: number[]; during: string } | null }
function instrumented<T>(f: () => T): Counts & { out: T; dispatchUnit: string } {
  const engine = tf.engine() as unknown as Record<string, unknown>;
  const backend = tf.backend() as unknown as Record<string, unknown>;
  const state = (engine as { state?: { numBytes?: number } }).state;
  const copies0 = bufferCopyStats.copies;
  const c: Counts = { peakBytes: state?.numBytes ?? 0, kernels: 0, dispatches: 0, copies: 0, reads: 0, uploads: 0, uploadBytes: 0, readSites: {}, largestUpload: null };
  let kernel = '(outside a kernel)'; // the kernel most recently started: where a read or an upload comes from
  const name = tf.getBackend();
  const dispatchFn = name === 'webgpu' ? 'recordAndSubmit' : name === 'webgl' ? 'runWebGLProgram' : null;
  const read = () => {
    c.reads++;
    c.readSites[kernel] = (c.readSites[kernel] ?? 0) + 1;
  };
  const undo = [
    countCalls(engine, 'runKernelFunc', (a) => {
      c.kernels++;
      kernel = (a[0] as { kernelName?: string } | undefined)?.kernelName ?? kernel;
    }, () => {
      // Tensor bytes alive after each kernel (forward activations are kept for the backward pass): the step's peak.
      c.peakBytes = Math.max(c.peakBytes, state?.numBytes ?? 0);
    }),
    countCalls(backend, 'read', read),
    countCalls(backend, 'readSync', read),
    countCalls(backend, 'write', (a) => {
      // tfjs-wasm's makeOutput allocates every kernel output through write(null, …): an allocation, not an upload.
      if (a[0] == null) return;
      const bytes = (a[0] as ArrayBufferView).byteLength ?? 0;
      c.uploads++;
      c.uploadBytes += bytes;
      if (bytes > (c.largestUpload?.bytes ?? 0)) c.largestUpload = { bytes, shape: [...((a[1] as number[]) ?? [])], during: kernel };
    }),
    dispatchFn ? countCalls(backend, dispatchFn, () => c.dispatches++) : () => {},
  ];
  try {
    const out = f();
    return { out, ...c, copies: bufferCopyStats.copies - copies0, dispatches: dispatchFn ? c.dispatches : c.kernels, dispatchUnit: dispatchFn ? `${dispatchFn} calls` : 'kernels' };
  } finally {
    for (const u of undo.reverse()) u();
  }
}

/**
 * One bench row: builds the classifier and AdamW on `model` with the current backend, makes one warm-up step
 * (shader compilation, optimizer state), then timed steps. Each timed step is trainStep (counted, see
 * `instrumented`) followed by reading its loss back — the bench must wait for the step to finish to time it; the
 * app reads the loss once per 10 steps, so that read is not counted in `readbacks_per_step`.
 */
export async function measureRow(model: LoadedModel, shape: Shape, plan: RowPlan, opts: MeasureOptions): Promise<Measured> {
  const fusedBefore = fusedKernelsEnabled();
  setFusedKernels(plan.fusedKernels ?? true);
  const clf = createClassifier(model, { method: plan.method, numLabels: 2, seed: 0, lora: { ...LORA, dropout: plan.loraDropout ?? LORA.dropout }, recompute: plan.recompute });
  const opt = new AdamW(clf.trainable, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, fused: plan.fusedOptimizer ?? true });
  const rng = createRng(2);
  const B = plan.batch ?? BATCH;
  const n = B * plan.seq;
  const batch: HostBatch = {
    batchSize: B,
    seqLen: plan.seq,
    inputIds: Int32Array.from({ length: n }, () => 5 + rng.int(shape.vocab - 5)),
    attentionMask: new Int32Array(n).fill(1),
    labels: Int32Array.from({ length: B }, () => rng.int(2)),
  };
  try {
    const w0 = performance.now();
    const warm = trainStep(clf, opt, batch, 1e-4, 1.0);
    await warm.data();
    warm.dispose();
    const warmupMs = performance.now() - w0;

    const startTensors = tf.memory().numTensors;
    const startBytes = tf.memory().numBytes;
    let peak = startBytes;
    const times: number[] = [];
    const encodes: number[] = [];
    const totals = { kernels: 0, dispatches: 0, copies: 0, reads: 0, uploads: 0, uploadBytes: 0 };
    let dispatchUnit = 'kernels';
    let last: Counts | null = null;
    let spent = 0;
    while (times.length < opts.steps && (times.length === 0 || spent < opts.budgetMs)) {
      const t0 = performance.now();
      const r = instrumented(() => trainStep(clf, opt, batch, 1e-4, 1.0));
      encodes.push(performance.now() - t0);
      await r.out.data();
      const dt = performance.now() - t0;
      peak = Math.max(peak, r.peakBytes, tf.memory().numBytes);
      r.out.dispose();
      times.push(dt);
      spent += dt;
      totals.kernels += r.kernels;
      totals.dispatches += r.dispatches;
      totals.copies += r.copies;
      totals.reads += r.reads;
      totals.uploads += r.uploads;
      totals.uploadBytes += r.uploadBytes;
      dispatchUnit = r.dispatchUnit;
      last = r;
    }
    const leaked = tf.memory().numTensors - startTensors;
    const profiled = opts.profile ? await profileStep(() => trainStep(clf, opt, batch, 1e-4, 1.0)) : null;
    const walled = opts.wallProfile ? await wallProfileStep(() => trainStep(clf, opt, batch, 1e-4, 1.0), opts.wallProfile === 'shapes') : null;
    const sorted = [...times].sort((a, b) => a - b);
    const k = times.length;
    return {
      ms_per_step: median(sorted),
      spread_ms: sorted[k - 1] - sorted[0],
      steps_timed: k,
      warmup_ms: warmupMs,
      times_ms: times,
      encode_ms: median([...encodes].sort((a, b) => a - b)),
      peak_bytes: peak,
      start_bytes: startBytes,
      leaked_tensors: leaked,
      kernels_per_step: totals.kernels / k,
      dispatches_per_step: totals.dispatches / k,
      copies_per_step: totals.copies / k,
      dispatch_unit: dispatchUnit,
      readbacks_per_step: totals.reads / k,
      uploads_per_step: totals.uploads / k,
      upload_bytes_per_step: totals.uploadBytes / k,
      readback_sites: last?.readSites ?? {},
      largest_upload: last?.largestUpload ?? null,
      trainable_params: clf.trainableParamCount(),
      flops_per_step: flops(shape, plan.method, plan.seq, B),
      ...(profiled ? { kernel_profile: profiled.shares, kernel_ms_total: profiled.total } : {}),
      ...(walled ? { wall_profile: walled } : {}),
    };
  } finally {
    setFusedKernels(fusedBefore);
    opt.dispose();
    clf.dispose();
    if (model.device) disposeEncoder(model.device as EncoderWeights);
    model.device = undefined;
  }
}

/** One step under tf.time, its dispatches' device times summed per program name (tfjs names a timed dispatch by
 * its program's class: tfjs's own, e.g. MatMulPackedProgram, or an own kernel's spec name, webgpu-kernel.ts). */
/** A profiled kernel's name, products (BatchMatMul) with their operands' and output's shapes. */
export function kernelKey(k: Awaited<ReturnType<typeof tf.profile>>['kernels'][number]): string {
  return k.name === 'BatchMatMul'
    ? `${k.name} ${k.inputShapes.map((s) => s?.join('×')).join(' · ')} → ${k.outputShapes.map((s) => s?.join('×')).join('')}` : k.name;
}

async function wallProfileStep(step: () => tf.Tensor, productShapes: boolean): Promise<KernelShare[]> {
  const info = await tf.profile(() => {
    const loss = step();
    loss.dataSync();
    loss.dispose();
  });
  const byName = new Map<string, KernelShare>();
  for (const k of info.kernels) {
    const name = productShapes ? kernelKey(k) : k.name;
    const share = byName.get(name) ?? { name, dispatches: 0, ms: 0 };
    share.dispatches += 1;
    share.ms += Number(k.kernelTimeMs);
    byName.set(name, share);
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms).map((x) => ({ ...x, ms: Math.round(x.ms * 1000) / 1000 }));
}

async function profileStep(step: () => tf.Tensor): Promise<{ shares: KernelShare[]; total: number }> {
  let loss: tf.Tensor | null = null;
  const info = (await tf.time(() => {
    loss = step();
  })) as tf.TimingInfo & { getExtraProfileInfo?: () => string };
  if (loss) (loss as tf.Tensor).dispose();
  const byName = new Map<string, KernelShare>();
  for (const entry of (info.getExtraProfileInfo?.() ?? '').split(', ')) {
    const cut = entry.lastIndexOf(': ');
    if (cut < 0) continue;
    const name = entry.slice(0, cut);
    const share = byName.get(name) ?? { name, dispatches: 0, ms: 0 };
    share.dispatches += 1;
    share.ms += Number(entry.slice(cut + 2));
    byName.set(name, share);
  }
  const shares = [...byName.values()].sort((a, b) => b.ms - a.ms).map((x) => ({ ...x, ms: Math.round(x.ms * 1000) / 1000 }));
  return { shares, total: Math.round(Number(info.kernelMs) * 1000) / 1000 };
}

export function median(sorted: number[]): number {
  const k = sorted.length;
  return k % 2 ? sorted[(k - 1) / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
}
