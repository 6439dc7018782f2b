// `npx tsx bench/report.ts FILE`: turns the JSON line that `npm run bench -- --json` prints last (FILE holds the
// bench's stdout) into the Markdown of bench/RESULTS.md: the machine, the table, and each budget of issue 7 with
// the figures that decide it. Figures only: nothing here is typed by hand.
import { readFileSync } from 'node:fs';
import { fullRowFor, loraOverFull } from './lora-pairs';

type Row = Record<string, unknown> & { model: string; method: string; target: string; seq: number; ms_per_step: number | null };
const file = process.argv[2];
if (!file) throw new Error('usage: tsx bench/report.ts BENCH_STDOUT_FILE');
const last = readFileSync(file, 'utf8').trim().split('\n').filter((l) => l.startsWith('{"rows"')).pop();
if (!last) throw new Error(`${file}: no {"rows": …} line (run the bench with --json)`);
const { rows, machine } = JSON.parse(last) as { rows: Row[]; machine: Record<string, unknown> };
const ok = (r: Row) => typeof r.ms_per_step === 'number' && !r.error;
const out: string[] = [];
const p = (s = '') => out.push(s);
const fmt = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'number' ? String(v) : String(v));
const mb = (b: unknown) => (typeof b === 'number' ? (b / 2 ** 20).toFixed(1) : '—');

