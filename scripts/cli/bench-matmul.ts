// `npx tsx scripts/cli/bench-matmul.ts [--kit] [--shapes 1024x1024x1024,4096x4096x4096,2048x384x1536] [--reps 10] [--budget-ms 3000] [--json FILE]`
// tfjs-webgpu's matmul beside ours (src/runtime/webgpu-matmul.ts) on WebGPU in Node, product shape by product shape
// (bench/matmul-modes.ts: `[B*]MxKxN[:nn|nt|tn|tt]`, e.g. 2048x1536x384:nt for a linear's dx = dy·Wᵀ, or
// 768*128x64x128:nt for attention's q·kᵀ at 64 sequences × 12 heads): GFLOP/s of each, their ratio and the largest
// difference between their results. What it prints is what setWebGpuMatMulRule should follow under 'auto' (the
// rule is the GPU session's to write; on a software adapter the figures say nothing about a GPU). `--kit`: the GPU
// kit's products and settings (bench/matmul-modes.ts KIT_MATMUL, software or GPU by the adapter). Never judged.
import { writeFileSync } from 'node:fs';
import { useBackend, nodeWebGpuAdapter } from '../../src/runtime/tf-node';
import { describeAdapter, isSoftwareAdapter } from '../../src/runtime/backend';
import { takeWebGpuErrors } from '../../src/runtime/webgpu-fixes';
import { compareMatMul, KIT_MATMUL, parseMatMulCase, type MatMulComparison } from '../../bench/matmul-modes';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
await useBackend('webgpu');
const adapter = nodeWebGpuAdapter();
const software = !adapter || isSoftwareAdapter(adapter);
const kit = argv.includes('--kit') ? KIT_MATMUL[software ? 'software' : 'gpu'] : null;
const cases = (opt('--shapes')?.split(',') ?? kit?.shapes ?? ['1024x1024x1024', '4096x4096x4096', '2048x384x1536']).map(parseMatMulCase);
const reps = Number(opt('--reps') ?? kit?.reps ?? 10);
const budgetMs = Number(opt('--budget-ms') ?? kit?.budgetMs ?? 3000);
console.log(`WebGPU in Node on ${adapter ? describeAdapter(adapter) : 'an unknown adapter'}; ${reps} products per round, ${budgetMs} ms per shape`);
const g = (x: number) => x.toPrecision(3);
const results: MatMulComparison[] = [];
for (const c of cases) {
  const r = await compareMatMul(c, { reps, budgetMs });
  const errors = takeWebGpuErrors();
  if (errors.length) throw new Error(`WebGPU errors on ${r.shape}: ${errors.join('; ')}`);
  results.push(r);
  console.log(`${r.shape}: tfjs ${g(r.tfjs_gflops)} GFLOP/s, own ${g(r.own_gflops)} (${r.ratio.toFixed(2)}×), max |diff| ${r.max_abs_diff.toExponential(1)} of ${r.max_abs_value.toFixed(1)}, ${r.rounds} rounds`);
}
console.log('\n| product | tfjs GFLOP/s | own GFLOP/s | own / tfjs | max abs diff |\n|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.shape} | ${g(r.tfjs_gflops)} | ${g(r.own_gflops)} | ${r.ratio.toFixed(2)} | ${r.max_abs_diff.toExponential(1)} |`);
const json = opt('--json');
if (json) writeFileSync(json, JSON.stringify({ adapter, results }, null, 2) + '\n');
