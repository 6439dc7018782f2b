// `node scripts/bench-simd-fma-peak.mjs`: the most a wasm SIMD product could reach on this machine's V8 — GFLOP/s of
// chains of f32x4.relaxed_madd (and of f32x4.mul then f32x4.add) with no loads, in 4 to 16 independent accumulators.
// The product micro-kernels (src/runtime/batch-matmul/batch-matmul.wat) keep 8 accumulators ($gemm) or 10
// ($gemm_packed); bench/RESULTS.md reads their rates against these. Node 20 has relaxed SIMD behind a flag, turned on here before any module is compiled.
import v8 from 'node:v8';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const wabt = await require(require.resolve('wabt', { paths: [root, process.cwd()] }))();

/** run(n, s): n loop turns, each one multiply-add into every accumulator; returns a lane of their sum (kept live). */
function chains(accumulators, fused) {
  const acc = Array.from({ length: accumulators }, (_, i) => `$c${i}`);
  const step = acc.map((c) => fused
    ? `(local.set ${c} (f32x4.relaxed_madd (local.get $x) (local.get $y) (local.get ${c})))`
    : `(local.set ${c} (f32x4.add (f32x4.mul (local.get $x) (local.get $y)) (local.get ${c})))`).join('\n');
  const sum = acc.map((c) => `(local.get ${c})`).reduce((a, b) => `(f32x4.add ${a} ${b})`);
  const wat = `(module (func (export "run") (param $n i32) (param $s f32) (result f32)
    (local $x v128) (local $y v128) ${acc.map((c) => `(local ${c} v128)`).join(' ')}
    (local.set $x (f32x4.splat (local.get $s))) (local.set $y (f32x4.splat (f32.const 0.999)))
    (loop $turn ${step} (br_if $turn (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f32x4.extract_lane 0 ${sum})))`;
  const { buffer } = wabt.parseWat('chains.wat', wat, { simd: true, relaxed_simd: true }).toBinary({});
  return new WebAssembly.Instance(new WebAssembly.Module(buffer)).exports.run;
}

const turns = 2e7;
for (const fused of [true, false]) {
  for (const accumulators of [4, 8, 10, 12, 14, 16]) {
    const run = chains(accumulators, fused);
    run(1000, 1); // compiled and warm before the clock starts
    let best = 0;
    for (let rep = 0; rep < 5; rep++) {
      const t0 = performance.now();
      run(turns, 1);
      best = Math.max(best, (turns * accumulators * 8) / ((performance.now() - t0) / 1000) / 1e9);
    }
    console.log(`${fused ? 'relaxed_madd' : 'mul + add  '} ${String(accumulators).padStart(2)} accumulators: ${best.toFixed(1)} GFLOP/s`);
  }
}
