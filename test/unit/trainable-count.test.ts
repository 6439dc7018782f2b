// What the page says a run will train (src/model/trainable-count.ts, src/train/inference.ts sizeRun) against what
// the run really trains: the variables classifierForRun creates, counted, for every method and both architectures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { useBackend } from '../../src/runtime/tf-node';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { baseEncoder, classifierForRun } from '../../src/model/classifier';
import { trainableParams } from '../../src/model/trainable-count';
import { linearsOf, matchesTarget } from '../../src/model/lora';
import { tokensUsed } from '../../src/model/trainable-tokens';
import { ModelCache } from '../../src/model/model-cache';
import { sizeRun } from '../../src/train/inference';
import { encodeSplit } from '../../src/train/evaluate';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../src/config';
import { describeRunSize } from '../../src/ui/run-size';

const models: Record<string, LoadedModel> = {};
beforeAll(async () => {
  await useBackend('cpu');
  for (const id of ['tiny-bert', 'tiny-distilbert']) models[id] = await loadModel({ id, url: resolve(`public/models/${id}`) });
});
afterAll(async () => {
  await useBackend('cpu');
});

const cfg = (over: Partial<TrainConfig>): TrainConfig => ({ ...DEFAULT_TRAIN_CONFIG, loraDropout: 0, ...over });

describe('the count before a run', () => {
  it('is hand-computable: tiny-bert (hidden 64, 2 layers), LoRA r 4 on query and value, 9 token rows, 3 labels', () => {
    const c = cfg({ method: 'lora', loraR: 4, loraTargets: ['query', 'value'], trainTokens: true });
    // 2 layers × 2 targets × r 4 × (64 in + 64 out) = 2,048; 9 rows × 64 = 576; head 64 × 3 + 3 = 195. The base:
    // (4,096 words + 512 positions + 2 types + LayerNorm's 2) × 64 + 2 × (4 × (64² + 64) + 2 × 64 × 256 + 256 + 64 + 4 × 64).
    expect(trainableParams(baseEncoder(models['tiny-bert']), c, 3, 9)).toEqual({ lora: 2048, tokens: 576, tokenRows: 9, encoder: 0, head: 195, total: 2819, baseParams: 395_136 });
  });

  const CASES: [string, Partial<TrainConfig>][] = [
    ['LoRA on query, value', { method: 'lora', loraR: 8, loraTargets: ['query', 'value'] }],
    ['LoRA on every "dense" (square and 4× wide layers)', { method: 'lora', loraR: 4, loraTargets: ['dense'] }],
    ['LoRA on DistilBERT\'s names, FFN included', { method: 'lora', loraR: 2, loraTargets: ['q_lin', 'v_lin', 'lin1', 'lin2'] }],
    ['LoRA with trainable tokens', { method: 'lora', loraR: 8, loraTargets: ['query', 'value', 'q_lin', 'v_lin'], trainTokens: true }],
    ['head only (trainTokens ignored)', { method: 'head', trainTokens: true }],
    ['full fine-tuning', { method: 'full' }],
  ];
  for (const id of ['tiny-bert', 'tiny-distilbert']) {
    for (const [what, over] of CASES) {
      it(`${id}, ${what}: equals the classifier's own count of its trainable and total parameters`, () => {
        const base = models[id];
        const c = cfg(over);
        // BERT's names on DistilBERT (and back) match no layer: classifierForRun refuses them, nothing to compare.
        if (c.method === 'lora' && !linearsOf(baseEncoder(base)).some((l) => matchesTarget(l.name, c.loraTargets))) return;
        const ids = [2, 7, 11, 40, 41, 42];
        const clf = classifierForRun(base, 4, c, ids);
        try {
          const n = trainableParams(baseEncoder(base), c, 4, ids.length);
          expect(n.total).toBe(clf.trainableParamCount());
          expect(n.tokens).toBe(clf.tokens?.values.size ?? 0);
          // The base model's own parameters, by hand from its config: embeddings and their LayerNorm, then per layer
          // four H×H attention products, the two FFN products, their biases and two LayerNorms.
          const { vocabSize: V, maxPositions: P, typeVocabSize: T, hiddenSize: H, intermediateSize: I, numLayers: L } = base.config;
          expect(clf.totalParamCount() - n.lora - n.head).toBe((V + P + T + 2) * H + L * (4 * (H * H + H) + 2 * H * I + I + H + 4 * H));
        } finally {
          clf.dispose();
        }
      });
    }
  }
});

describe('sizeRun (the worker\'s answer to the page)', () => {
  it('counts the token rows a run on these texts trains, cut to maxLen, as the session builds the run', async () => {
    const cache = new ModelCache();
    const ref = { id: 'tiny-bert', url: resolve('public/models/tiny-bert') };
    const texts = ['Your order has shipped.', 'Invoice 2024-17 is overdue, please pay.', 'invoice '.repeat(80).trim() + ' zebra quartz yellow mountain river'];
    const config = { method: 'lora' as const, loraR: 4, loraTargets: ['query', 'value'], trainTokens: true, maxLen: 16 };
    const size = await sizeRun({ model: ref, texts, numLabels: 2, config }, cache);
    const base = await cache.get(ref);
    const used = tokensUsed(encodeSplit(base, texts.map((text) => ({ text, label: 'a' })), ['a'], 16), base.config.padTokenId);
    // The long text is cut before its last words: their ids are not counted.
    const uncut = tokensUsed(encodeSplit(base, texts.map((text) => ({ text, label: 'a' })), ['a'], 512), base.config.padTokenId);
    expect(used.length).toBeLessThan(uncut.length);
    expect(size.tokenRows).toBe(used.length);
    const clf = classifierForRun(base, 2, cfg(config), used);
    try {
      expect(size.total).toBe(clf.trainableParamCount());
      expect(size.baseParams + size.lora + size.head).toBe(clf.totalParamCount());
    } finally {
      clf.dispose();
    }
    const off = await sizeRun({ model: ref, texts, numLabels: 2, config: { ...config, trainTokens: false } }, cache);
    expect(off).toMatchObject({ tokens: 0, tokenRows: 0, total: size.lora + size.head });
  });

  it('reads as one sentence with the parts, the share and the saved size', () => {
    const s = { lora: 32_768, tokens: 766_720, tokenRows: 2_995, encoder: 0, head: 1_028, total: 800_516, baseParams: 6_338_560 };
    expect(describeRunSize(s)).toBe(
      'What trains: 32,768 LoRA weights + 766,720 word-embedding weights (the 2,995 distinct tokens of your training split, 256 each) + 1,028 in the head = 800,516 parameters, 12.6 % of the model\'s 6,372,356; the adapter file holds about 3.2 MB.',
    );
    expect(describeRunSize({ ...s, tokens: 0, tokenRows: 0, total: 33_796 })).toBe(
      'What trains: 32,768 LoRA weights + 1,028 in the head = 33,796 parameters, 0.53 % of the model\'s 6,372,356; the adapter file holds about 135 KB.',
    );
    expect(describeRunSize({ ...s, lora: 0, tokens: 0, tokenRows: 0, encoder: 6_338_560, total: 6_339_588 })).toBe(
      'What trains: 6,338,560 weights of the encoder (all of them) + 1,028 in the head = 6,339,588 parameters, 100.0 % of the model\'s 6,339,588; each checkpoint is a whole model, about 25 MB.',
    );
  });
});
