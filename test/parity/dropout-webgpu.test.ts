// LoRA's dropout drawn on the GPU (src/model/fused/dropout-webgpu.ts), in Node on Dawn (SwiftShader here): what a
// mask keeps and how it scales, its rate over a million draws, the same mask from the same seed and unrelated masks
// from neighbouring seeds, the gradient (dy ⊙ mask / keep), one dispatch each way, nothing uploaded; and the mask
// the host draws on cpu and wasm (src/model/dropout-mask.ts) is this one, bit for bit.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/runtime/tf-node';
import { expectNoWebGpuErrors } from '../helpers/webgpu-errors';
import { deviceDropout, deviceDropoutAvailable } from '../../src/model/fused/dropout-webgpu';
import { loraDropout, setDropoutMasks } from '../../src/model/lora';
import { dropoutMask } from '../../src/model/dropout-mask';

beforeAll(async () => {
  await useBackend('webgpu');
});

afterEach(async () => {
  setDropoutMasks('hash');
  await expectNoWebGpuErrors();
});

const N = 1 << 20;
const ramp = () => tf.add(tf.range(0, N, 1, 'float32'), 1).reshape([N / 256, 256]) as tf.Tensor2D;

describe('dropout masks drawn on WebGPU', () => {
  it('keeps each element as x / keep or zeroes it, at the rate asked (1 M draws, rates 0.1 and 0.5)', async () => {
    expect(deviceDropoutAvailable()).toBe(true);
    const x = ramp();
    const xs = await x.data();
    for (const rate of [0.1, 0.5]) {
      const y = await tf.tidy(() => deviceDropout(x, rate, 12345)).data();
      let dropped = 0;
      for (let i = 0; i < N; i++) {
        if (y[i] === 0) dropped++;
        else expect(Math.abs(y[i] - xs[i] / (1 - rate))).toBeLessThanOrEqual(1e-6 * xs[i] / (1 - rate));
      }
      // Binomial: the standard deviation of the dropped share is √(p(1−p)/N) ≤ 0.0005; 6σ is 0.003.
      expect(Math.abs(dropped / N - rate)).toBeLessThan(0.003);
    }
    x.dispose();
  });

  it('draws the same mask from the same seed and unrelated masks from neighbouring seeds', async () => {
    const ones = tf.ones([N / 256, 256]) as tf.Tensor2D;
    const mask = async (seed: number) => (await tf.tidy(() => deviceDropout(ones, 0.5, seed)).data()).map((v) => (v > 0 ? 1 : 0));
    const a = await mask(7);
    expect(Array.from(await mask(7))).toEqual(Array.from(a));
    // Seeds as lora.ts makes them (seed·100003 + step·1009 + call) differ by 1 between calls; beyond 2^32 the high
    // word must count too.
    for (const other of [8, 7 + 1009, 7 + 2 ** 32, 2 ** 52 + 7]) {
      const b = await mask(other);
      let same = 0;
      for (let i = 0; i < N; i++) same += a[i] === b[i] ? 1 : 0;
      // Independent fair masks agree on half the elements (σ = 0.0005).
      expect(Math.abs(same / N - 0.5)).toBeLessThan(0.003);
    }
    // Neighbouring elements are not correlated either: the share of equal adjacent pairs is a half too.
    let adjacent = 0;
    for (let i = 1; i < N; i++) adjacent += a[i] === a[i - 1] ? 1 : 0;
    expect(Math.abs(adjacent / (N - 1) - 0.5)).toBeLessThan(0.003);
    ones.dispose();
  });

  it('has the gradient dy ⊙ mask / keep, and uploads nothing mask-sized and reads nothing back (tf.dropout uploads its mask)', async () => {
    // On the device before counting: tensors made on the host are uploaded at their first use.
    const x = tf.tidy(() => tf.add(tf.randomNormal([64, 256], 0, 1, 'float32', 1), 0)) as tf.Tensor2D;
    const dy = tf.tidy(() => tf.add(tf.randomNormal([64, 256], 0, 1, 'float32', 2), 0)) as tf.Tensor2D;
    const ones = tf.tidy(() => tf.add(tf.onesLike(x), 0));
    const rate = 0.25;
    /** The gradient of Σ dy ⊙ dropout(x), with the bytes uploaded to the GPU and the reads while it ran. */
    const step = () => {
      const backend = tf.backend() as unknown as { tensorMap: { get(id: object): { values?: ArrayLike<number>; resource?: unknown; shape: number[] } }; [k: string]: unknown };
      const names = ['uploadToGPU', 'read', 'readSync'] as const;
      const originals = names.map((n) => backend[n] as (...a: unknown[]) => unknown);
      let uploaded = 0;
      let reads = 0;
      backend.uploadToGPU = function (this: unknown, dataId: object) {
        const d = backend.tensorMap.get(dataId);
        if (d.resource == null && d.values) uploaded += 4 * d.shape.reduce((p, q) => p * q, 1);
        return originals[0].call(this, dataId);
      };
      backend.read = function (this: unknown, ...a: unknown[]) { reads++; return originals[1].apply(this, a); };
      backend.readSync = function (this: unknown, ...a: unknown[]) { reads++; return originals[2].apply(this, a); };
      try {
        // dy handed in as the upstream gradient: a loss such as Σ dy ⊙ y would upload tfjs's own ones for sum's gradient.
        const grad = tf.tidy(() => tf.grad((t: tf.Tensor) => loraDropout(t as tf.Tensor2D, rate, 99))(x, dy));
        return { grad, uploaded, reads };
      } finally {
        names.forEach((n, i) => (backend[n] = originals[i]));
      }
    };
    const device = step();
    console.log(`dropout forward + backward on a [64, 256] input: ${device.uploaded} bytes uploaded on the device path`);
    expect(device.reads).toBe(0);
    expect(device.uploaded).toBeLessThan(64 * 256 * 4);
    const scaledMask = await tf.tidy(() => deviceDropout(ones, rate, 99)).data();
    const want = (await dy.data()).map((d, i) => d * scaledMask[i]);
    const got = await device.grad.data();
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(want[i])));
    // The host mask, for contrast: the measure above sees its upload.
    setDropoutMasks('tfjs');
    const host = step();
    console.log(`... and ${host.uploaded} bytes with tf.dropout's host mask`);
    expect(host.uploaded).toBeGreaterThanOrEqual(64 * 256 * 4);
    tf.dispose([x, dy, ones, device.grad, host.grad]);
  });

  it('is what LoRA draws on WebGPU, and tf.dropout\'s host mask only when asked for', async () => {
    const x = tf.randomNormal([32, 64], 0, 1, 'float32', 3) as tf.Tensor2D;
    const [device, viaLora] = await Promise.all([tf.tidy(() => deviceDropout(x, 0.1, 5)).data(), tf.tidy(() => loraDropout(x, 0.1, 5)).data()]);
    expect(Array.from(viaLora)).toEqual(Array.from(device));
    setDropoutMasks('tfjs');
    const [host, viaLoraHost] = await Promise.all([tf.tidy(() => tf.dropout(x, 0.1, undefined, 5)).data(), tf.tidy(() => loraDropout(x, 0.1, 5)).data()]);
    expect(Array.from(viaLoraHost)).toEqual(Array.from(host));
    x.dispose();
  });

  it('is, bit for bit, the mask the host draws for cpu and wasm (rates 0.1, 0.25, 0.5; seeds past 2^32)', async () => {
    const ones = tf.ones([N / 256, 256]) as tf.Tensor2D;
    for (const [rate, seed] of [[0.1, 7], [0.25, 7 + 2 ** 32], [0.5, 2 ** 52 + 3]]) {
      const device = await tf.tidy(() => deviceDropout(ones, rate, seed)).data();
      expect(Array.from(device)).toEqual(Array.from(dropoutMask(N, rate, seed)));
    }
    ones.dispose();
  });

  it('leaves no tensor behind and refuses a rate or seed it cannot use', async () => {
    const x = tf.ones([8, 8]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.grad((t: tf.Tensor) => tf.sum(deviceDropout(t as tf.Tensor2D, 0.3, 1)))(x);
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(() => deviceDropout(x, 1, 1)).toThrow(/at least 0 and below 1/);
    expect(() => deviceDropout(x, 0.1, -1)).toThrow(/non-negative integer/);
    x.dispose();
  });
});
