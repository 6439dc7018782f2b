// Frozen weights packed once (src/runtime/batch-matmul/packed-weights.ts): a product of a frozen weight reads the kept
// copy and gives the bits of packing it again, in either orientation and with either build; trainable variables and
// plain tensors are not kept; a copy goes with its data; the limit holds; tfjs's tensor count stays flat.
import v8 from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { PACKED_WEIGHTS_LIMIT as LIMIT, packedWeightBytes, packedWeightStats, setPackedWeightsLimit } from '../../src/runtime/batch-matmul/packed-weights';
import { scratchBytes } from '../../src/runtime/batch-matmul/slices';
import { batchMatMulStats, setBatchMatMulMode } from '../../src/runtime/wasm-batch-matmul';
import { supportedVariants } from '../../src/runtime/batch-matmul/module';
import { seeded } from '../helpers/seeded';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const bits = (t: tf.Tensor) => Array.from(t.dataSync());

describe('frozen weights packed once', () => {
  afterEach(() => {
    setPackedWeightsLimit(LIMIT);
    setBatchMatMulMode('auto');
  });

  for (const variant of ['relaxed', 'plain'] as const) {
    it.skipIf(!supportedVariants().includes(variant))(`${variant}: x·W and dy·Wᵀ read the kept copies with the bits of packing again, and the copies go with W`, async () => {
      await useBackend('wasm');
      setBatchMatMulMode(variant);
      // k = 40, n = 37: the relaxed build's packed-A kernel (over 32 columns) and a ragged last panel of 5 columns
      // the variable's data is its initial tensor's (tfjs shares it), freed once both are gone
      const w = tf.tidy(() => tf.variable(tf.tensor2d(seeded(40 * 37, 1), [40, 37]), false));
      const x = tf.tensor2d(seeded(23 * 40, 2), [23, 40]);
      const dy = tf.tensor2d(seeded(23 * 37, 3), [23, 37]);
      const start = tf.memory().numTensors;
      const bytesBefore = packedWeightBytes(tf.backend());
      const products = () => tf.tidy(() => [bits(tf.matMul(x, w)), bits(tf.matMul(dy, w, false, true))]);
      setPackedWeightsLimit(0);
      const packingEachTime = products();
      setPackedWeightsLimit(LIMIT);
      const [packs, hits, ran] = [packedWeightStats.packs, packedWeightStats.hits, batchMatMulStats.products];
      const first = products();
      const again = products();
      expect(batchMatMulStats.products - ran).toBe(4);
      expect([packedWeightStats.packs - packs, packedWeightStats.hits - hits]).toEqual([2, 2]);
      expect(first).toEqual(packingEachTime);
      expect(again).toEqual(packingEachTime);
      // W (n 37, k 40) and Wᵀ (n 40, k 37): panels of 8 columns, each plus alignment slack
      expect(packedWeightBytes(tf.backend()) - bytesBefore).toBe(scratchBytes(37, 40).packed + scratchBytes(40, 37).packed + 64);
      expect(tf.memory().numTensors).toBe(start);
      w.dispose();
      expect(packedWeightBytes(tf.backend())).toBe(bytesBefore);
      tf.dispose([x, dy]);
    });
  }

  it('keeps no copy of a trainable variable or a plain tensor, nor past the limit', async () => {
    await useBackend('wasm');
    const x = tf.tensor2d(seeded(9 * 16, 4), [9, 16]);
    const trainable = tf.variable(tf.tensor2d(seeded(16 * 12, 5), [16, 12]), true);
    const plain = tf.tensor2d(seeded(16 * 12, 6), [16, 12]);
    const frozen = tf.variable(tf.tensor2d(seeded(16 * 12, 7), [16, 12]), false);
    const packs = packedWeightStats.packs;
    tf.tidy(() => [tf.matMul(x, trainable), tf.matMul(x, plain)].forEach((t) => t.dataSync()));
    expect(packedWeightStats.packs - packs).toBe(0);
    setPackedWeightsLimit(scratchBytes(12, 16).packed);
    tf.tidy(() => tf.matMul(x, frozen).dataSync());
    expect(packedWeightStats.packs - packs).toBe(0);
    setPackedWeightsLimit(LIMIT);
    tf.tidy(() => tf.matMul(x, frozen).dataSync());
    expect(packedWeightStats.packs - packs).toBe(1);
    tf.dispose([x, trainable, plain, frozen]);
  });
});
