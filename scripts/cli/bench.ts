// `npm run bench [-- --quick] [-- --json] [-- --backends a,b] [-- --models a,b] [-- --methods a,b] [-- --seqs 32,64]`
// The real training step (src/train/loop's trainStep: encoder, LoRA or head or full, cross-entropy, AdamW) on
// random-weight models of real shapes, on tfjs in Node (wasm, cpu) and in headless Debian Chromium (webgpu, wasm,
// webgl — a page built from bench/browser/ with Vite and driven through Playwright), timed side by side in one run
// with the same step in PyTorch on the CPU (one thread, as tfjs-wasm). The row code is shared (bench/shared.ts).
// Figures are printed, never judged: no time fails. Slow rows time fewer steps (`steps_timed`) and rows predicted
// slower than --max-step-seconds are listed with `skipped` and the reason; a backend that cannot start gives rows
// with `error`.
//
// Other options: --steps N (timed steps per row, after one warm-up), --row-seconds S (stop timing a row once its
// timed steps took S), --max-step-seconds C, --max-minutes M (rows not reached by then are listed as skipped),
// --markdown (the table as Markdown, for bench/RESULTS.md).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { cpus, loadavg, totalmem, tmpdir, release, platform } from 'node:os';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { build, preview, type PreviewServer } from 'vite';
import { chromium, type Browser, type Page } from 'playwright';
import { nodeWebGpuAdapter, tf, useBackend } from '../../src/runtime/tf-node';
import { describeAdapter } from '../../src/runtime/backend';
import { takeWebGpuErrors } from '../../src/runtime/webgpu-fixes';
import type { Method } from '../../src/model/types';
import type { LoadedModel } from '../../src/model/load';
import { chromiumArgs, chromiumPath } from '../chromium.mjs';
import { tfjsWasmThreads } from '../vite-wasm-threads';
import { BATCH, METHODS, SEQS, SHAPES, attentionGflops, flops, matmulGflops, measureRow, randomModel, shapeByName, type Measured, type MeasureOptions, type RowPlan, type Shape } from '../../bench/shared';
import type { BenchApi, InitResult } from '../../bench/browser/bench-page';
import { fullRowFor, loraOverFull } from '../../bench/lora-pairs';

// ---- options ---------------------------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
};
const list = (name: string) => opt(name)?.split(',').map((s) => s.trim()).filter(Boolean);
const quick = flag('--quick');
const asJson = flag('--json');
const asMarkdown = flag('--markdown');
const STEPS = Number(opt('--steps') ?? (quick ? 3 : 5));
const ROW_MS = Number(opt('--row-seconds') ?? (quick ? 8 : 12)) * 1000;
const MAX_STEP_MS = Number(opt('--max-step-seconds') ?? (quick ? 20 : 40)) * 1000;
const DEADLINE = Date.now() + Number(opt('--max-minutes') ?? (quick ? 10 : 55)) * 60_000;

/** Where a row runs: tfjs in Node, or tfjs in headless Chromium. */
type Runtime = 'node' | 'chromium';
type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';
/** allCores: the page claims one logical core more than the machine has, so the app's wasm thread count (every core
 * but one, src/runtime/tf-browser.ts) is one thread per real core; PyTorch gets the same thread count for those rows. */
