// Layer recompute (src/model/recompute.ts) against the plain tape on the real tiny models: the same loss and
// gradients (LoRA with dropout, whose masks the second run must draw again, and full fine-tuning; BERT and
// DistilBERT), a lower peak of tensor bytes during a step, and no tensors left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { createClassifier, type Classifier } from '../../src/model/classifier';
import { activationBytes, recomputeWanted, setRecomputeProducts } from '../../src/model/recompute';
import { crossEntropy, trainStep } from '../../src/train/loop';
import { AdamW } from '../../src/train/optimizer';
import type { Method } from '../../src/model/types';
import { seeded } from '../helpers/seeded';

let models: Record<'bert' | 'distilbert', LoadedModel>;
beforeAll(async () => {
  models = {
    bert: await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') }),
    distilbert: await loadModel({ id: 'tiny-distilbert', url: resolve('public/models/tiny-distilbert') }),
  };
});
afterAll(async () => {
  await useBackend('cpu');
});

// Every linear layer adapted, so every part of a layer's backward pass carries a LoRA gradient.
const TARGETS = { bert: ['query', 'key', 'value', 'dense'], distilbert: ['q_lin', 'k_lin', 'v_lin', 'out_lin', 'lin1', 'lin2'] };

function classifier(kind: 'bert' | 'distilbert', method: Method, recompute: boolean): Classifier {
  const clf = createClassifier(models[kind], { method, numLabels: 3, seed: 5, recompute, lora: { r: 4, alpha: 8, dropout: 0.25, targetModules: TARGETS[kind] } });
  // B starts at zero, which would make A's gradient zero and the dropout masks invisible in the loss: give every
  // adapter a B of its own so a mask drawn differently the second time shows.
  clf.adapters.forEach((ad, i) => ad.b.assign(tf.tensor(seeded(ad.b.size, 100 + i, 0.3), ad.b.shape as [number, number])));
  return clf;
}

/** A batch of `rows` × `len` token ids with uneven padding, and labels. */
function batch(rows: number, len: number) {
  const ids = new Int32Array(rows * len);
  const mask = new Int32Array(rows * len);
  const r = seeded(rows * len, 9, 0.5, 0.5);
  for (let b = 0; b < rows; b++) {
    const real = len - (b * 3) % Math.max(1, len - 2);
    for (let t = 0; t < len; t++) {
      ids[b * len + t] = t === 0 ? 2 : t < real ? 5 + Math.floor(r[b * len + t] * 4000) : 0;
      mask[b * len + t] = t < real ? 1 : 0;
    }
  }
  return { batchSize: rows, seqLen: len, inputIds: ids, attentionMask: mask, labels: Int32Array.from({ length: rows }, (_, i) => i % 3) };
}

/** Loss and gradients of one training step (dropout on), with the peak of tensor bytes while it ran. */
function step(clf: Classifier, b: ReturnType<typeof batch>) {
  clf.startStep?.(7);
  const engine = tf.engine() as unknown as { runKernelFunc: (...a: unknown[]) => unknown };
  const original = engine.runKernelFunc;
  let peak = tf.memory().numBytes;
  engine.runKernelFunc = function (this: unknown, ...a: unknown[]) {
    const out = original.apply(this, a);
    peak = Math.max(peak, tf.memory().numBytes);
    return out;
  };
  try {
    return tf.tidy(() => {
      const ids = tf.tensor2d(b.inputIds, [b.batchSize, b.seqLen], 'int32');
      const mask = tf.tensor2d(b.attentionMask, [b.batchSize, b.seqLen], 'int32');
      const labels = tf.tensor1d(b.labels, 'int32');
      const { value, grads } = tf.variableGrads(() => crossEntropy(clf.logits(ids, mask, true), labels, clf.numLabels), clf.trainable);
      return { loss: value.dataSync()[0], grads: clf.trainable.map((v) => grads[v.name]?.dataSync() ?? null), peak };
    });
  } finally {
    engine.runKernelFunc = original;
  }
}

