// The GPU kit's program (bundled by scripts/gpu/pack.mjs into one file that runs on a bare Linux machine with the
// kit's Node, Dawn and Vulkan loader): tabtune's WebGPU engine on whatever adapter Dawn finds there, checked against
// the committed PyTorch goldens, then timed beside eager PyTorch on the same machine. Results go to files under
// --out: adapter.json, parity.json, matmul.json, rows.json and summary.md.
//
// usage: node tabtune-gpu.mjs --repo DIR --out DIR [--minutes 7] [--rows small|full|large] [--profile]
// --rows large: only seq 128 × batch 64, the shape where a step has arithmetic to do. --profile: each wide
// seq-128 × batch-64 row also times one step's dispatches on the device (tf.time), per program, into rows.json's
// kernel_profile.
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { useNodeWebGpu } from '../../src/runtime/node-webgpu';
import { takeWebGpuErrors } from '../../src/runtime/webgpu-fixes';
import { describeAdapter, type AdapterFacts } from '../../src/runtime/backend';
import { loadModel } from '../../src/model/load';
import { createClassifier } from '../../src/model/classifier';
import { checkParity, type Golden } from '../../test/helpers/parity';
import { BATCH, flops, matmulGflops, measureRow, randomModel, shapeByName, type Measured } from '../../bench/shared';
import { compareMatMul, KIT_MATMUL, parseMatMulCase, type MatMulComparison } from '../../bench/matmul-modes';
import { setWebGpuMatMulMode } from '../../src/runtime/webgpu-matmul';
import type { Method } from '../../src/domain';

const { values } = parseArgs({ options: { repo: { type: 'string', default: '.' }, out: { type: 'string', default: 'gpu-results' }, minutes: { type: 'string', default: '7' }, rows: { type: 'string', default: 'full' }, profile: { type: 'boolean', default: false } } });
const repo = resolve(values.repo!);
const out = resolve(values.out!);
mkdirSync(out, { recursive: true });
const deadline = Date.now() + Number(values.minutes) * 60_000;
const log = (s: string) => {
  process.stderr.write(`${s}\n`);
  writeFileSync(join(out, 'log.txt'), `${s}\n`, { flag: 'a' });
};
const save = (name: string, data: unknown) => writeFileSync(join(out, name), JSON.stringify(data, null, 2) + '\n');
const round = (x: number, d = 2) => +x.toFixed(d);

