// The project's products on one thread (off) or on every wasm thread (on: src/runtime/batch-matmul/pool.ts), in
// Chromium's threaded wasm build on every logical core (the bench's chromium-wasm-mt page: it claims one core more
// than the machine has, so the app's "every core but one" is every core), alternating in one page so a slow minute
// of this shared machine hits both sides:
//   npx tsx bench/pool-ab.ts [--steps 3] [--rounds 3] [--pooled-2d on|off] [--split-min MACS] [--unsplit xnnpack|transposed|all] [--rules RULE,RULE] [--profile|--profile-shapes] model:method:seq ...
// --profile: the first round's rows also profile one step each (wall time per kernel name, tf.profile);
// --profile-shapes: the same, with products apart by shape.
// --rules A,B: both sides on every thread, side one with unshared 2-D products under rule A, side two under rule B
// (src/runtime/wasm-batch-matmul.ts's UnsplitRule) instead of one thread against every thread; RULE@MACS also sets
// the size from which products are cut (else --split-min's, else 2^24); one:RULE runs that side with the pool stopped.
// Prints one JSON line per row and one summary line per configuration.
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, preview } from 'vite';
import { chromium } from 'playwright';
import { chromiumArgs, chromiumPath } from '../scripts/chromium.mjs';
import { tfjsWasmThreads } from '../scripts/vite-wasm-threads';
import { median } from './shared';
import { takeOption } from './take-option';

const args = process.argv.slice(2);
const take = (name: string, dflt: string) => takeOption(args, name, dflt);
const steps = Number(take('--steps', '3'));
const rounds = Number(take('--rounds', '3'));
const pooled2d = take('--pooled-2d', 'on') === 'on';
const splitMin = take('--split-min', '');
const unsplit = take('--unsplit', '');
const rules = take('--rules', '');
const profile = args.includes('--profile') ? true : args.includes('--profile-shapes') ? 'shapes' : false;
for (const flag of ['--profile', '--profile-shapes']) if (args.includes(flag)) args.splice(args.indexOf(flag), 1);

const root = resolve('bench/browser');
const outDir = mkdtempSync(join(tmpdir(), 'tabtune-pool-ab-'));
await build({ configFile: false, root, base: './', logLevel: 'error', publicDir: false, plugins: [tfjsWasmThreads()], worker: { format: 'es' }, build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 8000, reportCompressedSize: false } });
const server = await preview({ configFile: false, root, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } } });
const url = server.resolvedUrls?.local[0] ?? '';
const browser = await chromium.launch({ executablePath: chromiumPath(), args: [...chromiumArgs(), '--no-sandbox'], headless: true });
try {
  const page = await browser.newPage();
  await page.addInitScript((n) => Object.defineProperty(navigator, 'hardwareConcurrency', { value: n, configurable: true }), cpus().length + 1);
  page.on('pageerror', (e) => console.error(`[page] ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => 'tabtuneBench' in globalThis, null, { timeout: 120_000 });
  const call = (expr: string) => page.evaluate(`globalThis.tabtuneBench.${expr}`);
  const init = await call(`init('wasm')`) as { ok: boolean; backend_in_use: string; error?: string };
  if (!init.ok) throw new Error(`wasm did not start: ${init.error}`);
  await call(`setPooled2d(${pooled2d})`);
  if (splitMin) await call(`setSplitMinMacs(${Number(splitMin)})`);
  if (unsplit) await call(`setUnsplitProducts(${JSON.stringify(unsplit)})`);
  console.log(JSON.stringify({ backend_in_use: init.backend_in_use, pooled_2d: pooled2d, split_min_macs: splitMin || 'default', unsplit: unsplit || 'default' }));
  for (const spec of args) {
    const [model, method, seqText] = spec.split(':');
    const plan = { model, method, seq: Number(seqText) };
    // A rule written one:RULE runs its side with the products on one thread (the pool stopped).
    const sides = rules ? rules.split(',').map((r) => (r.startsWith('one:') ? { on: false, rule: r.slice(4), label: `one thread, ${r.slice(4)}` } : { on: true, rule: r, label: `every thread, ${r}` }))
      : [{ on: false, rule: '', label: 'one thread' }, { on: true, rule: '', label: 'every thread' }];
    const ms: number[][] = sides.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (const [i, side] of sides.entries()) {
        const threads = await call(`productThreads(${side.on})`);
        if (side.rule) {
          const [rule, macs] = side.rule.split('@');
          await call(`setUnsplitProducts(${JSON.stringify(rule)})`);
          await call(`setSplitMinMacs(${Number(macs || splitMin || 2 ** 24)})`);
        }
        const wallProfile = r === 0 && profile;
        const m = await call(`row(${JSON.stringify(plan)}, ${JSON.stringify({ steps, budgetMs: 1e9, wallProfile })})`) as { ms_per_step: number; leaked_tensors: number; wall_profile?: { name: string; dispatches: number; ms: number }[] };
        ms[i].push(m.ms_per_step);
        console.log(JSON.stringify({ ...plan, product_threads: threads, ...(side.rule ? { unsplit: side.rule } : {}), round: r, ms_per_step: +m.ms_per_step.toFixed(1), leaked: m.leaked_tensors }));
        if (m.wall_profile) console.log(`  one step under tf.profile, ${side.label}: ${m.wall_profile.slice(0, profile === 'shapes' ? 40 : 12).map((k) => `${k.name} ×${k.dispatches} ${k.ms.toFixed(1)} ms`).join(profile === 'shapes' ? '\n    ' : ', ')}`);
      }
    }
    const [a, b] = ms.map((x) => median([...x].sort((p, q) => p - q)));
    console.log(`pool ${model} ${method} seq ${plan.seq}: ${sides[0].label} ${a.toFixed(1)} ms, ${sides[1].label} ${b.toFixed(1)} ms (medians of ${rounds} rows of ${steps} steps), second/first ${(b / a).toFixed(3)}`);
  }
} finally {
  await browser.close();
  await new Promise<void>((r) => server.httpServer.close(() => r()));
  rmSync(outDir, { recursive: true, force: true });
}