interface Target { id: string; runtime: Runtime; backend: BackendName; allCores?: boolean }
const TARGETS: Target[] = [
  { id: 'node-wasm', runtime: 'node', backend: 'wasm' },
  { id: 'node-webgpu', runtime: 'node', backend: 'webgpu' },
  { id: 'node-cpu', runtime: 'node', backend: 'cpu' },
  { id: 'chromium-wasm', runtime: 'chromium', backend: 'wasm' },
  { id: 'chromium-wasm-mt', runtime: 'chromium', backend: 'wasm', allCores: true },
  { id: 'chromium-webgpu', runtime: 'chromium', backend: 'webgpu' },
  { id: 'chromium-webgl', runtime: 'chromium', backend: 'webgl' },
];
/** --backends takes target ids, bare backend names (wasm = both wasm targets) or node / chromium. */
function pickTargets(names: string[] | undefined): Target[] {
  if (!names) return TARGETS;
  const out = TARGETS.filter((t) => names.some((n) => n === t.id || n === t.backend || n === t.runtime || (n === 'browser' && t.runtime === 'chromium')));
  if (!out.length) throw new Error(`--backends ${names.join(',')} matches none of ${TARGETS.map((t) => t.id).join(', ')}`);
  return out;
}
const targets = pickTargets(list('--backends'));
const models = (list('--models') ?? SHAPES.map((s) => s.name)).map(shapeByName);
const methods = (list('--methods') ?? METHODS) as Method[];
const seqs = (list('--seqs') ?? SEQS.map(String)).map(Number);

interface Planned extends RowPlan { target: Target; shape: Shape }
const plan: Planned[] = [];
// Cheapest first, so a run cut short by --max-minutes still has every method compared at the shorter lengths.
for (const shape of models) {
  for (const seq of seqs) {
    for (const method of methods) {
      for (const target of targets) {
        // --quick (about two minutes here): seq 32; tiny-bert's three methods on Node wasm, tiny-bert LoRA on every
        // other backend, and MiniLM-L6 LoRA on both wasm targets (the app's fallback, and the ratio-to-PyTorch budget).
        if (quick) {
          if (seq !== 32 || shape.name === 'distilbert') continue;
          if (shape.name === 'minilm-l6' && !(method === 'lora' && target.backend === 'wasm')) continue;
          if (shape.name === 'tiny-bert' && target.id !== 'node-wasm' && method !== 'lora') continue;
        }
        plan.push({ model: shape.name, method, seq, target, shape });
      }
    }
  }
}

// ---- rows ------------------------------------------------------------------------------------------------------
type Row = Record<string, unknown> & { model: string; method: Method; backend: BackendName; runtime: Runtime; target: string; seq: number };
const rows: Row[] = [];
const log = (s: string) => process.stderr.write(`${s}\n`);
const round = (x: number, d = 1) => +x.toFixed(d);

function rowFrom(p: Planned, m: Measured, matmul: number, inUse: string): Row {
  const ms = m.ms_per_step;
  const gflops = m.flops_per_step / (ms / 1000) / 1e9;
  return {
    model: p.model, method: p.method, backend: p.target.backend, runtime: p.target.runtime, target: p.target.id, backend_in_use: inUse,
    seq: p.seq, batch: BATCH,
    ms_per_step: round(ms), spread_ms: round(m.spread_ms), steps_timed: m.steps_timed, warmup_ms: round(m.warmup_ms),
    examples_per_s: round((BATCH / ms) * 1000), tokens_per_s: Math.round(((BATCH * p.seq) / ms) * 1000),
    gflops: round(gflops, 2), matmul_gflops: round(matmul, 2), efficiency: round(gflops / matmul, 3),
    peak_bytes: m.peak_bytes, leaked_tensors: m.leaked_tensors,
    kernels_per_step: round(m.kernels_per_step, 1), dispatches_per_step: round(m.dispatches_per_step, 1), dispatch_unit: m.dispatch_unit,
    readbacks_per_step: round(m.readbacks_per_step, 2), readback_sites: m.readback_sites,
    // On the plain-JS cpu backend every kernel writes its output through backend.write: no uploads to count there.
    ...(p.target.backend === 'cpu'
      ? { uploads_per_step: null, upload_bytes_per_step: null, largest_upload: null }
      : { uploads_per_step: round(m.uploads_per_step, 1), upload_bytes_per_step: Math.round(m.upload_bytes_per_step), largest_upload: m.largest_upload }),
    torch_ms_per_step: null, ratio_vs_torch: null,
    trainable_params: m.trainable_params, flops_per_step: m.flops_per_step,
  };
}
function emptyRow(p: Planned, extra: Record<string, unknown>): Row {
  return { model: p.model, method: p.method, backend: p.target.backend, runtime: p.target.runtime, target: p.target.id, seq: p.seq, batch: BATCH, ms_per_step: null, torch_ms_per_step: null, ratio_vs_torch: null, flops_per_step: flops(p.shape, p.method, p.seq), ...extra };
}

