import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { readSafetensors, writeSafetensors, halfToFloat } from '../../src/model/safetensors';
import { canonicalWeights, loadModel, parseConfig, type LoadedModel } from '../../src/model/load';
import { createClassifier } from '../../src/model/classifier';
import { matchesTarget } from '../../src/model/lora';
import { crossEntropy, trainLoop } from '../../src/train/loop';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';
import { toyData } from '../helpers/fake-model';

let bert: LoadedModel;
beforeAll(async () => {
  await useBackend('cpu');
  bert = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
});

describe('safetensors', () => {
  it('decodes F16 and BF16 by hand-checked bit patterns', () => {
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555].map(halfToFloat)).toEqual([1, -2, 65504, 2 ** -24, 0.333251953125]);
    const t = { x: { shape: [2, 3], data: Float32Array.from([1, -2, 0.5, 3.140625, -0.0078125, 1024]) } };
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const back = readSafetensors(writeSafetensors(t, { a: 'b' }, dtype));
      expect(back.tensors.x.dtype).toBe(dtype);
      expect(back.tensors.x.shape).toEqual([2, 3]);
      expect(Array.from(back.tensors.x.data)).toEqual([1, -2, 0.5, 3.140625, -0.0078125, 1024]);
      expect(back.metadata).toEqual({ a: 'b' });
    }
  });

  it('names what is wrong with a broken file', () => {
    expect(() => readSafetensors(new Uint8Array(4), 'm.safetensors')).toThrow('m.safetensors: file is 4 bytes, too short');
    const ok = writeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
    expect(() => readSafetensors(ok.slice(0, ok.length - 4), 'm.safetensors')).toThrow(/tensor "w" has data offsets \[0, 16\]/);
  });
});

describe('loading hub-format models', () => {
  it('refuses an unsupported architecture, naming it and what is supported', () => {
    expect(() => parseConfig({ model_type: 'gpt2' })).toThrow('config.json: model_type "gpt2" is not supported; tabtune supports bert and distilbert');
  });

  it('reads BERT and DistilBERT configs into one shape', () => {
    const d = parseConfig({ model_type: 'distilbert', vocab_size: 10, dim: 8, n_layers: 1, n_heads: 2, hidden_dim: 16, max_position_embeddings: 32 });
    expect(d).toMatchObject({ modelType: 'distilbert', hiddenSize: 8, numLayers: 1, intermediateSize: 16, typeVocabSize: 0, layerNormEps: 1e-12 });
    expect(bert.config).toMatchObject({ modelType: 'bert', hiddenSize: 64, numLayers: 2, numHeads: 2, maxPositions: 512 });
    expect(bert.pooling).toBe('cls');
  });

  it('accepts names with or without the bert. prefix and names a missing or mis-shaped tensor', () => {
    const withPrefix = Object.fromEntries(Object.entries(bert.weights).map(([k, v]) => [`bert.${k}`, v]));
    expect(Object.keys(canonicalWeights(bert.config, withPrefix))).toContain('encoder.layer.1.output.dense.weight');
    const missing = { ...bert.weights };
    delete missing['encoder.layer.1.attention.self.key.weight'];
    expect(() => canonicalWeights(bert.config, missing)).toThrow('model.safetensors: tensor "encoder.layer.1.attention.self.key.weight" (or "bert.encoder.layer.1.attention.self.key.weight") is missing; expected shape [64, 64].');
    const bad = { ...bert.weights, 'encoder.layer.0.intermediate.dense.weight': { dtype: 'F32', shape: [64, 256], data: new Float32Array(64 * 256) } };
    expect(() => canonicalWeights(bert.config, bad)).toThrow('tensor "encoder.layer.0.intermediate.dense.weight" has shape [64, 256], expected [256, 64] from config.json.');
  });

  it('tokenises with transformers.js into [CLS] … [SEP], truncating to max length and keeping [SEP]', () => {
    const t = bert.tokenizer;
    expect(t.tokens('Your order has SHIPPED.')).toEqual(['your', 'order', 'has', 'shipped', '.']);
    const ids = t.encode('Your order has shipped.', 128);
    expect(ids[0]).toBe(t.clsId);
    expect(ids[ids.length - 1]).toBe(t.sepId);
    expect(ids.map((i) => t.idToToken(i))).toEqual(['[CLS]', 'your', 'order', 'has', 'shipped', '.', '[SEP]']);
    const cut = t.encode('one two three four five six seven', 4);
    expect(cut.map((i) => t.idToToken(i))).toEqual(['[CLS]', 'one', 'two', '[SEP]']);
    expect(ids.every((i) => Number.isInteger(i))).toBe(true);
  });
});