/** |got − want| at its largest, over the largest |want|: each tensor against its own scale. */
function relToLargest(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

describe.each(['cpu', 'wasm'] as const)('layer recompute on %s', (backend) => {
  describe.each([['bert', 'lora'], ['bert', 'full'], ['distilbert', 'lora'], ['distilbert', 'full']] as const)('%s %s', (kind, method) => {
    it('gives the loss and every trainable gradient of the plain tape (within 1e-6 of each tensor\'s largest)', async () => {
      await useBackend(backend);
      const b = batch(4, 12);
      const plainClf = classifier(kind, method, false);
      const plain = step(plainClf, b);
      plainClf.dispose();
      const recClf = classifier(kind, method, true);
      const rec = step(recClf, b);
      recClf.dispose();
      expect(rec.grads.length).toBe(plain.grads.length);
      expect(Math.abs(rec.loss - plain.loss) / Math.abs(plain.loss)).toBeLessThanOrEqual(1e-6);
      let worst = 0;
      plain.grads.forEach((g, i) => {
        // Every trainable tensor gets a gradient with or without recompute (no silent zeros).
        expect(g).not.toBeNull();
        expect(rec.grads[i]).not.toBeNull();
        expect(g!.some((v) => v !== 0)).toBe(true);
        worst = Math.max(worst, relToLargest(rec.grads[i]!, g!));
      });
      console.log(`${backend} ${kind} ${method}: loss ${plain.loss} vs ${rec.loss}, worst gradient difference ${worst.toExponential(2)} of its tensor's largest`);
      expect(worst).toBeLessThanOrEqual(1e-6);
    });
  });

  it('draws other masks on another step, so equal gradients above mean the masks were replayed, not absent', async () => {
    await useBackend(backend);
    const b = batch(4, 12);
    const clf = classifier('bert', 'lora', true);
    const a = step(clf, b);
    clf.startStep?.(8);
    const other = tf.tidy(() => {
      const ids = tf.tensor2d(b.inputIds, [b.batchSize, b.seqLen], 'int32');
      const mask = tf.tensor2d(b.attentionMask, [b.batchSize, b.seqLen], 'int32');
      return crossEntropy(clf.logits(ids, mask, true), tf.tensor1d(b.labels, 'int32'), clf.numLabels).dataSync()[0];
    });
    clf.dispose();
    expect(Math.abs(other - a.loss)).toBeGreaterThan(1e-4);
  });
});

describe('layer recompute: selective (the first run\'s products kept)', () => {
  /** How many products (BatchMatMul kernels) one training step runs. */
  async function products(kind: 'bert' | 'distilbert', method: Method, recompute: boolean): Promise<number> {
    const clf = classifier(kind, method, recompute);
    try {
      const info = await tf.profile(() => { step(clf, batch(4, 12)); });
      return info.kernels.filter((k) => k.name === 'BatchMatMul').length;
    } finally {
      clf.dispose();
    }
  }

  afterAll(() => setRecomputeProducts('keep'));

  it.each([['bert', 'lora'], ['bert', 'full'], ['distilbert', 'lora'], ['distilbert', 'full']] as const)('%s %s: the second run multiplies only attention and the adapters, not the linear layers', async (kind, method) => {
    await useBackend('cpu');
    const layers = models[kind].config.numLayers;
    // Every linear layer is adapted (TARGETS): each adapter is two products, x·A and (x·A)·B; attention is two more.
    const replayedPerLayer = 2 + (method === 'lora' ? 2 * 6 : 0);
    const plain = await products(kind, method, false);
    setRecomputeProducts('rerun');
    const rerun = await products(kind, method, true);
    setRecomputeProducts('keep');
    const keep = await products(kind, method, true);
    console.log(`${kind} ${method}: ${plain} products per step plain, ${rerun} recomputed multiplying again, ${keep} keeping the products`);
    expect(rerun - plain).toBe(layers * (replayedPerLayer + 6));
    expect(keep - plain).toBe(layers * replayedPerLayer);
  });

  it('keeps the loss and gradients of the plain tape when multiplying again too', async () => {
    await useBackend('wasm');
    const b = batch(4, 12);
    const plainClf = classifier('distilbert', 'lora', false);
    const plain = step(plainClf, b);
    plainClf.dispose();
    setRecomputeProducts('rerun');
    const recClf = classifier('distilbert', 'lora', true);
    const rec = step(recClf, b);
    recClf.dispose();
    setRecomputeProducts('keep');
    expect(rec.loss).toBe(plain.loss);
    plain.grads.forEach((g, i) => expect(relToLargest(rec.grads[i]!, g!)).toBeLessThanOrEqual(1e-6));
  });
});

describe('layer recompute: memory', () => {
  it('lowers the peak of tensor bytes during a step (2-layer tiny-bert, batch 16 × seq 128, wasm)', async () => {
    await useBackend('wasm');
    const b = batch(16, 128);
    const peaks: Record<string, number[]> = { lora: [], full: [] };
    for (const method of ['lora', 'full'] as const) {
      for (const recompute of [false, true]) {
        const clf = classifier('bert', method, recompute);
        const base = tf.memory().numBytes;
        const { peak } = step(clf, b);
        peaks[method].push(peak - base);
        clf.dispose();
      }
      const [plain, rec] = peaks[method];
      console.log(`tiny-bert ${method} 16×128 on wasm: step peak above the weights ${(plain / 2 ** 20).toFixed(1)} MiB plain, ${(rec / 2 ** 20).toFixed(1)} MiB recomputed; activationBytes estimate ${(activationBytes(models.bert.config, 16, 128) / 2 ** 20).toFixed(1)} MiB`);
      // Two layers: the plain tape holds both layers' activations at the peak, recompute one layer's at a time.
      expect(rec).toBeLessThan(0.8 * plain);
    }
  });

  it('uploads nothing activation-sized: the input gradient layer 0 is not asked for is made on the device (LoRA, wasm)', async () => {
    await useBackend('wasm');
    const b = batch(4, 12);
    // No LoRA dropout: tf.dropout draws its masks on the host (bench/RESULTS.md, "Reading"), which is not this test's matter.
    const clf = createClassifier(models.bert, { method: 'lora', numLabels: 3, seed: 5, recompute: true, lora: { r: 4, alpha: 8, dropout: 0, targetModules: TARGETS.bert } });
    const backend = tf.backend() as unknown as { write: (values: ArrayBufferView | null, ...rest: unknown[]) => unknown };
    const write = backend.write;
    let largest = 0;
    backend.write = function (this: unknown, values, ...rest) {
      // tfjs-wasm allocates every kernel output through write(null, …): an allocation, not an upload.
      if (values) largest = Math.max(largest, values.byteLength);
      return write.call(this, values, ...rest);
    };
    try {
      step(clf, b);
    } finally {
      backend.write = write;
      clf.dispose();
    }
    // The step's own uploads are the batch (ids, mask, labels) and scalars; an activation is batch × seq × hidden.
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThan(b.batchSize * b.seqLen * models.bert.config.hiddenSize * 4);
  });

  it('leaves no tensors behind over 3 training steps', async () => {
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      for (const method of ['lora', 'full'] as const) {
        const clf = classifier('distilbert', method, true);
        const opt = new AdamW(clf.trainable, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
        const counts: number[] = [];
        for (let s = 0; s < 3; s++) {
          clf.startStep?.(s);
          trainStep(clf, opt, batch(4, 12), 1e-3, 1).dispose();
          counts.push(tf.memory().numTensors);
        }
        opt.dispose();
        clf.dispose();
        expect(counts[2]).toBe(counts[0]);
        expect(counts[1]).toBe(counts[0]);
      }
    }
  });

  it("'auto' recomputes only on wasm, and there only where the step's activations would overflow the heap", async () => {
    await useBackend('cpu');
    const distil = { ...models.distilbert.config, hiddenSize: 768, numHeads: 12, numLayers: 6 };
    expect(recomputeWanted('auto', distil, 16, 128)).toBe(false);
    expect(recomputeWanted(true, models.bert.config, 1, 4)).toBe(true);
    await useBackend('wasm');
    expect(recomputeWanted('auto', models.bert.config, 16, 128)).toBe(false);
    expect(recomputeWanted('auto', distil, 16, 128)).toBe(true);
    expect(recomputeWanted(false, distil, 16, 128)).toBe(false);
  });
});
