// The attention's scaled, masked softmax as one wasm kernel each way (src/model/fused/softmax-wasm.ts on
// src/runtime/fused-wasm/fused.wat): the output and the gradient of the scores against float64 and against
// encoder.ts's tfjs ops, for both SIMD builds, rows of 7, 32 and 33 (not a multiple of 4 floats), sequences with
// padding (exact zeros there, as tfjs gives); central differences of the float32 kernel; no leaked tensors; and the
// encoder's attention calls it on wasm (and not when the fused kernels are off).
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { wasmMaskedSoftmax } from '../../src/model/fused/softmax-wasm';
import { setWasmAttention } from '../../src/model/fused/attention-wasm';
import { fusedWasmStats, setFusedWasmMode } from '../../src/model/fused/wasm-common';
import { supportedFusedVariants } from '../../src/runtime/fused-wasm/module';
import { seeded } from '../helpers/seeded';
import { createEncoderWeights, disposeEncoder, encode } from '../../src/model/encoder';
import { randomModel, shapeByName } from '../../bench/shared';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/** A mask bias as encoder.ts makes it: 0 on the first `real[b]` positions of sequence b, −1e9 after. */
function maskBias(real: number[], L: number): Float32Array {
  return Float32Array.from({ length: real.length * L }, (_, i) => (i % L < real[Math.floor(i / L)] ? 0 : -1e9));
}

/** softmax(x/d + mask) per row and the gradient of x for the output gradient dy, in float64. */
function reference(x: Float32Array, mask: Float32Array, dy: Float32Array, B: number, H: number, L: number, d: number) {
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let row = 0; row < B * H * L; row++) {
    const b = Math.floor(row / (H * L));
    const v = Array.from({ length: L }, (_, j) => x[row * L + j] / d + mask[b * L + j]);
    const max = Math.max(...v);
    const e = v.map((t) => Math.exp(t - max));
    const sum = e.reduce((p, t) => p + t, 0);
    let dot = 0;
    for (let j = 0; j < L; j++) {
      y[row * L + j] = e[j] / sum;
      dot += dy[row * L + j] * y[row * L + j];
    }
    for (let j = 0; j < L; j++) dx[row * L + j] = (y[row * L + j] * (dy[row * L + j] - dot)) / d;
  }
  return { y, dx };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('masked softmax on wasm', () => {
  const variants = supportedFusedVariants();
  for (const variant of ['relaxed', 'plain'] as const) {
    for (const [B, H, L] of [[2, 3, 7], [3, 2, 32], [2, 2, 33]]) {
      it.skipIf(!variants.includes(variant))(`${variant}: [${B}, ${H}, ${L}, ${L}] against float64 and tfjs's ops`, async () => {
        await useBackend('wasm');
        setFusedWasmMode(variant);
        try {
          const start = tf.memory().numTensors;
          const d = Math.sqrt(32);
          const n = B * H * L * L;
          const xs = Float32Array.from(seeded(n, L), (v) => v * 40);
          const real = Array.from({ length: B }, (_, b) => (b === 0 ? L : Math.max(1, L - 3 - 2 * b)));
          const ms = maskBias(real, L);
          const dys = Float32Array.from(seeded(n, L + 1));
          const x = tf.tensor4d(xs, [B, H, L, L]);
          const mask = tf.tensor2d(ms, [B, L]);
          const dyT = tf.tensor4d(dys, [B, H, L, L]);
          const viaTfjs = (t: tf.Tensor) => tf.softmax(tf.add(tf.div(t, d), tf.reshape(mask, [B, 1, 1, L])));
          const viaKernel = (t: tf.Tensor) => wasmMaskedSoftmax(t as tf.Tensor4D, mask, d);
          const ref = reference(xs, ms, dys, B, H, L, d);
          const y = tf.tidy(() => viaKernel(x).dataSync());
          const yTfjs = tf.tidy(() => viaTfjs(x).dataSync());
          const dx = tf.tidy(() => tf.grad((t) => tf.sum(tf.mul(viaKernel(t), dyT)))(x).dataSync());
          const dxTfjs = tf.tidy(() => tf.grad((t) => tf.sum(tf.mul(viaTfjs(t), dyT)))(x).dataSync());
          // Probabilities are ≤ 1: 2e-7 is a couple of float32 ulps of 1.
          expect(maxDiff(y, ref.y)).toBeLessThan(2e-7);
          expect(maxDiff(y, yTfjs)).toBeLessThan(2e-7);
          expect(maxDiff(dx, ref.dx)).toBeLessThan(1e-7);
          expect(maxDiff(dx, dxTfjs)).toBeLessThan(1e-7);
          // Padded keys get exactly 0, and every row sums to 1.
          for (let row = 0; row < B * H * L; row++) {
            const b = Math.floor(row / (H * L));
            let sum = 0;
            for (let j = 0; j < L; j++) {
              sum += y[row * L + j];
              if (j >= real[b]) expect(y[row * L + j]).toBe(0);
            }
            expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
          }
          tf.dispose([x, mask, dyT]);
          expect(tf.memory().numTensors).toBe(start);
        } finally {
          setFusedWasmMode('auto');
        }
      });
    }
  }

  it('its gradient agrees with central differences of the kernel itself', async () => {
    await useBackend('wasm');
    const [B, H, L] = [1, 2, 9];
    const n = B * H * L * L;
    const xs = Float32Array.from(seeded(n, 5), (v) => v * 4);
    const mask = tf.tensor2d(maskBias([7], L), [B, L]);
    const dys = Float32Array.from(seeded(n, 6));
    const loss = (v: Float32Array) => tf.tidy(() => {
      const y = wasmMaskedSoftmax(tf.tensor4d(v, [B, H, L, L]), mask, 2).dataSync();
      let s = 0;
      for (let i = 0; i < n; i++) s += y[i] * dys[i];
      return s;
    });
    const dx = tf.tidy(() => tf.grad((t) => tf.sum(tf.mul(wasmMaskedSoftmax(t as tf.Tensor4D, mask, 2), tf.tensor4d(dys, [B, H, L, L]))))(tf.tensor4d(xs, [B, H, L, L])).dataSync());
    const h = 1e-2;
    for (const i of [0, 3, 10, 40, 80, 100, 161]) {
      const up = xs.slice(); up[i] += h;
      const down = xs.slice(); down[i] -= h;
      expect(Math.abs((loss(up) - loss(down)) / (2 * h) - dx[i]), `element ${i}`).toBeLessThan(2e-3);
    }
    // Keys 7 and 8 are padding: their scores have no effect, so their gradient is 0.
    expect(Math.abs(dx[7])).toBe(0);
    expect(Math.abs(dx[L + 8])).toBe(0);
    mask.dispose();
  });
});

