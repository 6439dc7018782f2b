// `npx tsx scripts/bench-batch-matmul.ts [--quick] [--step]`: GFLOP/s of the wasm BatchMatMul paths side by side in one
// run — tfjs's own kernel (as wrapped by src/runtime/wasm-matmul.ts: 'off'), and the project's SIMD module
// (src/runtime/wasm-batch-matmul.ts) plain and relaxed — for the attention's batched products of MiniLM-L6 at
// seq 128 in every orientation, a few 2-D products of its linear layers, and XNNPACK's 1024² 2-D product as the
// ceiling. The machine is shared, so read the ratios in a row rather than the figures across runs.
// Node 20's V8 has relaxed SIMD behind a flag; it is turned on here (before any module is compiled) so both
// variants can be measured. The app itself only uses relaxed SIMD where the engine ships it.
import v8 from 'node:v8';
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const { tf, useBackend } = await import('../src/runtime/tf-node');
const { ownBatchMatMul, setBatchMatMulMode } = await import('../src/runtime/wasm-batch-matmul');
const { supportedVariants } = await import('../src/runtime/batch-matmul/module');

const quick = process.argv.includes('--quick');
await useBackend('wasm');

/** Median ms of one call of each of `fs`, each rep timed over enough calls to take ≥ 40 ms; the functions take
 * turns within every rep, so a change in the machine's load falls on all of them alike. */
function timeSideBySide(fs: (() => void)[]): number[] {
  fs.forEach((f) => f());
  const reps: number[][] = fs.map(() => []);
  for (let r = 0; r < (quick ? 3 : 7); r++) {
    fs.forEach((f, i) => {
      let calls = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 40 || calls < 2) {
        f();
        calls++;
      }
      reps[i].push((performance.now() - t0) / calls);
    });
  }
  return reps.map((x) => x.sort((p, q) => p - q)[Math.floor(x.length / 2)]);
}

type Case = { name: string; a: number[]; b: number[]; ta: boolean; tb: boolean };
const cases: Case[] = [];
// Logical shapes [batch, m, k]·[batch, k, n]; stored transposed where the orientation says so.
for (const [batch, m, k, n, what] of [[192, 128, 32, 128, 'q·kᵀ-sized'], [192, 128, 128, 32, 'probs·v-sized']] as const) {
  for (const ta of [false, true]) for (const tb of [false, true]) {
    cases.push({ name: `[${batch},${m},${k}]·[${batch},${k},${n}] ${what}`, a: ta ? [batch, k, m] : [batch, m, k], b: tb ? [batch, n, k] : [batch, k, n], ta, tb });
  }
}
// MiniLM-L6's linear layers at seq 128, batch 16 (2048 tokens): forward, dx = dy·Wᵀ, dW = xᵀ·dy.
cases.push({ name: '[2048,384]·[384,384] linear', a: [2048, 384], b: [384, 384], ta: false, tb: false });
cases.push({ name: '[2048,384]·[384,384]ᵀ dx', a: [2048, 384], b: [384, 384], ta: false, tb: true });
cases.push({ name: '[384,2048]ᵀ·[2048,384] dW', a: [2048, 384], b: [2048, 384], ta: true, tb: false });
// The same layers' forward products at seq 32 (512 tokens), and a LoRA adapter's two (r 8).
for (const [m, k, n, what] of [[512, 384, 384, 'q/k/v/out'], [512, 384, 1536, 'ffn in'], [512, 1536, 384, 'ffn out'], [512, 384, 8, 'x·A'], [512, 8, 384, 'xA·B']] as const) {
  cases.push({ name: `[${m},${k}]·[${k},${n}] ${what}`, a: [m, k], b: [k, n], ta: false, tb: false });
}
// Their backward products at seq 32 with a transposed operand: dx of the FFN's two layers, and the LoRA gradients
// dA = xᵀ·(dy·Bᵀ) and dB = (x·A)ᵀ·dy, whose small side is the rank.
cases.push({ name: '[512,384]·[1536,384]ᵀ ffn-in dx', a: [512, 384], b: [1536, 384], ta: false, tb: true });
cases.push({ name: '[512,1536]·[384,1536]ᵀ ffn-out dx', a: [512, 1536], b: [384, 1536], ta: false, tb: true });
cases.push({ name: '[384,512]ᵀ·[512,8] LoRA dA', a: [512, 384], b: [512, 8], ta: true, tb: false });
cases.push({ name: '[8,512]ᵀ·[512,384] LoRA dB', a: [512, 8], b: [512, 384], ta: true, tb: false });
cases.push({ name: '[1024,1024]·[1024,1024] XNNPACK ceiling', a: [1024, 1024], b: [1024, 1024], ta: false, tb: false });

const modes = ['off', ...supportedVariants()] as const;
console.log(`modes: ${modes.join(', ')} (off = tfjs's own kernel, through src/runtime/wasm-matmul.ts); GFLOP/s, ratio to off`);
for (const c of cases) {
  const a = tf.randomNormal(c.a);
  const b = tf.randomNormal(c.b);
  const m = c.ta ? c.a[c.a.length - 1] : c.a[c.a.length - 2];
  const k = c.ta ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
  const n = c.tb ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
  const batch = c.a.length > 2 ? c.a[0] : 1;
  const flops = 2 * batch * m * n * k;
  // The module is called directly, so 2-D products (which the kernel leaves to XNNPACK) are measured on it too.
  const backend = tf.backend() as unknown as { disposeData(id: object): void };
  setBatchMatMulMode('off');
  const runs = modes.map((mode) => mode === 'off'
    ? () => tf.matMul(a, b, c.ta, c.tb).dispose()
    : () => backend.disposeData(ownBatchMatMul(backend, a, b, c.ta, c.tb, mode)!.dataId));
  const rates = timeSideBySide(runs).map((ms) => flops / (ms / 1000) / 1e9);
  const orient = `${c.ta ? 'Aᵀ' : 'A'}·${c.tb ? 'Bᵀ' : 'B'}`;
  console.log(`${c.name.padEnd(42)} ${orient.padEnd(6)} ${modes.map((mode, i) => `${mode} ${rates[i].toFixed(1).padStart(5)}${i ? ` (${(rates[i] / rates[0]).toFixed(2)}×)` : ''}`).join('  ')}`);
  tf.dispose([a, b]);
}
setBatchMatMulMode('auto');

// --step: one MiniLM-L6-shaped LoRA training step at seq 128, batch 16 (bench/shared.ts's row), tfjs's kernel
// against the module, alternating, in this same process.
if (process.argv.includes('--step')) {
  const { measureRow, randomModel, shapeByName } = await import('../bench/shared');
  const shape = shapeByName('minilm-l6');
  const model = randomModel(shape);
  for (const mode of ['off', 'auto', 'off', 'auto'] as const) {
    setBatchMatMulMode(mode);
    const r = await measureRow(model, shape, { model: shape.name, method: 'lora', seq: 128 }, { steps: 2, budgetMs: 15_000 });
    console.log(`minilm-l6 lora seq 128, ${mode === 'off' ? "tfjs's kernel" : `module (${supportedVariants()[0]})`}: ${r.ms_per_step.toFixed(0)} ms/step (${r.times_ms.map((t) => t.toFixed(0)).join(', ')}), ${r.kernels_per_step} kernels, leaked ${r.leaked_tensors}`);
  }
  setBatchMatMulMode('auto');
}
