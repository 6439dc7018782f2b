// LoRA as PEFT does it, checked by hand: the update's scaling, initialisation, PEFT target matching and
// parameter counts per layer kind, and dropout that touches the adapter input only and is reproducible by seed.
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { createClassifier } from '../../src/model/classifier';
import { loraHook, type LoraAdapter } from '../../src/model/lora';
import { linear, type Linear } from '../../src/model/encoder';

let bert: LoadedModel;
let distil: LoadedModel;
beforeAll(async () => {
  await useBackend('cpu');
  bert = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
  distil = await loadModel({ id: 'tiny-distilbert', url: resolve('public/models/tiny-distilbert') });
});

const settings = (targetModules: string[], r = 8, dropout = 0) => ({ r, alpha: 16, dropout, targetModules });
const batch = () => ({
  ids: tf.tensor2d([[2, 368, 180, 203, 52, 187, 41, 3], [2, 458, 459, 3, 0, 0, 0, 0]], undefined, 'int32'),
  mask: tf.tensor2d([[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0, 0]], undefined, 'int32'),
});

describe('the LoRA update', () => {
  it('adds x·A·B·alpha/r to the layer output (hand-computed 2×2 case)', () => {
    // x = [1, 2]; W = 10·I, b = 0, so the base y = [10, 20]; A (tfjs [in, r]) = [[1], [3]] so xA = 7;
    // B ([r, out]) = [[0.5, -1]]; alpha 4, r 1 → scaling 4: y + 7 · [0.5, -1] · 4 = [10 + 14, 20 - 28] = [24, -8].
    const weights = { kernel: tf.variable(tf.tensor2d([[10, 0], [0, 10]]), false), bias: tf.variable(tf.zeros([2]), false) };
    const lin: Linear = { name: 'encoder.layer.0.attention.self.query', ...weights };
    const ad: LoraAdapter = { module: lin.name, a: tf.variable(tf.tensor2d([[1], [3]])), b: tf.variable(tf.tensor2d([[0.5, -1]])), scaling: 4 / 1 };
    const out = tf.tidy(() => linear(lin, tf.tensor2d([[1, 2]]), loraHook([ad], 0, true, () => 0)).arraySync());
    expect(out).toEqual([[24, -8]]);
    const other: Linear = { name: 'encoder.layer.0.attention.self.key', ...weights };
    expect(tf.tidy(() => linear(other, tf.tensor2d([[1, 2]]), loraHook([ad], 0, true, () => 0)).arraySync())).toEqual([[10, 20]]);
    tf.dispose([ad.a, ad.b, weights.kernel, weights.bias]);
  });

  it('initialises A kaiming-uniform(a=√5) — uniform within ±1/√in — and B at zero, reproducibly by seed', () => {
    const mk = (seed: number) => createClassifier(bert, { method: 'lora', numLabels: 2, seed, lora: settings(['query', 'intermediate.dense']) });
    const [c1, c2, c3] = [mk(4), mk(4), mk(5)];
    const q = c1.adapters.find((a) => a.module.endsWith('query'))!;
    const ffn = c1.adapters.find((a) => a.module.endsWith('intermediate.dense'))!;
    const a = q.a.dataSync() as Float32Array;
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(64));
    // The standard deviation of U(-b, b) is b/√3 (512 samples: within 10 %).
    const std = Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
    expect(Math.abs(std - 1 / Math.sqrt(64) / Math.sqrt(3))).toBeLessThan(0.1 / Math.sqrt(64) / Math.sqrt(3));
    expect(ffn.a.shape).toEqual([64, 8]);
    expect(ffn.b.shape).toEqual([8, 256]);
    expect(c1.adapters.every((ad) => ad.b.dataSync().every((x) => x === 0))).toBe(true);
    expect(Array.from(c2.adapters[0].a.dataSync())).toEqual(Array.from(a));
    expect(Array.from(c3.adapters[0].a.dataSync())).not.toEqual(Array.from(a));
    // Each adapted layer draws its own A.
    expect(Array.from(c1.adapters[1].a.dataSync())).not.toEqual(Array.from(a));
    [c1, c2, c3].forEach((c) => c.dispose());
  });
});