// ---- Node targets ----------------------------------------------------------------------------------------------
let nodeModel: LoadedModel | null = null;
async function nodeRow(p: Planned, o: MeasureOptions): Promise<Measured> {
  await useBackend(p.target.backend as 'wasm' | 'cpu' | 'webgpu');
  if (nodeModel?.id !== p.model) {
    nodeModel = null;
    nodeModel = randomModel(p.shape);
  }
  return measureRow(nodeModel, p.shape, p, o);
}

// ---- Chromium targets: the bench page, built with Vite, served by vite preview, driven by Playwright ----------
interface Browserside { browser: Browser; pages: Map<string, Page>; server: PreviewServer; outDir: string; url: string }
let side = null as Browserside | null;
let browserInfo = null as Record<string, unknown> | null;
const chromiumFlags = [...chromiumArgs(), '--no-sandbox', '--enable-features=Vulkan', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (typeof a === 'object' && a ? ok(a.port) : fail(new Error('no free port'))));
    });
  });
}

async function openPage(browser: Browser, url: string, allCores = false): Promise<Page> {
  const page = await browser.newPage();
  // Before any script of the page: tfjs reads the core count when its wasm module starts.
  if (allCores) await page.addInitScript((n) => Object.defineProperty(navigator, 'hardwareConcurrency', { value: n, configurable: true }), cpus().length + 1);
  page.on('pageerror', (e) => log(`[page] ${e.message}`));
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && log(`[page ${m.type()}] ${m.text()}`));
  await page.goto(url);
  await page.waitForFunction(() => 'tabtuneBench' in globalThis, null, { timeout: 120_000 });
  return page;
}

async function startBrowser(): Promise<Browserside> {
  const root = resolve('bench/browser');
  const outDir = mkdtempSync(join(tmpdir(), 'tabtune-bench-'));
  const t0 = performance.now();
  const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
  // The page is built like the app (production build, same tf-browser setup), not served by the dev server.
  await build({ configFile: false, root, base: './', logLevel: 'error', publicDir: false, plugins: [tfjsWasmThreads()], worker: { format: 'es' }, build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8000, reportCompressedSize: false } });
  const port = await freePort();
  const server = await preview({ configFile: false, root, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port, strictPort: true, headers: isolation } });
  const url = `http://127.0.0.1:${port}/`;
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumFlags, headless: true });
  log(`bench page built in ${((performance.now() - t0) / 1000).toFixed(1)} s (Chromium ${browser.version()})`);
  return { browser, pages: new Map(), server, outDir, url };
}

/** The bench page for `t`: one page for the ordinary Chromium targets, another for the all-cores one. */
async function pageFor(t: Target): Promise<Page> {
  if (!side) side = await startBrowser();
  if (!side.browser.isConnected()) {
    side.browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumFlags, headless: true });
    side.pages.clear();
  }
  const key = t.allCores ? 'all-cores' : 'default';
  let page = side.pages.get(key);
  if (!page || page.isClosed()) {
    page = await openPage(side.browser, side.url, t.allCores);
    side.pages.set(key, page);
  }
  return page;
}

/** Calls window.tabtuneBench[method](...args) in the page (a string expression: nothing of this file's compiled code
 * is shipped into the page). A crashed or stuck page is closed and replaced, so the rows after it still run. */
