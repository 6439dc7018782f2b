// The attention as one wasm kernel each way (src/model/fused/attention-wasm.ts on
// src/runtime/batch-matmul/attention-parts.ts): the context and the gradients of q, k and v bit for bit against the
// path it replaces (transposes into heads, the batched products and the wasm masked softmax), for both SIMD builds,
// at shapes off the products' tiles, with padded sequences; the context against float64; no leaked tensors; one kernel
// and nothing kept without a tape; and the encoder calls it on wasm (the unfused path when it is turned off).
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { setWasmAttention, wasmAttention, wasmAttentionAvailable } from '../../src/model/fused/attention-wasm';
import { wasmMaskedSoftmax } from '../../src/model/fused/softmax-wasm';
import { fusedWasmStats, setFusedWasmMode } from '../../src/model/fused/wasm-common';
import { setBatchMatMulMode } from '../../src/runtime/wasm-batch-matmul';
import { supportedFusedVariants } from '../../src/runtime/fused-wasm/module';
import { seeded } from '../helpers/seeded';
import { createEncoderWeights, disposeEncoder, encode } from '../../src/model/encoder';
import { randomModel, shapeByName } from '../../bench/shared';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

/** The additive mask bias as encoder.ts makes it: 0 on the first `real[b]` keys of sequence b, −1e9 after. */
const maskOf = (real: number[], L: number) => tf.tensor2d(Float32Array.from({ length: real.length * L }, (_, i) => (i % L < real[Math.floor(i / L)] ? 0 : -1e9)), [real.length, L]);

/** The path wasmAttention replaces: encoder.ts's attention with the wasm softmax and without the fused attention. */
function unfused(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask: tf.Tensor2D, B: number, L: number, nH: number): tf.Tensor2D {
  const [rows, H] = q.shape;
  const D = H / nH;
  const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, L, nH, D]), [0, 2, 1, 3]) as tf.Tensor4D;
  const probs = wasmMaskedSoftmax(tf.matMul(heads(q), heads(k), false, true) as tf.Tensor4D, mask, Math.sqrt(D));
  return tf.reshape(tf.transpose(tf.matMul(probs, heads(v)), [0, 2, 1, 3]), [rows, H]) as tf.Tensor2D;
}

/** The context in float64. */
function reference(q: Float32Array, k: Float32Array, v: Float32Array, real: number[], L: number, nH: number, H: number): Float64Array {
  const D = H / nH;
  const out = new Float64Array(q.length);
  real.forEach((n, b) => {
    for (let h = 0; h < nH; h++) {
      for (let i = 0; i < L; i++) {
        const at = (r: number, d: number) => (b * L + r) * H + h * D + d;
        const s = Array.from({ length: L }, (_, j) => {
          if (j >= n) return -Infinity;
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[at(i, d)] * k[at(j, d)];
          return dot / Math.sqrt(D);
        });
        const max = Math.max(...s);
        const e = s.map((x) => Math.exp(x - max));
        const sum = e.reduce((p, x) => p + x, 0);
        for (let d = 0; d < D; d++) out[at(i, d)] = e.reduce((p, x, j) => p + (x / sum) * v[at(j, d)], 0);
      }
    }
  });
  return out;
}

const bitsEqual = (a: tf.Tensor, b: tf.Tensor) => {
  const [x, y] = [a.dataSync(), b.dataSync()];
  return x.length === y.length && x.every((t, i) => Object.is(t, y[i]));
};

