// `npm run bench [-- --quick] [-- --json]`: the real training step (src/train/loop's trainStep: encoder, LoRA or
// head or full, cross-entropy, AdamW) on random-weight models of real shapes, timed side by side in one run with
// the same step in PyTorch on the CPU (same thread count). Figures are printed, never judged: no time fails.
// Node backends only for now (wasm, cpu); the browser backends (webgpu, webgl, wasm in Chromium) are not in this
// version of the bench — see bench/RESULTS.md.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { createClassifier } from '../../src/model/classifier';
import { loadModel, type LoadedModel } from '../../src/model/load';
import type { EncoderConfig, HostBatch, Method } from '../../src/model/types';
import { AdamW } from '../../src/train/optimizer';
import { trainStep } from '../../src/train/loop';
import { createRng } from '../../src/train/rng';

interface Shape { name: string; layers: number; hidden: number; heads: number; ffn: number; vocab: number }
const SHAPES: Shape[] = [
  { name: 'tiny-bert', layers: 2, hidden: 64, heads: 2, ffn: 256, vocab: 4096 },
  { name: 'minilm-l6', layers: 6, hidden: 384, heads: 12, ffn: 1536, vocab: 30522 },
  { name: 'distilbert', layers: 6, hidden: 768, heads: 12, ffn: 3072, vocab: 30522 },
];
const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');
const BATCH = 16;
const STEPS = quick ? 3 : 5;