describe('classifier methods', () => {
  const lora = { r: 8, alpha: 16, dropout: 0, targetModules: ['query', 'value'] };
  it('counts trainable parameters by hand: head, LoRA r=8 on query+value, full', () => {
    const total = Object.values(bert.weights).reduce((s, t) => s + t.data.length, 0); // 395,136
    const head = createClassifier(bert, { method: 'head', numLabels: 4, seed: 0, lora });
    expect(head.trainableParamCount()).toBe(64 * 4 + 4);
    expect(head.totalParamCount()).toBe(total + 260);
    const l = createClassifier(bert, { method: 'lora', numLabels: 4, seed: 0, lora });
    // 2 layers × (query, value) × (A 64×8 + B 8×64) + head
    expect(l.trainableParamCount()).toBe(2 * 2 * (64 * 8 + 8 * 64) + 260);
    const full = createClassifier(bert, { method: 'full', numLabels: 4, seed: 0, lora });
    expect(full.trainableParamCount()).toBe(total + 260);
    [head, l, full].forEach((c) => c.dispose());
  });

  it('matches PEFT target names by suffix', () => {
    expect(matchesTarget('encoder.layer.0.attention.self.query', ['query'])).toBe(true);
    expect(matchesTarget('encoder.layer.0.attention.output.dense', ['dense'])).toBe(true);
    expect(matchesTarget('encoder.layer.0.attention.self.query', ['uery'])).toBe(false);
    expect(() => createClassifier(bert, { method: 'lora', numLabels: 2, seed: 0, lora: { ...lora, targetModules: ['q_lin'] } })).toThrow(/match no layer of this model; its linear layers end in: query, key, value, dense/);
  });

  it('equals the base model exactly at step 0 (lora_B is zero)', () => {
    const c = createClassifier(bert, { method: 'lora', numLabels: 4, seed: 3, lora: { ...lora, targetModules: ['query', 'key', 'value', 'dense'] } });
    const ids = tf.tensor2d([bert.tokenizer.encode('Please find attached invoice 123.', 16).concat([0, 0, 0, 0, 0, 0, 0, 0]).slice(0, 16)], undefined, 'int32');
    const mask = tf.tidy(() => tf.cast(tf.notEqual(ids, 0), 'int32')) as tf.Tensor2D;
    const [a, b] = tf.tidy(() => [c.embed(ids, mask).dataSync(), c.embedBase(ids, mask).dataSync()]);
    expect(Array.from(a)).toEqual(Array.from(b));
    c.dispose();
    tf.dispose([ids, mask]);
  });

  it('has LoRA gradients equal to central finite differences', () => {
    const c = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 5, lora: { r: 2, alpha: 4, dropout: 0, targetModules: ['value'] } });
    // Non-zero B so that A's gradient is not identically zero.
    c.adapters.forEach((ad, i) => ad.b.assign(tf.randomNormal(ad.b.shape, 0, 0.5, 'float32', 10 + i)));
    const ids = tf.tensor2d([[2, 40, 41, 42, 3, 0], [2, 50, 51, 3, 0, 0]], undefined, 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]], undefined, 'int32');
    const labels = tf.tensor1d([0, 2], 'int32');
    const lossOf = () => crossEntropy(c.logits(ids, mask, false), labels, 3);
    const { grads } = tf.variableGrads(lossOf, c.trainable);
    const checks: [tf.Variable, number][] = [[c.adapters[0].a, 5], [c.adapters[0].a, 77], [c.adapters[1].b, 3], [c.adapters[1].b, 100]];
    for (const [v, idx] of checks) {
      const analytic = grads[v.name].dataSync()[idx];
      const base = v.dataSync().slice();
      const at = (delta: number) => {
        const p = base.slice();
        p[idx] += delta;
        v.assign(tf.tensor(p, v.shape));
        return tf.tidy(() => lossOf().dataSync()[0]);
      };
      const eps = 1e-2;
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(base, v.shape));
      expect(Math.abs(analytic - numeric)).toBeLessThan(1e-4 + 2e-2 * Math.abs(numeric));
      expect(Math.abs(analytic)).toBeGreaterThan(1e-6);
    }
    tf.dispose([ids, mask, labels, ...Object.values(grads)]);
    c.dispose();
  });
});

