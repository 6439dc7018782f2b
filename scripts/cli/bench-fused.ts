// `npx tsx scripts/cli/bench-fused.ts [--fuse all|optimizer|kernels|matmul] [--models tiny-bert] [--methods head,lora,full] [--seq 32] [--batch 16] [--steps 3] [--rounds 2] [--opt-reps 6]`
// Before/after of the fused WebGPU kernels in one run: the bench's real training step (bench/shared.ts measureRow)
// on tfjs WebGPU in Node, each row once unfused and once fused, in the order unfused, fused, fused, unfused…
// (`--rounds` pairs) so drift on a shared machine falls on both. `--fuse` says what the fused side turns on: the
// AdamW + clip factor kernels (src/train/adamw-webgpu.ts), the encoder's kernels (src/model/fused/, switched by
// src/runtime/fused-switch.ts), or both (the unfused side has neither); `--fuse matmul` runs both sides with
// everything fused and differs only in the matmul: tfjs-webgpu's (the 'unfused' side, printed as 'tfjs matmul') or
// ours (src/runtime/webgpu-matmul.ts in mode 'on'; 'own matmul'). Prints dispatches per step (recordAndSubmit
// calls), ms per step and the CPU time encoding the step (medians over the rounds), and the fused/unfused ratios;
// then the optimizer alone (clip factor + AdamW step on the model's trainable tensors with fixed gradients, read
// back, `--opt-reps` times each way, interleaved), whose time the rest of a step on a slow or shared adapter would
// otherwise hide. Figures, never judged.
import { useBackend, nodeWebGpuAdapter, tf } from '../../src/runtime/tf-node';
import { createClassifier } from '../../src/model/classifier';
import { disposeEncoder, type EncoderWeights } from '../../src/model/encoder';
import { AdamW, clipCoefficient } from '../../src/train/optimizer';
import { takeWebGpuErrors } from '../../src/runtime/webgpu-fixes';
import { describeAdapter } from '../../src/runtime/backend';
import type { Method } from '../../src/model/types';
import { LORA, measureRow, median, randomModel, shapeByName, type Measured } from '../../bench/shared';
import { setWebGpuMatMulMode } from '../../src/runtime/webgpu-matmul';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const models = (opt('--models') ?? 'tiny-bert').split(',');
const methods = (opt('--methods') ?? 'head,lora,full').split(',') as Method[];
const seq = Number(opt('--seq') ?? 32);
const batch = opt('--batch') === undefined ? undefined : Number(opt('--batch'));
const fuse = opt('--fuse') ?? 'all';
if (!['all', 'optimizer', 'kernels', 'matmul'].includes(fuse)) throw new Error(`--fuse takes all, optimizer, kernels or matmul, not ${fuse}`);
const sides = fuse === 'matmul' ? ['tfjs matmul', 'own matmul'] : ['unfused', 'fused  '];
const steps = Number(opt('--steps') ?? 3);
const rounds = Number(opt('--rounds') ?? 2);
const optReps = Number(opt('--opt-reps') ?? 6);

