// The encoder's fused WebGPU kernels (src/model/fused/, issue #21) in a whole training step, in Node on Dawn
// (SwiftShader here): the step's loss and every trainable gradient equal the tfjs ops' on the same backend; the
// dispatch budgets of issue #21 for a LoRA step (tiny-bert ≤ 150, MiniLM-L6 ≤ 400, DistilBERT ≤ 500); no readback
// inside the step, no leaked tensor, no device error. The PyTorch goldens run on this backend, fused, in
// test/parity/parity.test.ts and parity-cases.test.ts.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { paddedBatch } from '../helpers/padded-batch';
import { expectNoWebGpuErrors } from '../helpers/webgpu-errors';
import { resolve } from 'node:path';
import { useBackend } from '../../src/runtime/tf-node';
import { setFusedKernels } from '../../src/runtime/fused-switch';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { createClassifier } from '../../src/model/classifier';
import { disposeEncoder, type EncoderWeights } from '../../src/model/encoder';
import { crossEntropy, trainStep, uploadBatch } from '../../src/train/loop';
import { AdamW } from '../../src/train/optimizer';
import type { HostBatch, Method } from '../../src/model/types';
import { LORA, randomModel, shapeByName } from '../../bench/shared';

beforeAll(async () => {
  await useBackend('webgpu');
});

afterEach(async () => {
  setFusedKernels(true);
  await expectNoWebGpuErrors();
});

/** Counts calls of the backend's methods while f runs. */
function counting<T>(names: string[], f: () => T): { out: T; calls: Record<string, number> } {
  const backend = tf.backend() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const calls: Record<string, number> = {};
  const originals = names.map((n) => backend[n]);
  names.forEach((n, i) => {
    calls[n] = 0;
    backend[n] = function (this: unknown, ...a: unknown[]) {
      calls[n]++;
      return originals[i].apply(this, a);
    };
  });
  try {
    return { out: f(), calls };
  } finally {
    names.forEach((n, i) => (backend[n] = originals[i]));
  }
}

/** Loss and gradients of one forward/backward pass, fused or not, for the same freshly initialised classifier. */
async function lossAndGrads(model: LoadedModel, method: Method, fused: boolean, batch: HostBatch, more: { recompute?: boolean; dropout?: number; tokens?: boolean } = {}) {
  setFusedKernels(fused);
  const lora = { ...LORA, targetModules: ['query', 'value', 'intermediate.dense'], dropout: more.dropout ?? LORA.dropout };
  // Trainable tokens: every id of the batch but the most frequent padding, half of them, so both lookups run.
  const used = more.tokens ? [...new Set(batch.inputIds)].filter((id) => id !== 0).sort((a, b) => a - b).filter((_, i) => i % 2 === 0) : undefined;
  const clf = createClassifier(model, { method, numLabels: 2, seed: 3, lora, recompute: more.recompute ?? false, tokenIndices: used });
  clf.startStep?.(0);
  // LoRA's B starts at zero, which would hide A's gradient: a non-zero start for each B.
  clf.adapters.forEach((ad, i) => ad.b.assign(tf.randomNormal(ad.b.shape, 0, 0.05, 'float32', 11 + i)));
  const { ids, mask, labels } = uploadBatch(batch);
  const { value, grads } = tf.variableGrads(() => crossEntropy(clf.logits(ids, mask, true), labels, 2), clf.trainable);
  const loss = (await value.data())[0];
  const g = await Promise.all(clf.trainable.map(async (v) => ({ name: v.name.split('#')[0], data: (await grads[v.name].data()) as Float32Array })));
  tf.dispose([value, ids, mask, labels, ...Object.values(grads)]);
  clf.dispose();
  setFusedKernels(true);
  return { loss, grads: g };
}

