// `npx tsx scripts/cli/bench-optimizer.ts [--models tiny-bert] [--methods head,lora,full] [--seq 32] [--steps 3] [--rounds 2]`
// Before/after of the fused WebGPU AdamW + clip factor (src/train/adamw-webgpu.ts) in one run: the bench's real
// training step (bench/shared.ts measureRow) on tfjs WebGPU in Node, each row once with the optimizer as tfjs ops
// and once fused, in the order unfused, fused, fused, unfused… (`--rounds` pairs) so drift on a shared machine
// falls on both. Prints dispatches per step (recordAndSubmit calls), ms per step and the CPU time encoding the step
// (medians over the rounds), and the fused/unfused ratios. Figures, never judged.
import { useBackend, nodeWebGpuAdapter } from '../../src/runtime/tf-node';
import { takeWebGpuErrors } from '../../src/runtime/webgpu-fixes';
import { describeAdapter } from '../../src/runtime/backend';
import type { Method } from '../../src/model/types';
import { measureRow, median, randomModel, shapeByName, type Measured } from '../../bench/shared';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const models = (opt('--models') ?? 'tiny-bert').split(',');
const methods = (opt('--methods') ?? 'head,lora,full').split(',') as Method[];
const seq = Number(opt('--seq') ?? 32);
const steps = Number(opt('--steps') ?? 3);
const rounds = Number(opt('--rounds') ?? 2);

await useBackend('webgpu');
const adapter = nodeWebGpuAdapter();
console.log(`WebGPU in Node on ${adapter ? describeAdapter(adapter) : 'an unknown adapter'}; seq ${seq}, ${steps} timed steps per row, ${rounds} rounds`);
const table: string[] = [];
for (const model of models) {
  const shape = shapeByName(model);
  for (const method of methods) {
    const got: Record<'unfused' | 'fused', Measured[]> = { unfused: [], fused: [] };
    for (let r = 0; r < rounds; r++) {
      for (const fused of r % 2 ? [true, false] : [false, true]) {
        const m = await measureRow(randomModel(shape), shape, { model, method, seq, fusedOptimizer: fused }, { steps, budgetMs: 60_000 });
        const errors = takeWebGpuErrors();
        if (errors.length) throw new Error(`WebGPU errors in ${model} ${method} ${fused ? 'fused' : 'unfused'}: ${errors.join('; ')}`);
        if (m.leaked_tensors !== 0) throw new Error(`${model} ${method} ${fused ? 'fused' : 'unfused'} leaked ${m.leaked_tensors} tensors per row`);
        got[fused ? 'fused' : 'unfused'].push(m);
        console.log(`${model} ${method} ${fused ? 'fused  ' : 'unfused'}: ${m.dispatches_per_step} dispatches, ${m.ms_per_step.toFixed(1)} ms/step, encode ${m.encode_ms.toFixed(1)} ms`);
      }
    }
    const med = (xs: Measured[], f: (m: Measured) => number) => median(xs.map(f).sort((a, b) => a - b));
    const [du, df] = [got.unfused, got.fused].map((xs) => med(xs, (m) => m.dispatches_per_step));
    const [mu, mf] = [got.unfused, got.fused].map((xs) => med(xs, (m) => m.ms_per_step));
    const [eu, ef] = [got.unfused, got.fused].map((xs) => med(xs, (m) => m.encode_ms));
    table.push(`| ${model} | ${method} | ${du} | ${df} | ${du - df} | ${mu.toFixed(0)} | ${mf.toFixed(0)} | ${(mf / mu).toFixed(2)} | ${eu.toFixed(0)} | ${ef.toFixed(0)} | ${(ef / eu).toFixed(2)} |`);
  }
}
console.log('\n| model | method | dispatches unfused | fused | saved | ms/step unfused | fused | ratio | encode ms unfused | fused | ratio |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const row of table) console.log(row);