async function pageCall<K extends keyof BenchApi>(t: Target, method: K, args: unknown[], timeoutMs: number): Promise<Awaited<ReturnType<BenchApi[K]>>> {
  const page = await pageFor(t);
  const call = page.evaluate(`globalThis.tabtuneBench.${method}(...${JSON.stringify(args)})`) as Promise<Awaited<ReturnType<BenchApi[K]>>>;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(`no answer from the page within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs)));
  try {
    return await Promise.race([call, timeout]);
  } catch (e) {
    await page.close().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function chromiumInit(t: Target): Promise<InitResult> {
  return pageCall(t, 'init', [t.backend], 180_000);
}

// ---- PyTorch: one long-lived process, a case per line ------------------------------------------------------------
let torchProc = null as ChildProcessWithoutNullStreams | null;
let torchLines: AsyncIterator<string> | null = null;
let torchInfo: { torch?: string; threads?: number; blas?: string | null; error?: string } = {};
/** Why the PyTorch side is gone, once it is: every later row says so instead of writing to a closed pipe (EPIPE). */
let torchGone: string | null = null;
async function torchAsk(request: object): Promise<Record<string, number | string>> {
  if (torchGone) throw new Error(torchGone);
  try {
    return await torchAskOnce(request);
  } catch (e) {
    torchGone = (e as Error).message;
    throw e;
  }
}
async function torchAskOnce(request: object): Promise<Record<string, number | string>> {
  if (!torchProc) {
    // glibc's malloc gives PyTorch's large tensors back to the kernel when they are freed and maps them again on the
    // next step; on this project's VM (and any machine where page faults are dear) that made a MiniLM-L6 LoRA step at
    // seq 128 1.4–1.6× slower (1668–1931 ms against 1203–1228 with these settings, alternating runs). tfjs-wasm keeps
    // one heap that only grows, so without them the reference, not tfjs, would pay for the machine.
    torchProc = spawn('/usr/bin/python3', ['scripts/bench_torch.py', '--serve', '1'], { env: { ...process.env, ...TORCH_MALLOC, ...torchBlas() } });
    torchProc.stderr.on('data', (d) => log(`[torch] ${String(d).trim()}`));
    // A write after the process died fails asynchronously; the read below reports it, so the error is not fatal here.
    torchProc.stdin.on('error', () => {});
    torchLines = createInterface({ input: torchProc.stdout })[Symbol.asyncIterator]();
    const first = await torchLines.next();
    if (first.done) throw new Error('the PyTorch side did not start (install Debian\'s python3-torch)');
    torchInfo = JSON.parse(first.value);
    if (torchInfo.blas?.includes('openblas-pthread')) {
      log(`[torch] ${torchInfo.blas}: OpenBLAS's pthread build oversubscribes beside torch's OpenMP threads; install libopenblas0-openmp for fair multi-threaded rows`);
    }
  }
  torchProc.stdin.write(`${JSON.stringify(request)}\n`);
  const line = await torchLines!.next();
  if (line.done) throw new Error('the PyTorch side exited');
  return JSON.parse(line.value);
}

/** PyTorch's step for p's case on `threads` threads (1 unless the rows it is compared with used more). */
async function torchCase(p: Planned, threads = 1): Promise<Record<string, number | string>> {
  const s = p.shape;
  const c = { model: p.model, method: p.method, seq: p.seq, batch: BATCH, layers: s.layers, hidden: s.hidden, heads: s.heads, ffn: s.ffn, vocab: s.vocab };
  const out = await torchAsk({ case: c, steps: STEPS, budget_s: ROW_MS / 1000, threads });
  // PyTorch's own matmul ceiling, once per thread count, beside the tfjs backends' (their ratio bounds ratio_vs_torch).
  const key = threads === 1 ? 'torch' : `torch-${threads}t`;
  if (!matmul.has(key)) matmul.set(key, Number((await torchAsk({ matmul: 3, threads })).matmul_gflops));
  return out;
}

/** Keeps freed memory in PyTorch's process: no mmap per large tensor, no trim of the heap's top. */
// Debian points libopenblas.so.0 at OpenBLAS's pthread build even where its OpenMP build is installed, and the pthread
// build's threads oversubscribe beside torch's OpenMP ones: its 2-thread rows were not a fair reference. The OpenMP
// build is put first for the PyTorch process only, as scripts/pretrain/run_all.py does for pretraining.
const OPENBLAS_OPENMP = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
function torchBlas(): Record<string, string> {
  if (!existsSync(join(OPENBLAS_OPENMP, 'libopenblas.so.0'))) return {};
  return { LD_LIBRARY_PATH: [OPENBLAS_OPENMP, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
}
const TORCH_MALLOC = { MALLOC_MMAP_THRESHOLD_: String(2 ** 30), MALLOC_TRIM_THRESHOLD_: String(2 ** 32), MALLOC_TOP_PAD_: String(2 ** 29) };

// ---- the run ---------------------------------------------------------------------------------------------------
const matmul = new Map<string, number>();
/** wasm targets only: the attention's batched products (bench/shared.ts attentionGflops), issue #20's budget. */
const attention = new Map<string, number>();
const inits = new Map<string, InitResult>();
/** Best achieved GFLOP/s so far per target and method (then per target): predicts the next row's step time. */
const achieved = new Map<string, { gflops: number; from: string }>();
const startedAt = new Date();
const load0 = loadavg()[0];

async function runTarget(p: Planned, o: MeasureOptions): Promise<Row> {
  const t = p.target;
  if (t.runtime === 'node') {
    await useBackend(t.backend as 'wasm' | 'cpu' | 'webgpu');
    if (!matmul.has(t.id)) matmul.set(t.id, await matmulGflops());
    if (t.backend === 'wasm' && !attention.has(t.id)) attention.set(t.id, await attentionGflops());
    if (t.backend === 'webgpu') takeWebGpuErrors(); // only errors during this row count
    const m = await nodeRow(p, o);
    const simd = t.backend === 'wasm' && (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const inUse =
      t.backend === 'wasm' ? `wasm — ${simd ? 'SIMD' : 'no SIMD'}, 1 thread (Node)`
      : t.backend === 'webgpu' ? `WebGPU on Dawn (Node) — ${describeAdapter(nodeWebGpuAdapter()!)}`
      : 'plain JavaScript (Node)';
    const row = rowFrom(p, m, matmul.get(t.id)!, inUse);
    const gpuErrors = t.backend === 'webgpu' ? takeWebGpuErrors() : [];
    if (gpuErrors.length) Object.assign(row, { gpu_errors: gpuErrors.length, error: `WebGPU reported ${gpuErrors.length} uncaptured error(s) during the row, so some work was dropped and the figures are not valid (first: ${gpuErrors[0].split('\n')[0]})` });
    return row;
  }
  const init = await chromiumInit(t);
  if (!inits.has(t.id)) inits.set(t.id, init);
  if (!init.ok) return emptyRow(p, { error: `${t.backend} could not be initialised in Chromium: ${init.error}` });
  if (!browserInfo && !t.allCores) browserInfo = await pageCall(t, 'info', [], 60_000); // early: a later crashed page cannot answer
  if (!matmul.has(t.id)) matmul.set(t.id, await pageCall(t, 'matmul', [3], 600_000));
  if (t.backend === 'wasm' && !attention.has(t.id)) attention.set(t.id, await pageCall(t, 'attention', [3], 600_000));
  const m = await pageCall(t, 'row', [{ model: p.model, method: p.method, seq: p.seq } satisfies RowPlan, o], Math.max(300_000, MAX_STEP_MS * (STEPS + 3)));
  const row = rowFrom(p, m, matmul.get(t.id)!, init.backend_in_use);
  row.threads = init.threads ?? null;
  if (m.gpu_errors) {
    // Figures kept but labelled: a dropped command batch makes the step look cheaper than it is.
    Object.assign(row, { gpu_errors: m.gpu_errors, error: `WebGPU reported ${m.gpu_errors} uncaptured error(s) during the row, so some work was dropped and the figures are not valid (first: ${m.gpu_error_first})` });
  }
  return row;
}

function skipReason(p: Planned): string | null {
  if (Date.now() > DEADLINE) return `not reached: the run's time budget (--max-minutes) was used up`;
  if (p.target.id === 'node-cpu' && p.model !== 'tiny-bert') {
    const [c, w] = [matmul.get('node-cpu'), matmul.get('node-wasm')];
    return `the plain-JS cpu backend (the last resort) runs tiny-bert only${c && w ? `: its matmul is ${c.toFixed(2)} GFLOP/s against wasm's ${w.toFixed(1)}` : ''}`;
  }
  const seen = achieved.get(`${p.target.id}|${p.method}`) ?? achieved.get(p.target.id);
  if (seen) {
    const predicted = flops(p.shape, p.method, p.seq) / (seen.gflops * 1e9) * 1000;
    if (predicted > MAX_STEP_MS) return `predicted ≈ ${(predicted / 1000).toFixed(0)} s/step at ${seen.gflops.toFixed(2)} GFLOP/s (best so far, ${seen.from}) > --max-step-seconds ${MAX_STEP_MS / 1000}`;
  }
  return null;
}

/** The thread count a row computed with: tfjs-wasm's in Chromium, 1 everywhere else. */
const threadsOf = (r: Row) => (typeof r.threads === 'number' && r.threads > 0 ? r.threads : 1);

/**
 * On wasm, LoRA's step again right after the full row, on the same model in the same process or page: the budget
 * LoRA ≤ 0.7 of full is a ratio, and this machine is shared. The LoRA row of the table ran a minute or more earlier,
 * and in three full runs one of its rows was 35-55 % slower than the same step timed alone (MiniLM-L6 at seq 64:
 * 1685-1933 ms in the run, 1229-1263 alone), a different pair each time. Seconds apart, both rows see the same machine.
 */
async function loraBeside(full: Planned, fullRow: Row): Promise<void> {
  if (typeof fullRow.ms_per_step !== 'number' || fullRow.error || Date.now() > DEADLINE) return;
  try {
    const l = await runTarget({ ...full, method: 'lora' }, { steps: STEPS, budgetMs: ROW_MS });
    if (typeof l.ms_per_step !== 'number' || l.error) return;
    Object.assign(fullRow, {
      lora_beside_ms: l.ms_per_step, lora_beside_steps: l.steps_timed, lora_beside_leaked: l.leaked_tensors,
      lora_over_full: round(l.ms_per_step / fullRow.ms_per_step, 3),
    });
    log(`${full.target.id} ${full.model} lora seq ${full.seq}, right after full: ${l.ms_per_step} ms/step (${fullRow.lora_over_full} of full)`);
  } catch (e) {
    log(`${full.target.id} ${full.model} lora seq ${full.seq}, right after full: error — ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

const t0 = performance.now();
const byCase = new Map<string, Planned[]>();
for (const p of plan) byCase.set(`${p.model}|${p.method}|${p.seq}`, [...(byCase.get(`${p.model}|${p.method}|${p.seq}`) ?? []), p]);
for (const [, group] of byCase) {
  const caseRows: Row[] = [];
  for (const p of group) {
    const why = skipReason(p);
    if (why) {
      caseRows.push(emptyRow(p, { skipped: why }));
      log(`${p.target.id} ${p.model} ${p.method} seq ${p.seq}: skipped — ${why}`);
      continue;
    }
    try {
      const r = await runTarget(p, { steps: STEPS, budgetMs: ROW_MS });
      r.load1 = round(loadavg()[0], 2); // the machine is shared: the 1-minute load average when the row ended
      caseRows.push(r);
      if (typeof r.gflops === 'number' && !r.error) {
        for (const key of [`${p.target.id}|${p.method}`, p.target.id]) {
          const prev = achieved.get(key);
          if (!prev || r.gflops > prev.gflops) achieved.set(key, { gflops: r.gflops, from: `${p.model} ${p.method} seq ${p.seq}` });
        }
      }
      log(`${p.target.id} ${p.model} ${p.method} seq ${p.seq}: ${r.ms_per_step ?? '—'} ms/step${r.steps_timed ? ` (${r.steps_timed} timed)` : ''}${r.error ? ` — ${r.error}` : ''}`);
      if (p.method === 'full' && p.target.backend === 'wasm' && methods.includes('lora')) await loraBeside(p, r);
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      caseRows.push(emptyRow(p, { error: msg }));
      log(`${p.target.id} ${p.model} ${p.method} seq ${p.seq}: error — ${msg}`);
    }
  }
  // PyTorch for this (model, method, seq) when at least one tfjs row of it ran, at each thread count the rows used.
  const threadCounts = new Set(caseRows.filter((r) => typeof r.ms_per_step === 'number').map((r) => threadsOf(r)));
  for (const threads of threadCounts) {
    try {
      const t = await torchCase(group[0], threads);
      if (typeof t.torch_ms_per_step === 'number') {
        for (const r of caseRows.filter((x) => threadsOf(x) === threads)) {
          r.torch_ms_per_step = round(t.torch_ms_per_step);
          r.torch_threads = threads;
          r.torch_steps_timed = t.torch_steps_timed;
          if (typeof r.ms_per_step === 'number') r.ratio_vs_torch = round(r.ms_per_step / t.torch_ms_per_step, 2);
        }
        log(`torch ${group[0].model} ${group[0].method} seq ${group[0].seq} (${threads} thread${threads > 1 ? 's' : ''}): ${t.torch_ms_per_step.toFixed(1)} ms/step`);
      } else log(`torch ${group[0].model} ${group[0].method} seq ${group[0].seq}: ${t.error}`);
    } catch (e) {
      torchInfo.error = e instanceof Error ? e.message : String(e);
      log(`PyTorch side skipped: ${torchInfo.error}`);
    }
  }
  rows.push(...caseRows);
}

// ---- machine, shutdown -----------------------------------------------------------------------------------------
const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  memory_gb: round(totalmem() / 2 ** 30, 1),
  os: `${platform()} ${release()}`,
  node: process.version,
  tfjs: tf.version.tfjs,
  torch: torchInfo.torch ?? null,
  torch_blas: torchInfo.blas ?? null,
  torch_malloc: TORCH_MALLOC,
  torch_error: torchInfo.error,
  chromium: side?.browser.isConnected() ? side.browser.version() : null,
  chromium_flags: side ? chromiumFlags : null,
  browser: browserInfo,
  backends_in_use: Object.fromEntries([...inits].map(([id, r]) => [id, r.ok ? r.backend_in_use : `unavailable: ${r.error}`])),
  matmul_gflops: Object.fromEntries([...matmul].map(([k, v]) => [k, round(v, 2)])),
  attention_gflops: Object.fromEntries([...attention].map(([k, v]) => [k, round(v, 2)])),
  batch: BATCH,
  steps_max: STEPS,
  row_budget_s: ROW_MS / 1000,
  max_step_s: MAX_STEP_MS / 1000,
  quick,
  started: startedAt.toISOString(),
  wall_s: round((performance.now() - t0) / 1000, 0),
  loadavg_start: round(load0, 2),
  loadavg_end: round(loadavg()[0], 2),
  notes: 'tfjs-wasm runs one thread in Node; in Chromium the page is cross-origin isolated and runs the threaded build with the thread count the app picks (every logical core but one: chromium-wasm), and, for chromium-wasm-mt, one thread per logical core (the page claims one core more than the machine has). Each row\'s PyTorch step uses the row\'s thread count (torch_threads); matmul_gflops.torch is PyTorch\'s 1024×1024 matmul on one thread, torch-Nt on N. The bench reads every step\'s loss back to time it; readbacks_per_step counts only reads made inside trainStep.',
};
if (side) {
  await side.browser.close().catch(() => {});
  await side.server.close().catch(() => {});
  rmSync(side.outDir, { recursive: true, force: true });
}
torchProc?.stdin.end();

// ---- output ----------------------------------------------------------------------------------------------------
// With --json, stdout carries the JSON line alone (bench/report.ts and `> file` read it); the tables go to stderr.
const say = (line: string): void => void (asJson ? process.stderr.write(`${line}\n`) : console.log(line));
const cols: [string, string][] = [
  ['model', 'model'], ['method', 'method'], ['target', 'backend'], ['seq', 'seq'], ['ms_per_step', 'ms/step'], ['spread_ms', 'spread'], ['steps_timed', 'steps'],
  ['tokens_per_s', 'tokens/s'], ['gflops', 'GFLOP/s'], ['matmul_gflops', 'matmul GFLOP/s'], ['efficiency', 'eff.'], ['peak_bytes', 'peak bytes'],
  ['leaked_tensors', 'leaked'], ['dispatches_per_step', 'dispatches/step'], ['readbacks_per_step', 'readbacks/step'], ['uploads_per_step', 'uploads/step'],
  ['torch_ms_per_step', 'torch ms/step'], ['ratio_vs_torch', 'ratio vs torch'],
];
const cell = (r: Row, c: string) => (r[c] === null || r[c] === undefined ? '—' : String(r[c]));
const note = (r: Row) => (r.skipped ? `skipped: ${r.skipped}` : r.error ? `error: ${r.error}` : '');
if (asMarkdown) {
  say(`| ${cols.map(([, h]) => h).join(' | ')} | note |`);
  say(`|${cols.map(() => '---').join('|')}|---|`);
  for (const r of rows) say(`| ${cols.map(([c]) => cell(r, c)).join(' | ')} | ${note(r)} |`);
} else {
  const table = [cols.map(([, h]) => h), ...rows.map((r) => cols.map(([c]) => cell(r, c)))];
  const widths = cols.map((_, i) => Math.max(...table.map((t) => t[i].length)));
  for (const [i, t] of table.entries()) say(`${t.map((v, j) => v.padEnd(widths[j])).join('  ')}${i ? `  ${note(rows[i - 1])}` : ''}`.trimEnd());
}
say('');
for (const l of rows.filter((r) => r.method === 'lora' && typeof r.ms_per_step === 'number')) {
  const f = fullRowFor(rows, l, (r) => typeof r.ms_per_step === 'number');
  if (f) say(`LoRA/full step cost ${l.model} ${l.target} seq ${l.seq}: ${loraOverFull(l, f).toFixed(2)}${typeof f.lora_over_full === 'number' ? ' (LoRA timed right after full)' : ''} (budget ≤ 0.7)`);
}
for (const [id, r] of inits) say(`${id}: ${r.ok ? r.backend_in_use : `unavailable — ${r.error}`}`);
// The matmul ceilings side by side: a step made of matmuls cannot beat PyTorch by more than their ratio allows.
const torchMatmul = matmul.get('torch');
if (matmul.size) {
  const each = [...matmul].map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
  const wasm = [...matmul].filter(([k]) => k.endsWith('wasm')).map(([k, v]) => `${k} ${(torchMatmul! / v).toFixed(2)}`);
  say(`1024×1024 matmul GFLOP/s: ${each}${torchMatmul && wasm.length ? `; PyTorch's matmul is faster by ${wasm.join(', ')}×` : ''}`);
  if (attention.size) say(`attention's batched products (MiniLM-L6 q·kᵀ and probs·v, seq 128), GFLOP/s: ${[...attention].map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
}
if (asJson) console.log(JSON.stringify({ rows, machine }));
process.exit(0);