describe('the fused encoder kernels in a training step on WebGPU', () => {
  for (const method of ['lora', 'full'] as const) {
    it(`tiny-bert ${method}: loss and every trainable gradient equal the tfjs ops' (padding, an adapter on the GELU layer)`, async () => {
      const model = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
      const batch = paddedBatch(4, 12, model.config.vocabSize);
      const ops = await lossAndGrads(model, method, false, batch);
      const fused = await lossAndGrads(model, method, true, batch);
      expect(fused.grads.map((g) => g.name)).toEqual(ops.grads.map((g) => g.name));
      let worst = 0;
      let worstName = '';
      for (let i = 0; i < ops.grads.length; i++) {
        const [a, b] = [fused.grads[i].data, ops.grads[i].data];
        let scale = 1e-3;
        for (const v of b) scale = Math.max(scale, Math.abs(v));
        for (let j = 0; j < a.length; j++) {
          const d = Math.abs(a[j] - b[j]) / scale;
          if (!(d <= worst)) [worst, worstName] = [d, ops.grads[i].name];
        }
      }
      console.log(`tiny-bert ${method}: loss ${fused.loss} fused, ${ops.loss} ops; ${ops.grads.length} gradients, worst difference ${worst.toExponential(2)} of the tensor's largest (${worstName})`);
      expect(Math.abs(fused.loss - ops.loss)).toBeLessThanOrEqual(1e-5);
      expect(worst).toBeLessThanOrEqual(1e-4);
      if (model.device) disposeEncoder(model.device as EncoderWeights);
    });
  }

  it('tiny-bert LoRA with trainable tokens: loss and gradients fused equal the tfjs ops\', with and without recompute', async () => {
    const model = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
    const batch = paddedBatch(4, 12, model.config.vocabSize);
    const ops = await lossAndGrads(model, 'lora', false, batch, { tokens: true });
    for (const recompute of [false, true]) {
      const fused = await lossAndGrads(model, 'lora', true, batch, { tokens: true, recompute });
      expect(fused.grads.map((g) => g.name)).toEqual(ops.grads.map((g) => g.name));
      expect(Math.abs(fused.loss - ops.loss)).toBeLessThanOrEqual(1e-5);
      const rows = ops.grads.findIndex((g) => g.name === 'embeddings.word_embeddings.trainable_tokens_delta');
      expect(rows).toBeGreaterThan(-1);
      const [a, b] = [fused.grads[rows].data, ops.grads[rows].data];
      const scale = Math.max(1e-3, ...Array.from(b, Math.abs));
      expect(Math.max(...Array.from(a, (x, j) => Math.abs(x - b[j]))) / scale).toBeLessThanOrEqual(1e-4);
      expect(scale).toBeGreaterThan(1e-3);
    }
    if (model.device) disposeEncoder(model.device as EncoderWeights);
  });

  // Layer recompute (src/model/recompute.ts) runs the same fused forward a second time inside the gradient: with
  // LoRA dropout on, equal results also mean the second run drew the first run's masks.
  for (const method of ['lora', 'full'] as const) {
    it(`tiny-bert ${method}, fused, with layer recompute: the loss and gradients of the fused step without it`, async () => {
      const model = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
      const batch = paddedBatch(4, 12, model.config.vocabSize);
      const plain = await lossAndGrads(model, method, true, batch, { dropout: 0.2 });
      const rec = await lossAndGrads(model, method, true, batch, { dropout: 0.2, recompute: true });
      let worst = 0;
      for (let i = 0; i < plain.grads.length; i++) {
        const [a, b] = [rec.grads[i].data, plain.grads[i].data];
        let scale = 0;
        for (const v of b) scale = Math.max(scale, Math.abs(v));
        expect(scale).toBeGreaterThan(0);
        for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]) / scale);
      }
      console.log(`tiny-bert ${method} fused: loss ${plain.loss} plain, ${rec.loss} recomputed; worst gradient difference ${worst.toExponential(2)} of the tensor's largest`);
      expect(Math.abs(rec.loss - plain.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(plain.loss));
      expect(worst).toBeLessThanOrEqual(1e-6);
      if (model.device) disposeEncoder(model.device as EncoderWeights);
    });
  }

  // Dispatches do not depend on batch or sequence length: a small batch keeps SwiftShader quick.
  for (const [name, budget] of [['tiny-bert', 150], ['minilm-l6', 400], ['distilbert', 500]] as const) {
    it(`${name} LoRA step (query, value; r 8): at most ${budget} dispatches, no readback, no leak`, async () => {
      const shape = shapeByName(name);
      const model = randomModel(shape);
      const clf = createClassifier(model, { method: 'lora', numLabels: 2, seed: 0, lora: LORA });
      const opt = new AdamW(clf.trainable, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
      const batch = paddedBatch(2, 8, shape.vocab);
      const warm = trainStep(clf, opt, batch, 1e-4, 1);
      await warm.data();
      warm.dispose();
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      for (let s = 0; s < 2; s++) {
        const { out, calls } = counting(['recordAndSubmit', 'read', 'readSync'], () => trainStep(clf, opt, batch, 1e-4, 1));
        await out.data();
        out.dispose();
        expect(calls.read + calls.readSync).toBe(0);
        counts.push(calls.recordAndSubmit);
      }
      setFusedKernels(false);
      const { out, calls } = counting(['recordAndSubmit'], () => trainStep(clf, opt, batch, 1e-4, 1));
      await out.data();
      out.dispose();
      setFusedKernels(true);
      console.log(`${name} LoRA step: ${counts[0]} dispatches fused, ${calls.recordAndSubmit} with the tfjs ops (the optimizer fused in both)`);
      expect(counts[1]).toBe(counts[0]);
      expect(counts[0]).toBeLessThanOrEqual(budget);
      expect(tf.memory().numTensors).toBe(before);
      opt.dispose();
      clf.dispose();
      disposeEncoder(model.device as EncoderWeights);
    });
  }
});