describe('the encoder on wasm', () => {
  it('runs its attention’s softmax as the one kernel, and tfjs’s ops when the fused kernels are off, to the same output', async () => {
    await useBackend('wasm');
    // The wasm attention (attention-wasm.ts, its own test) runs this softmax inside its kernel: off here, the encoder
    // runs the transposes, the products and this kernel.
    setWasmAttention(false);
    const model = randomModel(shapeByName('tiny-bert'));
    const w = createEncoderWeights(model, false);
    const ids = tf.tensor2d([[2, 7, 9, 11, 3, 0], [2, 5, 3, 0, 0, 0]], [2, 6], 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0]], [2, 6], 'int32');
    const start = tf.memory().numTensors;
    const ran = () => fusedWasmStats.TabtuneMaskedSoftmaxWasm ?? 0;
    const before = ran();
    const fused = tf.tidy(() => encode(w, ids, mask).dataSync());
    expect(ran() - before).toBe(model.config.numLayers);
    setFusedWasmMode('off');
    try {
      const plain = tf.tidy(() => encode(w, ids, mask).dataSync());
      expect(ran() - before).toBe(model.config.numLayers);
      expect(maxDiff(fused, plain)).toBeLessThan(1e-5);
    } finally {
      setFusedWasmMode('auto');
    }
    setWasmAttention(true);
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([ids, mask]);
    disposeEncoder(w);
  });
});
