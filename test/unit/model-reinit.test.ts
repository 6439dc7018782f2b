// The random-weight twin used by the pretraining comparison: every tensor re-drawn the way transformers
// initialises a fresh BERT, reproducibly from a seed, and the pretrained original left untouched.
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { useBackend } from '../../src/runtime/tf-node';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { initKind, reinitialised } from '../../src/model/reinit';
import { ModelCache } from '../../src/model/model-cache';
import { modelRef } from '../../src/model/catalogue';
import { cliModelRef } from '../../scripts/cli/model-ref';

let base: LoadedModel;
beforeAll(async () => {
  await useBackend('cpu');
  base = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
});

const stats = (a: Float32Array) => {
  let s = 0;
  let s2 = 0;
  for (const x of a) {
    s += x;
    s2 += x * x;
  }
  const mean = s / a.length;
  return { mean, std: Math.sqrt(s2 / a.length - mean * mean) };
};

describe('initKind', () => {
  it('names each tensor as transformers initialises it', () => {
    expect(initKind('embeddings.LayerNorm.weight')).toBe('ones');
    expect(initKind('encoder.layer.0.output.LayerNorm.bias')).toBe('zeros');
    expect(initKind('transformer.layer.1.sa_layer_norm.weight')).toBe('ones');
    expect(initKind('transformer.layer.1.output_layer_norm.bias')).toBe('zeros');
    expect(initKind('encoder.layer.0.attention.self.query.bias')).toBe('zeros');
    expect(initKind('cls.predictions.bias')).toBe('zeros');
    expect(initKind('encoder.layer.0.attention.self.query.weight')).toBe('normal');
    expect(initKind('embeddings.word_embeddings.weight')).toBe('normal');
  });
});

describe('reinitialised', () => {
  it('draws N(0, initializer_range) weights, zero biases, unit LayerNorms and a zero padding row', () => {
    const twin = reinitialised(base, 0);
    const std = Number(base.rawConfig.initializer_range ?? 0.02);
    expect(Object.keys(twin.weights).sort()).toEqual(Object.keys(base.weights).sort());
    for (const [name, t] of Object.entries(twin.weights)) {
      expect(t.shape).toEqual(base.weights[name].shape);
      const kind = initKind(name);
      if (kind === 'ones') expect(t.data.every((x) => x === 1)).toBe(true);
      else if (kind === 'zeros') expect(t.data.every((x) => x === 0)).toBe(true);
      else if (t.data.length > 4000) {
        const { mean, std: s } = stats(t.data);
        // 4,000+ samples: the sample std is within a few percent of the target, the mean within a few σ/√n.
        expect(Math.abs(mean)).toBeLessThan(4 * std / Math.sqrt(t.data.length));
        expect(s).toBeGreaterThan(0.95 * std);
        expect(s).toBeLessThan(1.05 * std);
      }
    }
    const word = twin.weights['embeddings.word_embeddings.weight'];
    const H = word.shape[1];
    const pad = base.config.padTokenId;
    expect(word.data.subarray(pad * H, (pad + 1) * H).every((x) => x === 0)).toBe(true);
    expect(twin.device).toBeUndefined();
    expect(twin.tokenizer).toBe(base.tokenizer);
  });

  it('is a function of the seed alone, and leaves the original untouched', () => {
    const copy = Float32Array.from(base.weights['encoder.layer.0.attention.self.query.weight'].data);
    const a = reinitialised(base, 7).weights['encoder.layer.0.attention.self.query.weight'].data;
    const b = reinitialised(base, 7).weights['encoder.layer.0.attention.self.query.weight'].data;
    const c = reinitialised(base, 8).weights['encoder.layer.0.attention.self.query.weight'].data;
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(base.weights['encoder.layer.0.attention.self.query.weight'].data).toEqual(copy);
  });

  it('is what the page and the CLI load for tabtune-mini-random, cached apart from the pretrained model', async () => {
    const page = modelRef('tabtune-mini-random', 'http://localhost/app/');
    expect(page).toEqual({ id: 'tabtune-mini-random', url: 'http://localhost/app/models/tabtune-mini', reinitSeed: 0 });
    const cli = cliModelRef('tabtune-mini-random');
    expect(cli).toEqual({ id: 'tabtune-mini-random', url: resolve('public/models/tabtune-mini'), reinitSeed: 0 });
    const cache = new ModelCache();
    const [pre, rnd] = await Promise.all([cache.get({ id: 'tabtune-mini', url: cli.url }), cache.get(cli)]);
    expect(rnd.id).toBe('tabtune-mini-random');
    expect(rnd.revision).toBe('random-init-seed-0');
    expect(rnd.config).toEqual(pre.config);
    const name = 'encoder.layer.0.attention.self.query.weight';
    expect(rnd.weights[name].data).not.toEqual(pre.weights[name].data);
    expect(rnd.weights[name].data).toEqual(reinitialised(pre, 0).weights[name].data);
  });
});

describe('countTokens', () => {
  it('counts [CLS] text [SEP] without truncation, as the tokenizer encodes it', async () => {
    const { countTokens } = await import('../../src/train/inference');
    const cache = new ModelCache();
    const ref = { id: 'tiny-bert', url: resolve('public/models/tiny-bert') };
    const long = 'invoice '.repeat(300).trim();
    const counts = await countTokens({ model: ref, texts: ['Your order has shipped.', long, ''] }, cache);
    expect(Array.from(counts)).toEqual([base.tokenizer.encode('Your order has shipped.', 512).length, 302, 2]);
  });
});