describe('training the real model', () => {
  it('leaks no tensors: count and bytes equal after step 5 and step 50', async () => {
    const c = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 1, lora: { r: 4, alpha: 8, dropout: 0.1, targetModules: ['query', 'value'] } });
    const seen: Record<number, { numTensors: number; numBytes: number }> = {};
    await trainLoop(c, { train: toyData(400, 3, 1), validation: toyData(30, 3, 2), padId: 0 }, { ...DEFAULT_TRAIN_CONFIG, epochs: 2, batchSize: 16, lossReadEvery: 5, checkpointEvery: 0 }, {
      onStep: (s) => {
        if (s.step === 5 || s.step === 50) seen[s.step] = { numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes };
      },
    });
    expect(seen[5]).toBeDefined();
    expect(seen[50]).toEqual(seen[5]);
    c.dispose();
  });

  it('full fine-tuning trains the word embeddings on wasm (custom gather gradient)', async () => {
    await useBackend('wasm');
    const c = createClassifier(bert, { method: 'full', numLabels: 2, seed: 1, lora: { r: 1, alpha: 1, dropout: 0, targetModules: ['query'] } });
    const word = c.trainable[0];
    const before = word.dataSync().slice(45 * 64, 46 * 64);
    const res = await trainLoop(c, { train: toyData(32, 2, 1).map((e) => ({ ...e, ids: e.ids.map((i) => Math.min(i, 45)) })), validation: toyData(8, 2, 2), padId: 0 }, { ...DEFAULT_TRAIN_CONFIG, method: 'full', epochs: 1, batchSize: 16, lr: 1e-2 });
    expect(res.stop).toBe('finished');
    const after = word.dataSync().slice(45 * 64, 46 * 64);
    expect(Math.max(...after.map((x, i) => Math.abs(x - before[i])))).toBeGreaterThan(1e-4);
    c.dispose();
    await useBackend('cpu');
  });
});

describe('forgetting check', () => {
  it('is exactly zero for a LoRA adapter at init, and grows with the learning rate', async () => {
    const { forgettingCheck } = await import('../../src/train/forgetting-check');
    const mk = () => createClassifier(bert, { method: 'lora', numLabels: 3, seed: 2, lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['query', 'value'] } });
    const fresh = mk();
    const zero = await forgettingCheck(fresh, bert);
    expect(zero.meanDrift).toBe(0);
    expect(zero.spearmanDelta).toBe(0);
    expect(zero.detachedDrift).toBe(0);
    fresh.dispose();
    const drift: number[] = [];
    for (const lr of [1e-3, 3e-2]) {
      const c = mk();
      await trainLoop(c, { train: toyData(64, 3, 1), validation: toyData(12, 3, 2), padId: 0 }, { ...DEFAULT_TRAIN_CONFIG, epochs: 2, batchSize: 16, lr, earlyStopping: false });
      const report = await forgettingCheck(c, bert);
      drift.push(report.meanDrift);
      // The same trained classifier with its adapters detached is the base model again, to the last bit.
      expect(report.detachedDrift).toBe(0);
      c.dispose();
    }
    console.log(`forgetting drift: lr 1e-3 → ${drift[0].toExponential(2)}, lr 3e-2 → ${drift[1].toExponential(2)}`);
    expect(drift[0]).toBeGreaterThan(0);
    expect(drift[1]).toBeGreaterThan(drift[0]);
  });
});

describe('importing a PEFT adapter', () => {
  it('round-trips an export and refuses a mismatched base model, naming what differs', async () => {
    const { peftFiles, importPeftAdapter } = await import('../../src/model/peft');
    const c = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 9, lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['query', 'value'] } });
    c.adapters.forEach((a, i) => a.b.assign(tf.randomNormal(a.b.shape, 0, 0.1, 'float32', i)));
    const names = c.trainableNames();
    const ckpt = writeSafetensors(Object.fromEntries(c.trainable.map((v, i) => [names[i], { shape: v.shape, data: v.dataSync() as Float32Array }])));
    const files = peftFiles({ modelRef: { id: 'tiny-bert' }, modelType: 'bert', hiddenSize: 64, config: { ...DEFAULT_TRAIN_CONFIG, loraR: 4, loraAlpha: 8, loraTargets: ['query', 'value'] }, labels: ['x', 'y', 'z'], pooling: 'cls', checkpoint: ckpt.buffer as ArrayBuffer });
    const back = importPeftAdapter(files, bert);
    expect(back).toMatchObject({ method: 'lora', r: 4, alpha: 8, targets: ['query', 'value'], labels: ['x', 'y', 'z'] });
    const { tensors } = readSafetensors(back.checkpoint);
    names.forEach((n, i) => expect(Array.from(tensors[n].data)).toEqual(Array.from(c.trainable[i].dataSync())));
    const distil = await loadModel({ id: 'tiny-distilbert', url: resolve('public/models/tiny-distilbert') });
    expect(() => importPeftAdapter(files, distil)).toThrow(/is not a distilbert module; this adapter was trained on another architecture than tiny-distilbert/);
    const wide = { ...bert, config: { ...bert.config, hiddenSize: 128 } };
    expect(() => importPeftAdapter(files, wide)).toThrow('classifier.weight is [3, 64]: it expects hidden size 64, but tiny-bert has 128.');
    c.dispose();
  });
});