describe('target_modules and trainable parameters, counted by hand', () => {
  it('BERT: "dense" matches attention.output.dense, intermediate.dense and output.dense, as PEFT suffix matching does', () => {
    const c = createClassifier(bert, { method: 'lora', numLabels: 4, seed: 0, lora: settings(['dense']) });
    expect(c.adapters.map((a) => a.module)).toEqual([
      'encoder.layer.0.attention.output.dense', 'encoder.layer.0.intermediate.dense', 'encoder.layer.0.output.dense',
      'encoder.layer.1.attention.output.dense', 'encoder.layer.1.intermediate.dense', 'encoder.layer.1.output.dense',
    ]);
    // Per layer, r = 8: attention.output 64·8 + 8·64, intermediate 64·8 + 8·256, output 256·8 + 8·64 = 6144; + head 64·4 + 4.
    expect(c.trainableParamCount()).toBe(2 * 6144 + 260);
    c.dispose();
  });

  it('DistilBERT: q_lin, k_lin, v_lin, out_lin, lin1, lin2 at r = 4', () => {
    const c = createClassifier(distil, { method: 'lora', numLabels: 5, seed: 0, lora: settings(['q_lin', 'k_lin', 'v_lin', 'out_lin', 'lin1', 'lin2'], 4) });
    expect(c.adapters.length).toBe(12);
    // Per layer: four 64→64 maps 4 · (64·4 + 4·64) = 2048, lin1 64·4 + 4·256 = 1280, lin2 256·4 + 4·64 = 1280.
    expect(c.trainableParamCount()).toBe(2 * (2048 + 1280 + 1280) + 64 * 5 + 5);
    const total = Object.values(distil.weights).reduce((s, t) => s + t.data.length, 0);
    expect(c.totalParamCount()).toBe(total + c.trainableParamCount());
    c.dispose();
  });
});

describe('LoRA dropout', () => {
  it('applies to the adapter input only: with B = 0, training and evaluation logits are identical', () => {
    const c = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 1, lora: settings(['query', 'value'], 8, 0.5) });
    const { ids, mask } = batch();
    const [train, evalL] = tf.tidy(() => [c.logits(ids, mask, true).arraySync(), c.logits(ids, mask, false).arraySync()]);
    expect(train).toEqual(evalL);
    tf.dispose([ids, mask]);
    c.dispose();
  });

  it('changes the output when B ≠ 0, draws a new mask every call, and repeats with the same seed', () => {
    const mk = () => {
      const c = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 2, lora: settings(['query', 'value'], 8, 0.5) });
      c.adapters.forEach((a, i) => a.b.assign(tf.randomNormal(a.b.shape, 0, 1, 'float32', 100 + i)));
      return c;
    };
    const [c1, c2] = [mk(), mk()];
    const { ids, mask } = batch();
    const run = (c: typeof c1, training: boolean) => tf.tidy(() => Array.from(c.logits(ids, mask, training).dataSync()));
    const evalL = run(c1, false);
    const first = run(c1, true);
    const second = run(c1, true);
    expect(first).not.toEqual(evalL);
    expect(second).not.toEqual(first);
    expect(run(c2, true)).toEqual(first);
    expect(run(c2, true)).toEqual(second);
    tf.dispose([ids, mask]);
    [c1, c2].forEach((c) => c.dispose());
  });
});

describe('memory', () => {
  it('creating and disposing a classifier of each method leaves no tensor behind (the base stays shared)', () => {
    createClassifier(bert, { method: 'head', numLabels: 2, seed: 0, lora: settings(['query']) }).dispose(); // uploads the shared base once
    for (const method of ['head', 'lora', 'full'] as const) {
      const before = tf.memory().numTensors;
      const c = createClassifier(bert, { method, numLabels: 4, seed: 0, lora: settings(['query', 'value']) });
      // Only the variables themselves exist: head 2, LoRA 2 per adapted layer, full also its own copy of the base.
      expect(tf.memory().numTensors - before).toBe(c.trainable.length);
      c.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