// ---- machine
const m = machine as Record<string, any>;
p('## Machine');
p();
p(`- ${m.cpus} cores (${m.cpu}), ${m.memory_gb} GiB, ${m.os}; load average ${m.loadavg_start} at the start, ${m.loadavg_end} at the end (other work shares this machine).`);
p(`- Node ${m.node}, tfjs ${m.tfjs}; PyTorch ${m.torch} (Debian; BLAS \`${m.torch_blas ?? '?'}\`), on each row's thread count (\`threads\` column)${m.torch_malloc ? `, glibc malloc told to keep freed memory (${Object.entries(m.torch_malloc).map(([k, v]) => `${k}=${v}`).join(' ')}: scripts/cli/bench.ts says why)` : ''}; Chromium ${m.chromium ?? '—'} headless.`);
for (const [id, what] of Object.entries(m.backends_in_use ?? {})) p(`- \`${id}\`: ${what}`);
if (m.browser?.webgpu_adapter) p(`- WebGPU adapter facts: ${JSON.stringify(m.browser.webgpu_adapter)} — a software (CPU) implementation, not a GPU.`);
p(`- 1024×1024 matmul, GFLOP/s, same run: ${Object.entries(m.matmul_gflops ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
if (m.attention_gflops && Object.keys(m.attention_gflops).length) p(`- The attention's batched products (MiniLM-L6's q·kᵀ and probs·v at seq 128, batch 16, as a step runs them: on wasm the in-place attention's forward and backward kernels, whose softmax and its gradient count against the six products' FLOPs; bench/shared.ts \`attentionGflops\`), GFLOP/s, same run: ${Object.entries(m.attention_gflops).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
p(`- Batch ${m.batch}; per row one warm-up step, then up to ${m.steps_max} timed steps, fewer once they took ${m.row_budget_s} s (\`steps\` column); rows predicted slower than ${m.max_step_s} s/step are listed as skipped. Run started ${m.started}, took ${Math.round((m.wall_s ?? 0) / 60)} min.`);
p(`- ${m.notes}`);
p();

// ---- table
p('## Rows');
p();
const cols: [string, string][] = [
  ['model', 'model'], ['method', 'method'], ['target', 'backend'], ['threads', 'threads'], ['seq', 'seq'], ['ms_per_step', 'ms/step'], ['spread_ms', 'spread'], ['steps_timed', 'steps'],
  ['tokens_per_s', 'tokens/s'], ['gflops', 'GFLOP/s'], ['efficiency', 'eff.'], ['peak_bytes', 'peak MiB'], ['leaked_tensors', 'leaked'],
  ['dispatches_per_step', 'dispatches'], ['readbacks_per_step', 'reads'], ['upload_bytes_per_step', 'upload MiB'], ['torch_ms_per_step', 'torch ms'], ['ratio_vs_torch', 'vs torch'],
];
p(`| ${cols.map(([, h]) => h).join(' | ')} | note |`);
p(`|${cols.map(() => '---').join('|')}|---|`);
for (const r of rows) {
  const cells = cols.map(([c]) => (c === 'peak_bytes' || c === 'upload_bytes_per_step' ? mb(r[c]) : c === 'threads' ? fmt(r.threads ?? (r.target === 'node-wasm' || r.target === 'chromium-wasm' ? 1 : null)) : fmt(r[c])));
  const note = r.skipped ? `skipped: ${r.skipped}` : r.error ? `error: ${r.error}` : '';
  p(`| ${cells.join(' | ')} | ${note} |`);
}
p();
p('`eff.` is achieved GFLOP/s (analytic count, bench/shared.ts `flops`) over the same backend\'s matmul GFLOP/s. `dispatches`: WebGPU compute dispatches recorded, WebGL shader programs run, wasm/cpu kernels called. `reads`: backend reads made inside `trainStep` (the bench\'s own loss read per step is not counted). `upload MiB`: host data written to the backend per step (not counted on cpu, where every kernel output is such a write).');
p();

// ---- budgets
const besideNote = rows.some((r) => typeof r.lora_over_full === 'number')
  ? ' On wasm the LoRA step in each ratio is timed again right after the full row, on the same model in the same process or page (the machine is shared; the table\'s LoRA row ran a minute or more earlier), and the ratio of the two table rows follows in brackets.'
  : '';
/** A LoRA/full pair as a budget cell (with the table rows' ratio beside it when the LoRA step was timed again after
 * full), and whether it is within 0.7. */
function loraPair(l: Row, f: Row): { cell: string; holds: boolean } {
  const ratio = loraOverFull(l, f);
  const rowsRatio = (l.ms_per_step as number) / (f.ms_per_step as number);
  const beside = typeof f.lora_over_full === 'number' ? ` (${(f.lora_beside_ms as number).toFixed(1)} / ${(f.ms_per_step as number).toFixed(1)} ms; rows ${rowsRatio.toFixed(3)})` : '';
  return { cell: `${l.model} ${l.target} seq ${l.seq}: ${ratio.toFixed(3)}${ratio <= 0.7 ? '' : ' ✗'}${beside}`, holds: ratio <= 0.7 };
}

p('## Budgets (issue 7)');
p();
const pairs: string[] = [];
let held = 0;
let total = 0;
for (const l of rows.filter((r) => r.method === 'lora' && ok(r))) {
  const f = fullRowFor(rows, l, ok);
  if (!f) continue;
  const pair = loraPair(l, f);
  total++;
  if (pair.holds) held++;
  pairs.push(pair.cell);
}
p(`- **LoRA step ≤ 0.7 of a full step, same backend**: holds in ${held} of ${total} measured pairs. ${pairs.join('; ')}.${besideNote}`);
const reads = new Map<string, number[]>();
for (const r of rows.filter(ok)) reads.set(r.target, [...(reads.get(r.target) ?? []), r.readbacks_per_step as number]);
const sites = new Map<string, string>();
for (const r of rows.filter(ok)) if (r.readback_sites && Object.keys(r.readback_sites as object).length) sites.set(r.target, Object.entries(r.readback_sites as Record<string, number>).map(([k, v]) => `${k} ×${v}`).join(', '));
p(`- **≤ 1 readback per 10 steps**: reads inside one \`trainStep\`, per backend (min–max over rows): ${[...reads].map(([t, v]) => `${t} ${Math.min(...v)}–${Math.max(...v)}${sites.has(t) ? ` (${sites.get(t)})` : ''}`).join('; ')}. The app adds one loss read per 10 steps (\`lossReadEvery\`); the bench itself reads the loss every step to time it, and that read is not in these counts.`);
// The LoRA steps timed again after a full row count too (lora_beside_leaked on that full row).
const rowLeaks = rows.filter(ok).map((r) => ({ what: `${r.model} ${r.method} ${r.target} seq ${r.seq}`, n: r.leaked_tensors as number }));
const besideLeaks = rows.filter((r) => ok(r) && typeof r.lora_beside_leaked === 'number').map((r) => ({ what: `${r.model} lora ${r.target} seq ${r.seq} (after full)`, n: r.lora_beside_leaked as number }));
const leaky = [...rowLeaks, ...besideLeaks].filter((c) => c.n > 0);
p(`- **Zero leaked tensors**: ${leaky.length === 0 ? `holds — 0 in all ${rowLeaks.length} measured rows${besideLeaks.length ? ` and in ${besideLeaks.length} LoRA row${besideLeaks.length > 1 ? 's' : ''} timed again after full` : ''}` : `does not hold — max ${Math.max(...leaky.map((c) => c.n))} (${leaky.map((c) => `${c.what}: ${c.n}`).join('; ')})`}.`);
const wasmLora = rows.filter((r) => r.model === 'minilm-l6' && r.method === 'lora' && r.backend === 'wasm' && ok(r));
p(`- **wasm MiniLM-L6 LoRA step no slower than PyTorch (ratio ≤ 1.0)**: ${wasmLora.length ? (wasmLora.every((r) => (r.ratio_vs_torch as number) <= 1) ? 'holds' : 'does not hold') : 'not measured'} — ${wasmLora.map((r) => `${r.target} seq ${r.seq}: ${r.ms_per_step} ms vs ${r.torch_ms_per_step} ms on ${r.torch_threads ?? 1} thread(s) = ${r.ratio_vs_torch}`).join('; ')}.`);
const mm = (m.matmul_gflops ?? {}) as Record<string, number>;
if (mm.torch) p(`- **The matmul ceiling behind that ratio**, 1024×1024 GFLOP/s in the same run: ${Object.entries(mm).filter(([k]) => k.includes('wasm') || k.startsWith('torch')).map(([k, v]) => `${k} ${v}`).join(', ')}. PyTorch's one-thread matmul is ${(mm.torch / (mm['chromium-wasm'] ?? mm['node-wasm'])).toFixed(2)}× tfjs-wasm's, so a step made mostly of matmuls cannot reach ratio 1.0 on wasm here.`);
const disp = rows.filter((r) => r.method === 'lora' && ok(r)).map((r) => `${r.model} ${r.target} seq ${r.seq}: ${r.dispatches_per_step}`);
p(`- **Dispatches per step** (LoRA rows; counted, no budget figure in the issue): ${disp.join('; ')}.`);
const ups = rows.filter((r) => r.method === 'lora' && ok(r) && typeof r.upload_bytes_per_step === 'number').map((r) => {
  const lu = r.largest_upload as { bytes: number; shape: number[]; during: string } | null;
  return `${r.model} ${r.target} seq ${r.seq}: ${r.uploads_per_step} uploads, ${mb(r.upload_bytes_per_step)} MiB${lu ? ` (largest ${JSON.stringify(lu.shape)})` : ''}`;
});
p(`- **Uploads per step** (LoRA rows): ${ups.join('; ')}.`);

// ---- issue 20's budgets: the wasm CPU path
p();
p('## Budgets (issue 20: the wasm CPU path)');
/** A budget line, without the empty figure list of a budget this run did not measure. */
const q = (line: string) => p(line.replace(' — .', '.'));
p();
const oneThread = rows.filter((r) => r.model === 'minilm-l6' && r.method === 'lora' && r.target === 'chromium-wasm' && ok(r));
const ratioHeld = oneThread.length > 0 && oneThread.every((r) => (r.ratio_vs_torch as number) <= 2.5);
q(`- **MiniLM-L6 LoRA on Chromium wasm, one thread, batch 16: ≤ 2.5× one-thread PyTorch at seq 32, 64 and 128**: ${oneThread.length ? (ratioHeld ? 'holds' : 'does not hold') : 'not measured'} — ${oneThread.map((r) => `seq ${r.seq}: ${r.ms_per_step} ms vs ${r.torch_ms_per_step} ms = ${r.ratio_vs_torch}${(r.ratio_vs_torch as number) <= 2.5 ? '' : ' ✗'}`).join('; ')}.`);
const att = Object.entries((m.attention_gflops ?? {}) as Record<string, number>);
q(`- **Attention's batched products ≥ 15 GFLOP/s**: ${att.length ? (att.every(([, v]) => v >= 15) ? 'holds' : 'does not hold') : 'not measured'} — ${att.map(([k, v]) => `${k} ${v}${v >= 15 ? '' : ' ✗'}`).join('; ')}.`);
const effRows = rows.filter((r) => r.model === 'minilm-l6' && r.method === 'lora' && r.backend === 'wasm' && ok(r));
const effOne = effRows.filter((r) => r.target !== 'chromium-wasm-mt');
const effMt = effRows.filter((r) => r.target === 'chromium-wasm-mt');
const effCell = (r: Row) => `${r.target} seq ${r.seq}: ${r.efficiency}${(r.efficiency as number) >= 0.7 ? '' : ' ✗'}`;
q(`- **Step efficiency ≥ 0.7 of the backend's own 1024² matmul rate** (MiniLM-L6 LoRA, wasm rows, one thread): ${effOne.length ? (effOne.every((r) => (r.efficiency as number) >= 0.7) ? 'holds' : 'does not hold') : 'not measured'} — ${effOne.map(effCell).join('; ')}.${effMt.length ? ` On several threads (\`chromium-wasm-mt\`, where the 1024² product, like every product of at least 2²⁴ multiply-adds, runs on the project's module on every thread through its pool, src/runtime/batch-matmul/pool.ts): ${effMt.map(effCell).join('; ')}.` : ''}`);
const wasmPairs = rows.filter((r) => r.method === 'lora' && r.backend === 'wasm' && r.model !== 'tiny-bert' && ok(r)).flatMap((l) => {
  const f = fullRowFor(rows, l, ok);
  return f ? [loraPair(l, f)] : [];
});
q(`- **LoRA ≤ 0.7 of full at the same shape** (wasm rows of the real-sized models; tiny-bert's above): ${wasmPairs.length ? (wasmPairs.every((x) => x.holds) ? 'holds' : 'does not hold') : 'not measured'} — ${wasmPairs.map((x) => x.cell).join('; ')}.`);
console.log(out.join('\n'));