describe('the attention on wasm', () => {
  const variants = supportedFusedVariants();
  // [batch, L, heads, D]: L off the 4- and 5-row tiles and the 8-column panels; D = 36 takes the packed products' path
  for (const [B, L, nH, D] of [[3, 13, 3, 8], [2, 33, 2, 36], [4, 32, 4, 16]]) {
    for (const variant of ['relaxed', 'plain'] as const) {
      it.skipIf(!variants.includes(variant))(`${variant}: [${B}·${L}, ${nH}·${D}] the unfused path's bits forward and backward, and float64's context`, async () => {
        await useBackend('wasm');
        setFusedWasmMode(variant);
        setBatchMatMulMode(variant);
        try {
          expect(wasmAttentionAvailable()).toBe(true);
          const H = nH * D;
          const n = B * L * H;
          const real = Array.from({ length: B }, (_, b) => Math.max(1, L - 5 * b));
          const [qv, kv, vv] = [seeded(n, 1, 2), seeded(n, 2, 2), seeded(n, 3)];
          const [q, k, v, dy] = [tf.tensor2d(qv, [B * L, H]), tf.tensor2d(kv, [B * L, H]), tf.tensor2d(vv, [B * L, H]), tf.tensor2d(seeded(n, 4), [B * L, H])];
          const mask = maskOf(real, L);
          const start = tf.memory().numTensors;
          const ours = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => wasmAttention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, mask, B, L, nH);
          const theirs = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => unfused(a, b, c, mask, B, L, nH);
          const got = tf.tidy(() => [ours(q, k, v), ...tf.grads(ours)([q, k, v], dy)]);
          const want = tf.tidy(() => [theirs(q, k, v), ...tf.grads(theirs)([q, k, v], dy)]);
          ['context', 'dq', 'dk', 'dv'].forEach((name, i) => expect(bitsEqual(got[i], want[i]), name).toBe(true));
          // a gradient that is all zeros would pass the bits check for a kernel that wrote nothing
          got.forEach((t) => expect(t.dataSync().some((x) => x !== 0)).toBe(true));
          const ref = reference(qv, kv, vv, real, L, nH, H);
          const ctx = got[0].dataSync();
          let worst = 0;
          ref.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - ctx[i]))));
          expect(worst).toBeLessThan(1e-5);
          tf.dispose([...got, ...want]);
          expect(tf.memory().numTensors).toBe(start);
          tf.dispose([q, k, v, dy, mask]);
        } finally {
          setFusedWasmMode('auto');
          setBatchMatMulMode('auto');
        }
      });
    }
  }

  it('runs one kernel and keeps nothing without a gradient tape, two under one, and leaks nothing across steps', async () => {
    await useBackend('wasm');
    const [B, L, nH, D] = [2, 16, 2, 8];
    const n = B * L * nH * D;
    const [q, k, v] = [1, 2, 3].map((s) => tf.tensor2d(seeded(n, s), [B * L, nH * D]));
    const mask = maskOf([16, 9], L);
    const ran = (name: string) => fusedWasmStats[name] ?? 0;
    const [f0, g0] = [ran('TabtuneAttentionWasm'), ran('TabtuneAttentionGradWasm')];
    const start = tf.memory().numTensors;
    tf.tidy(() => wasmAttention(q, k, v, mask, B, L, nH)).dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect([ran('TabtuneAttentionWasm') - f0, ran('TabtuneAttentionGradWasm') - g0]).toEqual([1, 0]);
    const step = () => tf.dispose(tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(wasmAttention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, mask, B, L, nH)))([q, k, v]));
    step();
    const after = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(after);
    expect(after).toBe(start);
    expect([ran('TabtuneAttentionWasm') - f0, ran('TabtuneAttentionGradWasm') - g0]).toEqual([5, 4]);
    expect(() => wasmAttention(q, k, v, mask, B, L + 1, nH)).toThrow(/do not fit/);
    tf.dispose([q, k, v, mask]);
  });
});

describe('the encoder on wasm', () => {
  it('runs its attention as the one kernel, and the unfused path when it is turned off, to the same bits', async () => {
    await useBackend('wasm');
    const model = randomModel(shapeByName('tiny-bert'));
    const w = createEncoderWeights(model, false);
    const ids = tf.tensor2d([[2, 7, 9, 11, 3, 0], [2, 5, 3, 0, 0, 0]], [2, 6], 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0]], [2, 6], 'int32');
    const start = tf.memory().numTensors;
    const ran = () => fusedWasmStats.TabtuneAttentionWasm ?? 0;
    const before = ran();
    const fused = tf.tidy(() => encode(w, ids, mask));
    expect(ran() - before).toBe(model.config.numLayers);
    setWasmAttention(false);
    try {
      const plain = tf.tidy(() => encode(w, ids, mask));
      expect(ran() - before).toBe(model.config.numLayers);
      expect(bitsEqual(fused, plain)).toBe(true);
      tf.dispose([fused, plain]);
    } finally {
      setWasmAttention(true);
    }
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([ids, mask]);
    disposeEncoder(w);
  });
});