await useBackend('webgpu');
const adapter = nodeWebGpuAdapter();
console.log(`WebGPU in Node on ${adapter ? describeAdapter(adapter) : 'an unknown adapter'}; fused: ${fuse}; seq ${seq}, ${steps} timed steps per row, ${rounds} rounds`);
const table: string[] = [];
for (const model of models) {
  const shape = shapeByName(model);
  for (const method of methods) {
    const got: Record<'unfused' | 'fused', Measured[]> = { unfused: [], fused: [] };
    for (let r = 0; r < rounds; r++) {
      for (const fused of r % 2 ? [true, false] : [false, true]) {
        const onlyMatMul = fuse === 'matmul';
        const plan = { model, method, seq, batch, fusedOptimizer: onlyMatMul || (fused && fuse !== 'kernels'), fusedKernels: onlyMatMul || (fused && fuse !== 'optimizer') };
        setWebGpuMatMulMode(onlyMatMul && fused ? 'on' : 'off');
        const m = await measureRow(randomModel(shape), shape, plan, { steps, budgetMs: 60_000 }).finally(() => setWebGpuMatMulMode('auto'));
        const errors = takeWebGpuErrors();
        if (errors.length) throw new Error(`WebGPU errors in ${model} ${method} ${fused ? 'fused' : 'unfused'}: ${errors.join('; ')}`);
        if (m.leaked_tensors !== 0) throw new Error(`${model} ${method} ${fused ? 'fused' : 'unfused'} leaked ${m.leaked_tensors} tensors per row`);
        got[fused ? 'fused' : 'unfused'].push(m);
        console.log(`${model} ${method} ${fused ? sides[1] : sides[0]}: ${m.dispatches_per_step} dispatches, ${m.ms_per_step.toFixed(1)} ms/step, encode ${m.encode_ms.toFixed(1)} ms`);
      }
    }
    const med = (xs: Measured[], f: (m: Measured) => number) => median(xs.map(f).sort((a, b) => a - b));
    const [du, df] = [got.unfused, got.fused].map((xs) => med(xs, (m) => m.dispatches_per_step));
    const [mu, mf] = [got.unfused, got.fused].map((xs) => med(xs, (m) => m.ms_per_step));
    const [eu, ef] = [got.unfused, got.fused].map((xs) => med(xs, (m) => m.encode_ms));
    table.push(`| ${model} | ${method} | ${du} | ${df} | ${du - df} | ${mu.toFixed(0)} | ${mf.toFixed(0)} | ${(mf / mu).toFixed(2)} | ${eu.toFixed(0)} | ${ef.toFixed(0)} | ${(ef / eu).toFixed(2)} |`);
  }
}
// The optimizer alone: clip factor (max norm 1) + AdamW step on the trainable tensors, until the first tensor is read.
const optTable: string[] = [];
for (const model of fuse === 'kernels' || fuse === 'matmul' ? [] : models) {
  const shape = shapeByName(model);
  for (const method of methods) {
    const loaded = randomModel(shape);
    const clf = createClassifier(loaded, { method, numLabels: 2, seed: 0, lora: LORA });
    const vars = clf.trainable;
    const grads = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', i));
    const opts = [false, true].map((fused) => new AdamW(vars, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, fused }));
    const once = async (o: AdamW) => {
      const t0 = performance.now();
      tf.tidy(() => o.step(grads, 1e-4, clipCoefficient(grads, 1, { fused: o.fused }).coef));
      const encode = performance.now() - t0;
      await vars[0].data(); // a new tensor every step: a real wait for the device, not tfjs's cached values
      return { ms: performance.now() - t0, encode };
    };
    for (const o of opts) await once(o); // compile
    const got: Record<'unfused' | 'fused', { ms: number; encode: number }[]> = { unfused: [], fused: [] };
    for (let r = 0; r < optReps; r++) for (const o of r % 2 ? [...opts].reverse() : opts) got[o.fused ? 'fused' : 'unfused'].push(await once(o));
    const errors = takeWebGpuErrors();
    if (errors.length) throw new Error(`WebGPU errors in the optimizer-only ${model} ${method}: ${errors.join('; ')}`);
    const med = (xs: { ms: number; encode: number }[], k: 'ms' | 'encode') => median(xs.map((x) => x[k]).sort((a, b) => a - b));
    const [mu, mf, eu, ef] = [med(got.unfused, 'ms'), med(got.fused, 'ms'), med(got.unfused, 'encode'), med(got.fused, 'encode')];
    optTable.push(`| ${model} | ${method} | ${vars.length} | ${mu.toFixed(0)} | ${mf.toFixed(0)} | ${(mf / mu).toFixed(2)} | ${eu.toFixed(0)} | ${ef.toFixed(0)} | ${(ef / eu).toFixed(2)} |`);
    opts.forEach((o) => o.dispose());
    tf.dispose(grads);
    clf.dispose();
    if (loaded.device) disposeEncoder(loaded.device as EncoderWeights);
  }
}

console.log(`\n| model | method | dispatches ${sides[0]} | ${sides[1]} | saved | ms/step ${sides[0]} | ${sides[1]} | ratio | encode ms ${sides[0]} | ${sides[1]} | ratio |`);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const row of table) console.log(row);
if (optTable.length) {
  console.log(`\nThe optimizer alone (clip factor + AdamW step), median of ${optReps}:`);
  console.log('| model | method | tensors | ms unfused | fused | ratio | encode ms unfused | fused | ratio |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const row of optTable) console.log(row);
}