// ---- WebGPU on Dawn ------------------------------------------------------------------------------------------
let adapter: AdapterFacts;
try {
  adapter = await useNodeWebGpu();
} catch (e) {
  save('adapter.json', { error: (e as Error).message, VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? null });
  throw e;
}
const device = (tf.backend() as unknown as { device: GPUDevice }).device;
const adapterOut = {
  ...adapter,
  described: describeAdapter(adapter),
  vulkan_driver: process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES ?? '(the loader\'s default search)',
  features: [...device.features].sort(),
  timestamp_query: device.features.has('timestamp-query'),
  limits: { maxComputeWorkgroupSizeX: device.limits.maxComputeWorkgroupSizeX, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize, maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage },
};
save('adapter.json', adapterOut);
log(`adapter: ${adapterOut.described} (Vulkan driver: ${adapterOut.vulkan_driver})`);
const software = adapter.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${adapter.architecture} ${adapter.description}`);

// ---- parity against the committed PyTorch goldens, at the thresholds of test/parity/parity.test.ts -----------
const parity: Record<string, unknown>[] = [];
for (const name of ['tiny-bert', 'tiny-distilbert']) {
  const golden = JSON.parse(readFileSync(join(repo, `test/fixtures/goldens/${name}.json`), 'utf8')) as Golden;
  const model = await loadModel({ id: name, url: join(repo, `public/models/${name}`) });
  const e = await checkParity(model, golden);
  const pass = e.embedding <= 1e-4 && e.logits <= 1e-4 && e.loss <= 1e-4 && e.gradScore < 1 && e.adamScore < 1;
  parity.push({ model: name, pass, ...e, gpu_errors: takeWebGpuErrors() });
  log(`parity ${name}: ${pass ? 'pass' : 'FAIL'} (embedding ${e.embedding.toExponential(2)}, logits ${e.logits.toExponential(2)}, grad score ${e.gradScore.toFixed(3)}, AdamW score ${e.adamScore.toFixed(3)})`);
}
// The bundled pretrained model on WebGPU against tfjs's plain-JS cpu backend (exact float32 arithmetic, slow).
{
  const texts = ['Your order has shipped and will arrive on Tuesday.', 'Please pay invoice 42 by Friday.'];
  const embed = async () => {
    const model = await loadModel({ id: 'tabtune-mini', url: join(repo, 'public/models/tabtune-mini') });
    const clf = createClassifier(model, { method: 'head', numLabels: 2, seed: 0, lora: { r: 1, alpha: 1, dropout: 0, targetModules: ['query'] } });
    const rows: number[][] = [];
    for (const t of texts) {
      const ids = model.tokenizer.encode(t, 64);
      const e = tf.tidy(() => clf.embedBase(tf.tensor2d([ids], [1, ids.length], 'int32'), tf.ones([1, ids.length], 'int32') as tf.Tensor2D));
      rows.push(Array.from(await e.data()));
      e.dispose();
    }
    clf.dispose();
    return rows;
  };
  const gpu = await embed();
  await tf.setBackend('cpu');
  const cpu = await embed();
  await tf.setBackend('webgpu');
  const diff = Math.max(...gpu.flatMap((r, i) => r.map((x, j) => Math.abs(x - cpu[i][j]))));
  parity.push({ model: 'tabtune-mini', check: 'embedding, webgpu vs tfjs cpu', max_abs_diff: diff, pass: diff <= 1e-4 });
  log(`parity tabtune-mini embedding vs cpu: max abs diff ${diff.toExponential(2)}`);
}
save('parity.json', parity);

// ---- PyTorch on the same machine (CUDA when it sees a GPU), one long-lived process ---------------------------
// PYTHON names an interpreter with torch where the first python3 on PATH has none. Without PyTorch the kit still
// measures every WebGPU row; the PyTorch columns are then empty.
const torch = spawn(process.env.PYTHON ?? 'python3', [join(repo, 'scripts/bench_torch.py'), '--serve', '1'], { stdio: ['pipe', 'pipe', 'inherit'] });
torch.on('error', () => undefined); // no such interpreter: the greeting below reads end-of-stream
torch.stdin.on('error', () => undefined);
const answers = createInterface({ input: torch.stdout })[Symbol.asyncIterator]();
// The server's first line is its greeting (version, threads, the CUDA device it sees), sent unasked.
const greeting = await answers.next();
const hello = greeting.done ? null : (JSON.parse(greeting.value) as Record<string, unknown>);
const ask = async (req: object): Promise<Record<string, unknown>> => {
  if (!hello) return {};
  torch.stdin.write(JSON.stringify(req) + '\n');
  const line = await answers.next();
  if (line.done) throw new Error('PyTorch (scripts/bench_torch.py) stopped answering.');
  return JSON.parse(line.value);
};
const torchDevice = (hello as { cuda?: string | null } | null)?.cuda ? 'cuda' : 'cpu';
log(`PyTorch: ${JSON.stringify(hello)} → timing on ${torchDevice}`);

// ---- matmul ------------------------------------------------------------------------------------------------
// webgpu_* as the kit always measured them (tfjs's kernel, each result read back); then tfjs's kernel beside ours
// (src/runtime/webgpu-matmul.ts) on the same products, device time only, each checked against the other
// (bench/matmul-modes.ts; `npx tsx scripts/cli/bench-matmul.ts --kit` runs the same outside the kit).
const matmul: Record<string, unknown> = { webgpu_1024: round(await matmulGflops(3, 3000, 1024)) };
// A software adapter needs minutes for one 4096² product (0.1 GFLOP/s here): measured only where it is a GPU.
matmul.webgpu_4096 = Number(matmul.webgpu_1024) > 5 ? round(await matmulGflops(3, 5000, 4096)) : 'skipped: slower than 5 GFLOP/s at 1024²';
for (const size of [1024, 4096]) matmul[`torch_${torchDevice}_${size}`] = hello ? round(Number((await ask({ matmul: 3, size, device: torchDevice })).matmul_gflops)) : null;
const modes = KIT_MATMUL[software ? 'software' : 'gpu'];
const ownVsTfjs: (MatMulComparison | { shape: string; error: string })[] = [];
for (const shape of modes.shapes) {
  try {
    takeWebGpuErrors();
    const r = await compareMatMul(parseMatMulCase(shape), modes);
    const gpuErrors = takeWebGpuErrors();
    ownVsTfjs.push(gpuErrors.length ? { shape, error: `WebGPU reported ${gpuErrors.length} error(s): ${gpuErrors[0].split('\n')[0]}` } : { ...r, tfjs_gflops: round(r.tfjs_gflops), own_gflops: round(r.own_gflops), ratio: round(r.ratio) });
  } catch (e) {
    ownVsTfjs.push({ shape, error: (e as Error).message.split('\n')[0] });
  }
  const last = ownVsTfjs[ownVsTfjs.length - 1];
  log('error' in last ? `matmul ${shape}: ${last.error}` : `matmul ${shape}: tfjs ${last.tfjs_gflops} GFLOP/s, own ${last.own_gflops} (${last.ratio}×), max |diff| ${last.max_abs_diff.toExponential(1)} of ${last.max_abs_value.toFixed(1)}`);
}
matmul.own_vs_tfjs = ownVsTfjs;
save('matmul.json', matmul);
log(`matmul GFLOP/s: ${JSON.stringify({ ...matmul, own_vs_tfjs: undefined })}`);

// ---- training-step rows, cheapest first, until the deadline ------------------------------------------------
const small = values.rows === 'small' || software;
const large = values.rows === 'large';
const SHAPE_ROWS = small ? ['tiny-bert'] : ['tiny-bert', 'minilm-l6', 'distilbert'];
const METHOD_ROWS: Method[] = small ? ['lora'] : ['head', 'lora', 'full'];
const SEQ_ROWS = small ? [32] : large ? [128] : [32, 128];
const BATCH_ROWS = small ? [BATCH] : large ? [64] : [16, 64];
const plan = SHAPE_ROWS.flatMap((model) => SEQ_ROWS.flatMap((seq) => BATCH_ROWS.flatMap((batch) => METHOD_ROWS.map((method) => ({ model, method, seq, batch })))));
const rows: Record<string, unknown>[] = [];
for (const p of plan) {
  const shape = shapeByName(p.model);
  if (Date.now() > deadline) {
    rows.push({ ...p, skipped: 'the kit\'s time budget (--minutes) was used up' });
    continue;
  }
  let m: Measured;
  try {
    takeWebGpuErrors();
    const profile = values.profile && shape.hidden >= 384 && p.seq === 128 && p.batch === 64;
    m = await measureRow(randomModel(shape), shape, p, { steps: 10, budgetMs: 8000, profile });
  } catch (e) {
    rows.push({ ...p, error: (e as Error).message.split('\n')[0] });
    continue;
  }
  // The same step with every kernel as tfjs ops (the encoder's fused kernels, the fused AdamW and our matmul off):
  // what issue #21's kernels buy on this adapter. Fewer steps, and none once the deadline is near.
  let unfused: Measured | null = null;
  let unfusedError: string | null = null;
  if (Date.now() < deadline - 30_000) {
    setWebGpuMatMulMode('off');
    try {
      unfused = await measureRow(randomModel(shape), shape, { ...p, fusedKernels: false, fusedOptimizer: false }, { steps: 5, budgetMs: 5000 });
    } catch (e) {
      unfusedError = (e as Error).message.split('\n')[0];
    } finally {
      setWebGpuMatMulMode('auto');
    }
  }
  // The same fused step with every product on tfjs's matmul (src/runtime/webgpu-matmul.ts mode 'off'; the rows run
  // 'auto', the default): on the wide shapes at seq 128, where a step has arithmetic enough for it to matter (#21).
  let tfjsMatMul: Measured | null = null;
  let tfjsMatMulError: string | null = null;
  if (!software && shape.hidden >= 384 && p.seq === 128 && Date.now() < deadline - 20_000) {
    setWebGpuMatMulMode('off');
    try {
      tfjsMatMul = await measureRow(randomModel(shape), shape, p, { steps: 5, budgetMs: 5000 });
    } catch (e) {
      tfjsMatMulError = (e as Error).message.split('\n')[0];
    } finally {
      setWebGpuMatMulMode('auto');
    }
  }
  const gpuErrors = takeWebGpuErrors();
  const t = await ask({ case: { ...p, layers: shape.layers, hidden: shape.hidden, heads: shape.heads, ffn: shape.ffn, vocab: shape.vocab, device: torchDevice }, steps: 10, budget_s: 8 });
  const gflops = flops(shape, p.method, p.seq, p.batch) / (m.ms_per_step / 1000) / 1e9;
  const row = {
    ...p,
    ms_per_step: round(m.ms_per_step, 1),
    encode_ms_per_step: round(m.encode_ms, 1),
    gpu_wait_ms_per_step: round(m.ms_per_step - m.encode_ms, 1),
    gflops: round(gflops),
    dispatches_per_step: round(m.dispatches_per_step, 1),
    copies_per_step: round(m.copies_per_step, 1),
    kernels_per_step: round(m.kernels_per_step, 1),
    uploads_per_step: round(m.uploads_per_step, 1),
    readbacks_per_step: round(m.readbacks_per_step, 2),
    peak_bytes: m.peak_bytes,
    leaked_tensors: m.leaked_tensors,
    steps_timed: m.steps_timed,
    unfused_ms_per_step: unfused ? round(unfused.ms_per_step, 1) : null,
    unfused_encode_ms_per_step: unfused ? round(unfused.encode_ms, 1) : null,
    unfused_dispatches_per_step: unfused ? round(unfused.dispatches_per_step, 1) : null,
    fused_speedup: unfused ? round(unfused.ms_per_step / m.ms_per_step, 2) : null,
    ...(tfjsMatMul ? { tfjs_matmul_ms_per_step: round(tfjsMatMul.ms_per_step, 1), tfjs_matmul_gpu_wait_ms_per_step: round(tfjsMatMul.ms_per_step - tfjsMatMul.encode_ms, 1) } : {}),
    ...(tfjsMatMulError ? { tfjs_matmul_error: tfjsMatMulError } : {}),
    ...(m.kernel_profile ? { kernel_ms_total: m.kernel_ms_total, kernel_profile: m.kernel_profile } : {}),
    ...(unfusedError ? { unfused_error: unfusedError } : {}),
    torch_device: torchDevice,
    torch_ms_per_step: typeof t.torch_ms_per_step === 'number' ? round(t.torch_ms_per_step, 2) : null,
    ratio_vs_torch: typeof t.torch_ms_per_step === 'number' ? round(m.ms_per_step / t.torch_ms_per_step, 2) : null,
    ...(t.error ? { torch_error: t.error } : {}),
    ...(gpuErrors.length ? { gpu_errors: gpuErrors.length, error: `WebGPU reported ${gpuErrors.length} error(s): the figures are not valid (first: ${gpuErrors[0].split('\n')[0]})` } : {}),
  };
  rows.push(row);
  if (m.kernel_profile) log(`  device time ${m.kernel_ms_total} ms: ${m.kernel_profile.slice(0, 8).map((k) => `${k.name} ${k.ms} ms (${k.dispatches})`).join(', ')}`);
  log(`${p.model} ${p.method} seq ${p.seq} batch ${p.batch}: ${row.ms_per_step} ms/step (encode ${row.encode_ms_per_step} ms, ${row.dispatches_per_step} dispatches; unfused ${row.unfused_ms_per_step} ms, ${row.unfused_dispatches_per_step} dispatches${tfjsMatMul ? `; all products on tfjs's matmul ${row.tfjs_matmul_ms_per_step} ms` : ''}), PyTorch ${torchDevice} ${row.torch_ms_per_step} ms → ${row.ratio_vs_torch}×`);
  save('rows.json', rows);
}
save('rows.json', rows);
torch.stdin.end();

// ---- summary -------------------------------------------------------------------------------------------------
const head = '| model | method | seq | batch | ms/step | encode ms | GPU wait ms | GFLOP/s | dispatches | unfused ms/step | unfused dispatches | fused speed-up | PyTorch ms | ratio |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|';
const lines = rows.map((r) => (r.ms_per_step === undefined ? `| ${r.model} | ${r.method} | ${r.seq} | ${r.batch} | ${r.error ?? r.skipped} | | | | | | | | | |` : `| ${r.model} | ${r.method} | ${r.seq} | ${r.batch} | ${r.ms_per_step} | ${r.encode_ms_per_step} | ${r.gpu_wait_ms_per_step} | ${r.gflops} | ${r.dispatches_per_step} | ${r.unfused_ms_per_step ?? r.unfused_error ?? '—'} | ${r.unfused_dispatches_per_step ?? '—'} | ${r.fused_speedup ?? '—'} | ${r.torch_ms_per_step} | ${r.ratio_vs_torch} |`));
writeFileSync(
  join(out, 'summary.md'),
  [`# tabtune GPU kit: ${adapterOut.described}`, '', `PyTorch ${(hello as { torch?: string } | null)?.torch ?? '?'} on ${torchDevice}.`, '', '## Parity with the PyTorch goldens', ...parity.map((p) => `- ${p.model}${p.check ? ` (${p.check})` : ''}: ${p.pass ? 'pass' : 'FAIL'}`), '', '## matmul GFLOP/s', '```', JSON.stringify({ ...matmul, own_vs_tfjs: undefined }, null, 2), '```', '', '| product | tfjs GFLOP/s | own GFLOP/s | own / tfjs | max abs diff |', '|---|---|---|---|---|', ...ownVsTfjs.map((r) => ('error' in r ? `| ${r.shape} | ${r.error} | | | |` : `| ${r.shape} | ${r.tfjs_gflops} | ${r.own_gflops} | ${r.ratio} | ${r.max_abs_diff.toExponential(1)} |`)), '', '## Training steps', head, ...lines, ''].join('\n'),
);
log(`done: ${rows.filter((r) => r.ms_per_step !== undefined).length} rows measured; results in ${out}`);
device.destroy();
process.exit(parity.every((p) => p.pass) ? 0 : 1);
