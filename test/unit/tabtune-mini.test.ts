// tabtune-mini, the bundled pretrained base: loaded through the app's own loader, run through the tfjs encoder
// and the MLM head, it must fill in masked common words on held-out text, and agree with PyTorch on which
// words and with what logits (goldens written by scripts/pretrain/export.py from the same F16 file).
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { createEncoderWeights, disposeEncoder, type EncoderWeights } from '../../src/model/encoder';
import { createMlmHead, disposeMlmHead, fillMask, type MlmHead } from '../../src/model/mlm';
import { MODEL_OPTIONS } from '../../src/model/catalogue';

const DIR = resolve('public/models/tabtune-mini');

interface GoldenCase {
  text: string;
  ids: number[];
  mask_position: number;
  answer: string;
  answer_id: number;
  top5_ids: number[];
  top5_tokens: string[];
  top5_logits: number[];
}
const goldens = JSON.parse(readFileSync(resolve('scripts/pretrain/mlm_goldens.json'), 'utf8')) as { cases: GoldenCase[] };

let model: LoadedModel;
let encoder: EncoderWeights;
let head: MlmHead;
beforeAll(async () => {
  await useBackend('cpu');
  model = await loadModel({ id: 'tabtune-mini', url: DIR });
  encoder = createEncoderWeights(model, false);
  head = createMlmHead(model, encoder);
});
afterAll(() => {
  disposeMlmHead(head);
  disposeEncoder(encoder);
});

describe('tabtune-mini files', () => {
  it('is a BertForMaskedLM in the hub formats, F16 weights at most 20 MB, the whole folder at most 22 MB', () => {
    expect(model.rawConfig.model_type).toBe('bert');
    expect(model.rawConfig.architectures).toEqual(['BertForMaskedLM']);
    expect(model.config.vocabSize).toBe(model.tokenizer.vocabSize);
    // The size budget in the model card: the model ships with the app and is what every user loads first.
    expect(statSync(`${DIR}/model.safetensors`).size).toBeLessThanOrEqual(20e6);
    const folder = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((s, e) => s + (e.isDirectory() ? folder(`${dir}/${e.name}`) : statSync(`${dir}/${e.name}`).size), 0);
    expect(folder(DIR)).toBeLessThanOrEqual(22e6);
    const bytes = readFileSync(`${DIR}/model.safetensors`);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, { dtype?: string }>;
    expect(header['bert.embeddings.word_embeddings.weight'].dtype).toBe('F16');
    expect(Object.keys(header)).toContain('cls.predictions.transform.dense.weight');
    expect(Object.keys(header)).toContain('cls.predictions.bias');
  });

  it('is what the page\'s model list says it is: encoder parameters, width, depth, download size', () => {
    // The page sizes its memory estimate and its labels from this entry (src/model/catalogue.ts), not from the files.
    const shown = MODEL_OPTIONS.find((m) => m.id === 'tabtune-mini')!;
    const bytes = readFileSync(`${DIR}/model.safetensors`);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, { shape?: number[] }>;
    const encoderParams = Object.entries(header).filter(([k]) => k.startsWith('bert.')).reduce((s, [, v]) => s + v.shape!.reduce((a, b) => a * b, 1), 0);
    expect(shown.params).toBe(encoderParams);
    expect([shown.hidden, shown.layers]).toEqual([model.config.hiddenSize, model.config.numLayers]);
    expect(Math.abs(shown.downloadBytes - bytes.length) / bytes.length).toBeLessThan(0.02);
    const twin = MODEL_OPTIONS.find((m) => m.id === 'tabtune-mini-random')!;
    expect([twin.params, twin.hidden, twin.layers, twin.downloadBytes]).toEqual([shown.params, shown.hidden, shown.layers, shown.downloadBytes]);
  });

  it('tells the page the masked-token accuracy its model card measured, for it and its random twin', () => {
    // The [MASK] card on the Model step quotes these (src/ui/panels/model.ts); the card's table is make_card.py's.
    const card = readFileSync(`${DIR}/README.md`, 'utf8');
    const row = (name: string) => {
      const line = card.split('\n').find((l) => l.startsWith(`| ${name}`));
      if (!line) throw new Error(`model card: no row "${name}"`);
      // Columns: v2, v1, v2's random twin.
      return line.split('|').slice(2, 5).map((c) => Number(c.replace(/[*%\s]/g, '')) / 100);
    };
    const [v2, , twin] = row('held-out masked-token accuracy');
    const [v2Frequent, , twinFrequent] = row('most-frequent-token baseline');
    expect(MODEL_OPTIONS.find((m) => m.id === 'tabtune-mini')!.maskAccuracy).toEqual({ heldOut: v2, mostFrequent: v2Frequent });
    expect(MODEL_OPTIONS.find((m) => m.id === 'tabtune-mini-random')!.maskAccuracy).toEqual({ heldOut: twin, mostFrequent: twinFrequent });
  });
});

describe('tabtune-mini masked-token predictions', () => {
  it('has goldens to check', () => {
    expect(goldens.cases.length).toBeGreaterThanOrEqual(4);
  });

  for (const g of goldens.cases) {
    it(`fills "${g.text}" with "${g.answer}", as PyTorch does`, async () => {
      // The app's tokenizer (transformers.js) gives exactly the ids the model was evaluated on in PyTorch.
      expect(model.tokenizer.encode(g.text, 128)).toEqual(g.ids);
      const before = tf.memory().numTensors;
      const [pred] = await fillMask(model, encoder, head, g.text, 5);
      expect(tf.memory().numTensors).toBe(before);
      expect(pred.position).toBe(g.mask_position);
      expect(pred.top[0].token).toBe(g.answer);
      expect(pred.top.map((t) => t.id)).toEqual(g.top5_ids);
      pred.top.forEach((t, i) => expect(t.logit).toBeCloseTo(g.top5_logits[i], 2));
      // Probabilities are the softmax over the whole vocabulary: ratios follow the logits exactly.
      expect(pred.top[0].probability / pred.top[1].probability).toBeCloseTo(Math.exp(pred.top[0].logit - pred.top[1].logit), 5);
      expect(pred.top.reduce((s, t) => s + t.probability, 0)).toBeLessThanOrEqual(1);
    });
  }
});

describe('MLM head on a model without one', () => {
  it('names the missing tensor', async () => {
    const tiny = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
    const enc = createEncoderWeights(tiny, false);
    try {
      expect(() => createMlmHead(tiny, enc)).toThrow('model.safetensors: tensor "cls.predictions.transform.dense.weight" is missing');
    } finally {
      disposeEncoder(enc);
    }
  });
});
