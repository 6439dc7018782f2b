// The wasm BatchMatMul wrapper (src/runtime/wasm-matmul.ts): transposed operands are materialised before a plain
// product. Checked against the cpu backend for every transpose combination, batched and broadcast, and for leaks.
import { describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/runtime/tf-node';

const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const cases: { name: string; a: [number[], number[]]; b: [number[], number[]]; ta: boolean; tb: boolean }[] = [
  { name: 'plain 2-D', a: [seq(35, Math.sin), [5, 7]], b: [seq(42, Math.cos), [7, 6]], ta: false, tb: false },
  { name: 'transposeB 2-D (dx = dy·Wᵀ)', a: [seq(35, Math.sin), [5, 7]], b: [seq(42, Math.cos), [6, 7]], ta: false, tb: true },
  { name: 'transposeA 2-D (dW = xᵀ·dy)', a: [seq(35, Math.sin), [7, 5]], b: [seq(42, Math.cos), [7, 6]], ta: true, tb: false },
  { name: 'both, batched 3-D', a: [seq(105, (i) => Math.sin(i * 0.7)), [3, 7, 5]], b: [seq(126, (i) => Math.cos(i * 0.9)), [3, 6, 7]], ta: true, tb: true },
  { name: 'transposeB 4-D (attention q·kᵀ)', a: [seq(120, Math.sin), [2, 3, 5, 4]], b: [seq(144, (i) => Math.cos(i * 1.3)), [2, 3, 6, 4]], ta: false, tb: true },
  { name: 'transposeA broadcast batch', a: [seq(35, Math.sin), [1, 7, 5]], b: [seq(126, Math.cos), [3, 7, 6]], ta: true, tb: false },
];

describe('wasm matMul with transposed operands', () => {
  it('equals the cpu backend for every combination, and leaks nothing', async () => {
    const run = () => cases.map((c) => Array.from(tf.matMul(tf.tensor(c.a[0], c.a[1]), tf.tensor(c.b[0], c.b[1]), c.ta, c.tb).dataSync()));
    await useBackend('cpu');
    const ref = tf.tidy(run);
    await useBackend('wasm');
    expect((tf.getKernel('BatchMatMul', 'wasm') as { untransposed?: boolean }).untransposed).toBe(true);
    const before = tf.memory();
    const got = tf.tidy(run);
    const after = tf.memory();
    cases.forEach((c, i) => {
      expect(got[i].length, c.name).toBe(ref[i].length);
      expect(Math.max(...ref[i].map((v, j) => Math.abs(v - got[i][j]))), c.name).toBeLessThan(1e-5);
    });
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });
});
