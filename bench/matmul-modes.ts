// tfjs-webgpu's matmul beside ours (src/runtime/webgpu-matmul.ts) on one product shape: GFLOP/s of each and the
// largest difference between their results, for scripts/cli/bench-matmul.ts and the GPU kit's matmul section
// (scripts/gpu/kit-main.ts). Products are queued `reps` at a time and waited for by reading one float of the last, so
// the figure is the device's and not a 64 MiB readback's (bench/shared.ts matmulGflops reads every result back, which
// the kit's earlier matmul figures did); the two kernels alternate round by round so drift on a shared machine
// falls on both. Environment-free, as bench/shared.ts: the caller has set up tfjs's WebGPU backend.
import * as tf from '@tensorflow/tfjs';
import { setWebGpuMatMulMode, webGpuMatMulMode, webGpuMatMulStats } from '../src/runtime/webgpu-matmul';

/** The GPU kit's products (scripts/gpu/kit-main.ts; `bench-matmul.ts --kit` runs the same): the squares of
 * bench/RESULTS-gpu.md, a linear layer of a 2048-token batch at width 384 / 1536 each way it runs in a step (forward,
 * dx = dy·Wᵀ, dW = xᵀ·dy), and attention's q·kᵀ. A software adapter, minutes per 1024² product, gets small ones. */
export const KIT_MATMUL = {
  gpu: { shapes: ['1024x1024x1024', '4096x4096x4096', '2048x384x1536', '2048x1536x384:nt', '384x2048x1536:tn', '768*128x64x128:nt'], reps: 10, budgetMs: 3000 },
  software: { shapes: ['256x256x256', '128x96x192:nt', '96x128x64:tn'], reps: 2, budgetMs: 1000 },
};

export interface MatMulCase {
  /** Batch entries (1: a 2-D product). */
  batch: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

export interface MatMulComparison {
  shape: string;
  tfjs_gflops: number;
  own_gflops: number;
  /** own / tfjs: above 1, ours is faster on this shape. */
  ratio: number;
  /** max |ours − tfjs's| over the product, and the largest |value| for scale. */
  max_abs_diff: number;
  max_abs_value: number;
  /** Rounds timed per kernel (each of `reps` products). */
  rounds: number;
}

/** `[B*]MxKxN[:tt]`, e.g. 1024x1024x1024, 2048x384x1536:nt, 768*128x64x128:nt (the letters: A, then B; t = transposed). */
export function parseMatMulCase(spec: string): MatMulCase {
  const match = /^(?:(\d+)\*)?(\d+)x(\d+)x(\d+)(?::([nt])([nt]))?$/.exec(spec.trim());
  if (!match) throw new Error(`a product is [B*]MxKxN[:nn|nt|tn|tt], not ${spec}`);
  const [, b, m, k, n, ta, tb] = match;
  return { batch: Number(b ?? 1), m: Number(m), k: Number(k), n: Number(n), transposeA: ta === 't', transposeB: tb === 't' };
}

export function describeMatMulCase(c: MatMulCase): string {
  return `${c.batch > 1 ? `${c.batch}*` : ''}${c.m}x${c.k}x${c.n}:${c.transposeA ? 't' : 'n'}${c.transposeB ? 't' : 'n'}`;
}

/** Times tfjs's kernel and ours on `c`: rounds of `reps` products each, alternating, until `budgetMs` has passed
 * (at least `minRounds` each); GFLOP/s from each kernel's median round. Throws if ours did not run or the results
 * differ by more than 1e-3 of the largest value (a broken kernel is not a fast one). Leaves the mode as it found it. */
export async function compareMatMul(c: MatMulCase, { reps = 10, budgetMs = 3000, minRounds = 3 } = {}): Promise<MatMulComparison> {
  const before = webGpuMatMulMode();
  const lead = c.batch > 1 ? [c.batch] : [];
  const a = tf.randomNormal([...lead, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])], 0, 1, 'float32', 1);
  const b = tf.randomNormal([...lead, ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])], 0, 1, 'float32', 2);
  const product = (mode: 'off' | 'on') => {
    setWebGpuMatMulMode(mode);
    try {
      return tf.matMul(a, b, c.transposeA, c.transposeB);
    } finally {
      setWebGpuMatMulMode(before);
    }
  };
  const wait = async (t: tf.Tensor) => {
    const one = tf.tidy(() => tf.slice(t.reshape([-1]), [t.size - 1], [1]));
    await one.data();
    tf.dispose(one);
  };
  try {
    // Compile both and check them against each other.
    const ownBefore = webGpuMatMulStats.products;
    const theirs = product('off');
    const ours = product('on');
    if (webGpuMatMulStats.products === ownBefore) throw new Error(`the own matmul did not take ${describeMatMulCase(c)}`);
    const [diff, scale] = tf.tidy(() => [tf.max(tf.abs(tf.sub(ours, theirs))), tf.max(tf.abs(theirs))]);
    const [maxDiff, maxValue] = [(await diff.data())[0], (await scale.data())[0]];
    tf.dispose([theirs, ours, diff, scale]);
    if (!(maxDiff <= 1e-3 * maxValue)) throw new Error(`the own matmul differs from tfjs's by ${maxDiff} (largest value ${maxValue}) on ${describeMatMulCase(c)}`);

    const times: Record<'off' | 'on', number[]> = { off: [], on: [] };
    const t0 = performance.now();
    for (let r = 0; times.on.length < minRounds || performance.now() - t0 < budgetMs; r++) {
      for (const mode of r % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        const start = performance.now();
        let last: tf.Tensor | null = null;
        for (let i = 0; i < reps; i++) {
          const next = product(mode);
          last?.dispose();
          last = next;
        }
        await wait(last!);
        last!.dispose();
        times[mode].push((performance.now() - start) / reps);
      }
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const flop = 2 * c.batch * c.m * c.n * c.k;
    const gflops = (ms: number) => flop / (ms / 1000) / 1e9;
    const [tfjs, own] = [gflops(median(times.off)), gflops(median(times.on))];
    return { shape: describeMatMulCase(c), tfjs_gflops: tfjs, own_gflops: own, ratio: own / tfjs, max_abs_diff: maxDiff, max_abs_value: maxValue, rounds: times.on.length };
  } finally {
    tf.dispose([a, b]);
  }
}
