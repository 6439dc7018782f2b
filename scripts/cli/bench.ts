// `npm run bench`: for now only the matmul roofline of the Node backends, measured side by side in one run.
// The full benchmark (training steps per model/method/backend against PyTorch) is issue 7; this says so.
import { tf, useBackend } from '../../src/runtime/tf-node';

async function matmulGflops(n: number, reps: number): Promise<number> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  tf.matMul(a, b).dispose(); // warm-up: kernels compiled, buffers allocated
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    times.push(performance.now() - t0);
    c.dispose();
  }
  a.dispose();
  b.dispose();
  times.sort((x, y) => x - y);
  const median = times[Math.floor(times.length / 2)];
  return (2 * n ** 3) / (median / 1000) / 1e9;
}

const rows: { backend: string; n: number; gflops: number }[] = [];
for (const backend of ['wasm', 'cpu'] as const) {
  await useBackend(backend);
  const n = backend === 'cpu' ? 256 : 1024;
  rows.push({ backend, n, gflops: await matmulGflops(n, backend === 'cpu' ? 3 : 5) });
}
const wasm = rows.find((r) => r.backend === 'wasm')!.gflops;
console.log('backend  matmul      GFLOP/s  ratio to wasm');
for (const r of rows) console.log(`${r.backend.padEnd(8)} ${`${r.n}x${r.n}`.padEnd(11)} ${r.gflops.toFixed(2).padStart(7)}  ${(r.gflops / wasm).toFixed(3)}`);
console.log('\nNote: this is a stub of the benchmark — only matmul throughput so far. Training-step figures per model,');
console.log('method and backend, side by side with PyTorch, arrive with issue 7 (see bench/RESULTS.md once it exists).');
if (process.argv.includes('--json')) console.log(JSON.stringify({ rows, stub: true }));