/** A LoadedModel with random weights of a real shape, built in memory (no files, no tokenizer needed). */
async function randomModel(s: Shape): Promise<LoadedModel> {
  if (s.name === 'tiny-bert') return loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
  const config: EncoderConfig = { modelType: 'bert', vocabSize: s.vocab, hiddenSize: s.hidden, numLayers: s.layers, numHeads: s.heads, intermediateSize: s.ffn, maxPositions: 512, typeVocabSize: 2, layerNormEps: 1e-12, padTokenId: 0 };
  const rng = createRng(1);
  const t = (shape: number[], fill?: number) => ({ dtype: 'F32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => fill ?? (rng.next() - 0.5) * 0.04) });
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

/** Analytic FLOPs of one step: forward 2·tokens·(linear weights) + attention 4·B·L²·H per layer; backward ×2 for
 * full, ×1 for LoRA (activation gradients only, plus the small adapters), ≈0 for head-only (no encoder backward). */
function flops(s: Shape, method: Method, seq: number): number {
  const tokens = BATCH * seq;
  const fwd = s.layers * (2 * tokens * (4 * s.hidden * s.hidden + 2 * s.hidden * s.ffn) + 4 * BATCH * seq * seq * s.hidden);
  return fwd * (method === 'full' ? 3 : method === 'lora' ? 2 : 1);
}

async function matmulGflops(): Promise<number> {
  const a = tf.randomNormal([1024, 1024]);
  const b = tf.randomNormal([1024, 1024]);
  tf.matMul(a, b).dispose();
  const t0 = performance.now();
  const reps = 3;
  for (let i = 0; i < reps; i++) {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  }
  const ms = (performance.now() - t0) / reps;
  tf.dispose([a, b]);
  return (2 * 1024 ** 3) / (ms / 1000) / 1e9;
}

type Row = Record<string, number | string | null>;
const rows: Row[] = [];
const plan: { backend: 'wasm' | 'cpu'; shape: Shape; method: Method; seq: number }[] = [];
for (const backend of ['wasm', 'cpu'] as const) {
  for (const shape of SHAPES) {
    if (backend === 'cpu' && shape.name !== 'tiny-bert') continue; // plain-JS cpu is ~30× slower than wasm
    for (const method of ['head', 'lora', 'full'] as Method[]) {
      for (const seq of [32, 64, 128]) {
        // --quick (under two minutes here): tiny-bert's three methods on wasm, MiniLM-L6's LoRA, one cpu row; seq 32.
        if (quick && (seq !== 32 || (shape.name === 'distilbert') || (shape.name === 'minilm-l6' && method !== 'lora') || (backend === 'cpu' && method !== 'lora'))) continue;
        plan.push({ backend, shape, method, seq });
      }
    }
  }
}

const matmul: Record<string, number> = {};
for (const backend of ['wasm', 'cpu'] as const) {
  await useBackend(backend);
  matmul[backend] = await matmulGflops();
}
for (const p of plan) {
  await useBackend(p.backend);
  const model = await randomModel(p.shape);
  const clf = createClassifier(model, { method: p.method, numLabels: 2, seed: 0, lora: { r: 8, alpha: 16, dropout: 0, targetModules: ['query', 'value'] } });
  const opt = new AdamW(clf.trainable, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
  const rng = createRng(2);
  const batch: HostBatch = { batchSize: BATCH, seqLen: p.seq, inputIds: Int32Array.from({ length: BATCH * p.seq }, () => 5 + rng.int(p.shape.vocab - 5)), attentionMask: new Int32Array(BATCH * p.seq).fill(1), labels: Int32Array.from({ length: BATCH }, () => rng.int(2)) };
  const run = async () => {
    const l = trainStep(clf, opt, batch, 1e-4, 1.0);
    await l.data(); // the timing needs the step finished; the app itself reads the loss back once per 10 steps
    l.dispose();
  };
  await run();
  // Kernels launched per step (each one is a GPU dispatch on WebGPU, a wasm call here), counted by tfjs's profiler.
  const profile = await tf.profile(async () => {
    const l = trainStep(clf, opt, batch, 1e-4, 1.0);
    l.dispose();
  });
  const dispatches = profile.kernels.length;
  // Readbacks counted by instrumenting the backend's read: the step itself must make none.
  const backendImpl = tf.backend() as unknown as { read: (...a: unknown[]) => unknown; readSync: (...a: unknown[]) => unknown };
  let reads = 0;
  const [origRead, origReadSync] = [backendImpl.read, backendImpl.readSync];
  backendImpl.read = (...a) => (reads++, origRead.apply(backendImpl, a));
  backendImpl.readSync = (...a) => (reads++, origReadSync.apply(backendImpl, a));
  tf.tidy(() => void trainStep(clf, opt, batch, 1e-4, 1.0));
  [backendImpl.read, backendImpl.readSync] = [origRead, origReadSync];
  const startTensors = tf.memory().numTensors;
  let peak = 0;
  const times: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
    peak = Math.max(peak, tf.memory().numBytes);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  const gflops = flops(p.shape, p.method, p.seq) / (ms / 1000) / 1e9;
  rows.push({
    model: p.shape.name, method: p.method, backend: p.backend, seq: p.seq, batch: BATCH,
    ms_per_step: +ms.toFixed(1), spread_ms: +(times[times.length - 1] - times[0]).toFixed(1),
    examples_per_s: +((BATCH / ms) * 1000).toFixed(1), tokens_per_s: Math.round(((BATCH * p.seq) / ms) * 1000),
    gflops: +gflops.toFixed(2), matmul_gflops: +matmul[p.backend].toFixed(2), efficiency: +(gflops / matmul[p.backend]).toFixed(3),
    peak_bytes: peak, leaked_tensors: tf.memory().numTensors - startTensors,
    dispatches_per_step: dispatches, readbacks_per_step: reads, torch_ms_per_step: null, ratio_vs_torch: null,
    trainable_params: clf.trainableParamCount(),
  });
  opt.dispose();
  clf.dispose();
  if (model.device) (await import('../../src/model/encoder')).disposeEncoder(model.device as never);
  process.stderr.write(`${p.backend} ${p.shape.name} ${p.method} seq ${p.seq}: ${ms.toFixed(1)} ms/step\n`);
}

// PyTorch, same shapes and steps, one thread (tfjs-wasm in Node runs on one thread).
const torchCases = [...new Map(rows.map((r) => [`${r.model}|${r.method}|${r.seq}`, r])).values()].map((r) => {
  const s = SHAPES.find((x) => x.name === r.model)!;
  return { model: r.model, method: r.method, seq: r.seq, batch: BATCH, layers: s.layers, hidden: s.hidden, heads: s.heads, ffn: s.ffn, vocab: s.vocab };
});
const py = spawnSync('/usr/bin/python3', ['scripts/bench_torch.py', JSON.stringify(torchCases), '1', String(STEPS)], { encoding: 'utf8', maxBuffer: 1 << 24 });
if (py.status === 0) {
  const torch = new Map(py.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((t) => [`${t.model}|${t.method}|${t.seq}`, t.torch_ms_per_step as number]));
  for (const r of rows) {
    const t = torch.get(`${r.model}|${r.method}|${r.seq}`);
    if (t) Object.assign(r, { torch_ms_per_step: +t.toFixed(1), ratio_vs_torch: +((r.ms_per_step as number) / t).toFixed(2) });
  }
} else process.stderr.write(`PyTorch side skipped: ${py.stderr || py.error?.message} (install Debian's python3-torch)\n`);

const cols = ['model', 'method', 'backend', 'seq', 'ms_per_step', 'spread_ms', 'tokens_per_s', 'gflops', 'matmul_gflops', 'efficiency', 'peak_bytes', 'leaked_tensors', 'torch_ms_per_step', 'ratio_vs_torch'];
console.log(cols.join('\t'));
for (const r of rows) console.log(cols.map((c) => r[c] ?? '—').join('\t'));
const lora = rows.filter((r) => r.method === 'lora');
for (const l of lora) {
  const f = rows.find((r) => r.method === 'full' && r.model === l.model && r.backend === l.backend && r.seq === l.seq);
  if (f) console.log(`LoRA/full step cost ${l.model} ${l.backend} seq ${l.seq}: ${((l.ms_per_step as number) / (f.ms_per_step as number)).toFixed(2)}`);
}
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, tfjs: tf.version.tfjs, torch_threads: 1, steps: STEPS, quick };
if (asJson) console.log(JSON.stringify({ rows, machine }));