describe('rehearsal (a mitigation for forgetting)', () => {
  it('rehearses sentences disjoint from the probe set that measures forgetting', async () => {
    const { REHEARSAL_TEXTS } = await import('../../src/guards/rehearsal-set');
    const { PROBE_PAIRS, PROBE_TEXTS } = await import('../../src/guards/probe-set');
    const norm = (t: string) => t.toLowerCase().replace(/[^a-z ]/g, '').trim();
    const probe = new Set([...PROBE_TEXTS, ...PROBE_PAIRS.flatMap((p) => [p.a, p.b])].map(norm));
    expect(REHEARSAL_TEXTS.length).toBeGreaterThanOrEqual(32);
    expect(REHEARSAL_TEXTS.filter((t) => probe.has(norm(t)))).toEqual([]);
    expect(new Set(REHEARSAL_TEXTS.map(norm)).size).toBe(REHEARSAL_TEXTS.length);
  });

  it('is zero for an untrained LoRA adapter, keeps full fine-tuning closer to the base, and leaks nothing', async () => {
    const { forgettingCheck } = await import('../../src/train/forgetting-check');
    const { rehearsalData } = await import('../../src/train/rehearsal');
    const { rehearsalLoss, uploadRehearsal } = await import('../../src/train/loop');
    const cfg = { ...DEFAULT_TRAIN_CONFIG, epochs: 3, batchSize: 16, lr: 3e-3, earlyStopping: false, maxLen: 64, rehearsal: 1 };
    const r = await rehearsalData(bert, cfg);
    expect(r.count).toBe(32);
    // Targets are unit vectors.
    for (let i = 0; i < r.count; i++) expect(Math.hypot(...r.targets.subarray(i * r.hidden, (i + 1) * r.hidden))).toBeCloseTo(1, 5);

    const lora = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 2, lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['query', 'value'] } });
    const t = uploadRehearsal(r);
    const zero = rehearsalLoss(lora, t, 5);
    expect(Math.abs((await zero.data())[0])).toBeLessThan(1e-6); // float32 rounding of 1 − cos(x, x)
    tf.dispose([zero, t.ids, t.mask, t.targets]);
    lora.dispose();

    // Same seed, same data, same high learning rate: full fine-tuning with and without rehearsal.
    const data = { train: toyData(64, 3, 1), validation: toyData(12, 3, 2), padId: 0 };
    const drift: number[] = [];
    const trainLosses: number[][] = [];
    for (const weight of [0, 1]) {
      const c = createClassifier(bert, { method: 'full', numLabels: 3, seed: 2, lora: { r: 4, alpha: 8, dropout: 0, targetModules: [] } });
      const before = tf.memory().numTensors;
      const res = await trainLoop(c, { ...data, rehearsal: weight ? { ...r, weight } : undefined }, { ...cfg, rehearsal: weight });
      expect(tf.memory().numTensors).toBe(before);
      trainLosses.push(res.trainLoss);
      drift.push((await forgettingCheck(c, bert, 64)).meanDrift);
      c.dispose();
    }
    console.log(`full fine-tuning, lr 3e-3: drift ${drift[0].toExponential(2)} without rehearsal, ${drift[1].toExponential(2)} with; train loss ${trainLosses.map((l) => l.at(-1)!.toFixed(3)).join(' vs ')}`);
    // Measured on the probe set, which rehearsal never sees.
    expect(drift[1]).toBeLessThan(0.5 * drift[0]);
    // And the task is still learned: the classification loss falls in both runs.
    for (const l of trainLosses) expect(l.at(-1)!).toBeLessThan(l[0]);
  }, 240_000);
});
