// LoRA's dropout mask drawn on the host (src/model/dropout-mask.ts) with the WebGPU kernel's hash: against a Python
// reference of the hash in 32-bit arithmetic, its rate over a million draws, the same mask from the same seed and
// unrelated masks from neighbouring seeds, dropout's gradient, and what LoRA uses on cpu and wasm. The device mask
// equals it bit for bit (test/parity/dropout-webgpu.test.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { dropoutMask, hostDropout, pcgHash } from '../../src/model/dropout-mask';
import { loraDropout, setDropoutMasks } from '../../src/model/lora';

afterAll(async () => {
  setDropoutMasks('hash');
  await useBackend('cpu');
});

const kept = (m: Float32Array) => Array.from(m, (v) => (v > 0 ? 1 : 0)).join('');

describe('the host dropout mask', () => {
  it('hashes as the Python reference does (PCG RXS M XS on u32), seeds past 2^32 included', () => {
    // /usr/bin/python3: state = (v·747796405 + 2891336453) mod 2^32; word = ((state >> ((state >> 28) + 4)) ^ state)·277803737
    // mod 2^32; (word >> 22) ^ word. Masks: key = pcg(seed mod 2^32 ^ pcg(seed div 2^32)), kept when
    // (pcg(pcg(i) ^ key) >> 8) / 2^24 ≥ float32(rate).
    expect([0, 1, 2, 0xffffffff, 123456789].map(pcgHash)).toEqual([129708002, 2831084092, 2055130248, 3861530882, 4272394698]);
    expect(kept(dropoutMask(32, 0.5, 7))).toBe('01001111111110011101101111011011');
    expect(kept(dropoutMask(32, 0.1, 7 + 2 ** 32))).toBe('11111111101111101011111111111111');
    expect(kept(dropoutMask(32, 0.25, 2 ** 52 + 3))).toBe('11111111101111110011111101101100');
    expect(Array.from(new Set(dropoutMask(64, 0.1, 1)))).toEqual(expect.arrayContaining([Math.fround(1 / 0.9)]));
  });

  it('drops at the rate asked (1 M draws, rates 0.1 and 0.5), one mask per seed, unrelated masks from neighbouring seeds', () => {
    const N = 1 << 20;
    for (const rate of [0.1, 0.5]) {
      const m = dropoutMask(N, rate, 12345);
      const dropped = m.reduce((s, v) => s + (v === 0 ? 1 : 0), 0);
      // Binomial: the standard deviation of the dropped share is √(p(1−p)/N) ≤ 0.0005; 6σ is 0.003.
      expect(Math.abs(dropped / N - rate)).toBeLessThan(0.003);
      expect(m.every((v) => v === 0 || v === Math.fround(1 / (1 - rate)))).toBe(true);
    }
    const a = dropoutMask(N, 0.5, 7);
    expect(dropoutMask(N, 0.5, 7)).toEqual(a);
    // Seeds as lora.ts makes them (seed·100003 + step·1009 + call) differ by 1 between calls; past 2^32 the high word counts.
    for (const other of [8, 7 + 1009, 7 + 2 ** 32, 2 ** 52 + 7]) {
      const b = dropoutMask(N, 0.5, other);
      let same = 0;
      for (let i = 0; i < N; i++) same += (a[i] > 0) === (b[i] > 0) ? 1 : 0;
      expect(Math.abs(same / N - 0.5)).toBeLessThan(0.003);
    }
  });

  it('refuses a rate or a seed it cannot use', () => {
    expect(() => dropoutMask(4, 1, 1)).toThrow(/at least 0 and below 1/);
    expect(() => dropoutMask(4, 0.1, -1)).toThrow(/non-negative integer/);
    expect(() => dropoutMask(4, 0.1, 1.5)).toThrow(/non-negative integer/);
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`${backend}: is what LoRA's dropout applies (tf.dropout only when asked), with the gradient dy ⊙ mask, leaving no tensor`, async () => {
      await useBackend(backend);
      const x = tf.randomNormal([32, 48], 0, 1, 'float32', 3) as tf.Tensor2D;
      const dy = tf.randomNormal([32, 48], 0, 1, 'float32', 4) as tf.Tensor2D;
      const mask = dropoutMask(32 * 48, 0.2, 99);
      const before = tf.memory().numTensors;
      const y = tf.tidy(() => loraDropout(x, 0.2, 99));
      const xs = await x.data();
      expect(Array.from(await y.data())).toEqual(Array.from(xs, (v, i) => Math.fround(v * mask[i])));
      const grad = tf.tidy(() => tf.grad((t: tf.Tensor) => hostDropout(t as tf.Tensor2D, 0.2, 99))(x, dy));
      const dys = await dy.data();
      expect(Array.from(await grad.data())).toEqual(Array.from(dys, (v, i) => Math.fround(v * mask[i])));
      tf.dispose([y, grad]);
      expect(tf.memory().numTensors).toBe(before);
      setDropoutMasks('tfjs');
      const viaTfjs = tf.tidy(() => loraDropout(x, 0.2, 99));
      const tfjs = tf.tidy(() => tf.dropout(x, 0.2, undefined, 99));
      expect(Array.from(await viaTfjs.data())).toEqual(Array.from(await tfjs.data()));
      setDropoutMasks('hash');
      tf.dispose([x, dy, viaTfjs, tfjs]);
    });
  }
});
