// Hub file formats against independent references: F16/BF16 files converted by PyTorch itself
// (scripts/make_goldens.py), the loader on real folders written to a temp dir, and tokenizer ids from a
// hand-written WordPiece reference over vocab.txt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { useBackend } from '../../src/runtime/tf-node';
import { floatToHalf, halfToFloat, readSafetensors, writeSafetensors } from '../../src/model/safetensors';
import { choosePooling, loadModel, type LoadedModel } from '../../src/model/load';

const G = 'test/fixtures/goldens';
type Encoded = (number | 'inf' | '-inf')[];
const decodeJson = (xs: Encoded) => xs.map((x) => (x === 'inf' ? Infinity : x === '-inf' ? -Infinity : x));
const dtypes = JSON.parse(readFileSync(`${G}/dtypes.json`, 'utf8')) as {
  values: Encoded;
  matrix: Encoded;
  f16: { values: Encoded; 'bert.matrix': Encoded };
  bf16: { values: Encoded; 'bert.matrix': Encoded };
};
/** Exact equality that also tells -0 from 0 (toEqual on arrays does too, but say it). */
const sameBits = (a: ArrayLike<number>, b: number[]) => Array.from(a).every((x, i) => Object.is(x, b[i]));

describe('F16 and BF16 safetensors written by PyTorch', () => {
  for (const [kind, dtype] of [['f16', 'F16'], ['bf16', 'BF16']] as const) {
    it(`${dtype}: decodes every value exactly as torch converts it back to float32`, () => {
      const { tensors } = readSafetensors(new Uint8Array(readFileSync(`${G}/dtypes-${kind}.safetensors`)), `dtypes-${kind}.safetensors`);
      expect(tensors.values.dtype).toBe(dtype);
      expect(tensors['bert.matrix'].shape).toEqual([2, 3]);
      // Subnormals, ±0, ±inf, overflow to inf (F16) and ties rounded to even are all in the fixture.
      expect(sameBits(tensors.values.data, decodeJson(dtypes[kind].values))).toBe(true);
      expect(sameBits(tensors['bert.matrix'].data, decodeJson(dtypes[kind]['bert.matrix']))).toBe(true);
    });

    it(`${dtype}: the writer rounds float32 to ${dtype} exactly as torch does (ties to even)`, () => {
      const values = Float32Array.from(decodeJson(dtypes.values));
      const { tensors } = readSafetensors(writeSafetensors({ values: { shape: [values.length], data: values } }, undefined, dtype));
      expect(sameBits(tensors.values.data, decodeJson(dtypes[kind].values))).toBe(true);
    });
  }

  it('half bits by hand: 1 + 2^-11 ties down to 1, 1 + 3·2^-11 ties up to even, 65520 overflows', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00);
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalf(65520)).toBe(0x7c00);
    expect(floatToHalf(2 ** -25)).toBe(0x0000);
    expect(floatToHalf(3 * 2 ** -26)).toBe(0x0001);
    expect(halfToFloat(0x8000)).toBe(-0);
  });

  it('names the problem in a broken file: bad header JSON, header longer than the file, unknown dtype, no shape', () => {
    const bytes = (header: string, data = 0) => {
      const h = new TextEncoder().encode(header);
      const out = new Uint8Array(8 + h.length + data);
      new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
      out.set(h, 8);
      return out;
    };
    expect(() => readSafetensors(bytes('{not json'), 'x.safetensors')).toThrow(/^x\.safetensors: the header is not valid JSON/);
    const long = bytes('{}');
    new DataView(long.buffer).setBigUint64(0, 1000n, true);
    expect(() => readSafetensors(long, 'x.safetensors')).toThrow('x.safetensors: header claims 1000 bytes but the file has only 2 after the length.');
    expect(() => readSafetensors(bytes('{"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}', 2), 'x.safetensors')).toThrow('x.safetensors: tensor "w" has dtype F8_E4M3; supported:');
    expect(() => readSafetensors(bytes('[1, 2]'), 'x.safetensors')).toThrow('x.safetensors: the header must be a JSON object');
    expect(() => readSafetensors(bytes('{"w":{"dtype":"F32","data_offsets":[0,4]}}', 4), 'x.safetensors')).toThrow('x.safetensors: tensor "w" needs an integer "shape" list');
  });
});

describe('loading model folders', () => {
  let dir: string;
  let bert: LoadedModel;
  let distil: LoadedModel;
  beforeAll(async () => {
    await useBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'tabtune-model-'));
    bert = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
    distil = await loadModel({ id: 'tiny-distilbert', url: resolve('public/models/tiny-distilbert') });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A copy of a bundled model folder whose model.safetensors (and optionally config.json) is replaced. */
  function folder(name: string, from: string, tensors: Uint8Array, config?: Record<string, unknown>, extra: Record<string, string> = {}): string {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(`public/models/${from}/${f}`, join(d, f));
    if (config) writeFileSync(join(d, 'config.json'), JSON.stringify(config));
    writeFileSync(join(d, 'model.safetensors'), tensors);
    for (const [f, text] of Object.entries(extra)) {
      mkdirSync(join(d, f, '..'), { recursive: true });
      writeFileSync(join(d, f), text);
    }
    return d;
  }

  it('loads a DistilBERT checkpoint stored in F16 with the distilbert. prefix, weights equal to F16-rounded F32', async () => {
    const prefixed = Object.fromEntries(Object.entries(distil.weights).map(([k, v]) => [`distilbert.${k}`, v]));
    const d = folder('distil-f16', 'tiny-distilbert', writeSafetensors(prefixed, undefined, 'F16'));
    const m = await loadModel({ id: 'local/distil-f16', url: d });
    expect(Object.keys(m.weights).sort()).toEqual(Object.keys(distil.weights).sort());
    const name = 'transformer.layer.1.ffn.lin2.weight';
    expect(m.weights[name].dtype).toBe('F16');
    expect(Array.from(m.weights[name].data)).toEqual(Array.from(distil.weights[name].data, (x) => halfToFloat(floatToHalf(x))));
  });

  it('loads a BERT checkpoint stored in BF16 without the bert. prefix; values keep bfloat16 precision', async () => {
    const d = folder('bert-bf16', 'tiny-bert', writeSafetensors(bert.weights, undefined, 'BF16'));
    const m = await loadModel({ id: 'local/bert-bf16', url: d });
    const name = 'encoder.layer.0.attention.self.query.weight';
    const ref = bert.weights[name].data;
    const got = m.weights[name].data;
    // bfloat16 keeps 7 stored mantissa bits: rounding moves a value by at most half a unit, 2^-8 of it.
    expect(Math.max(...Array.from(got, (x, i) => Math.abs(x - ref[i]) / Math.abs(ref[i] || 1)))).toBeLessThanOrEqual(2 ** -8);
    expect(Array.from(got).some((x, i) => x !== ref[i])).toBe(true);
  });

  it('refuses an unsupported model_type and a missing file, naming them', async () => {
    const d = folder('roberta', 'tiny-bert', writeSafetensors(bert.weights), { ...bert.rawConfig, model_type: 'roberta' });
    await expect(loadModel({ id: 'local/roberta', url: d })).rejects.toThrow('config.json: model_type "roberta" is not supported; tabtune supports bert and distilbert');
    const e = folder('no-weights', 'tiny-bert', new Uint8Array(0));
    rmSync(join(e, 'model.safetensors'));
    await expect(loadModel({ id: 'local/no-weights', url: e })).rejects.toThrow(`${e}/model.safetensors: ENOENT: no such file or directory`);
  });

  it('names a mis-shaped tensor in a file on disk', async () => {
    const w = { ...bert.weights, 'bert.encoder.layer.1.output.dense.bias': { dtype: 'F32', shape: [65], data: new Float32Array(65) } };
    delete (w as Record<string, unknown>)['encoder.layer.1.output.dense.bias'];
    const d = folder('bad-shape', 'tiny-bert', writeSafetensors(w));
    await expect(loadModel({ id: 'local/bad-shape', url: d })).rejects.toThrow('model.safetensors: tensor "encoder.layer.1.output.dense.bias" has shape [65], expected [64] from config.json.');
  });

  it('pools by mean for sentence-transformers folders and ids, by [CLS] otherwise', async () => {
    const st = folder('st', 'tiny-bert', writeSafetensors(bert.weights), undefined, { 'modules.json': '[]' });
    expect((await loadModel({ id: 'local/st', url: st })).pooling).toBe('mean');
    expect(choosePooling('sentence-transformers/all-MiniLM-L6-v2', {})).toBe('mean');
    expect(choosePooling('BAAI/bge-small-en-v1.5', { modules: [], pooling: { pooling_mode_cls_token: true } })).toBe('cls');
    expect(choosePooling('bert-base-uncased', {})).toBe('cls');
  });
});

describe('tokenizer ids', () => {
  let bert: LoadedModel;
  beforeAll(async () => {
    bert = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
  });

  // Expected ids come from a separate, hand-written BERT basic tokenizer + greedy WordPiece over vocab.txt
  // (line number = id): lowercasing, accent stripping, punctuation split, CJK and emoji to [UNK].
  const cases: [string, number[]][] = [
    ['Refund my payment, please!', [2, 368, 180, 203, 52, 187, 41, 3]],
    ['Café déjà vu: ÜBER-cool 😀 中', [2, 597, 8, 79, 84, 75, 26, 95, 56, 25, 76, 149, 53, 1729, 1, 1, 3]],
    ['Password reset for account #4521', [2, 458, 459, 168, 186, 43, 35, 106, 103, 102, 3]],
    ['unsubscribing quickly', [2, 25, 88, 145, 95, 76, 145, 77, 92, 83, 76, 148, 634, 151, 3]],
    ['', [2, 3]],
  ];
  for (const [text, ids] of cases) {
    it(`encodes ${JSON.stringify(text)}`, () => {
      const got = bert.tokenizer.encode(text, 64);
      expect(got).toEqual(ids);
      expect(got.every((i) => typeof i === 'number')).toBe(true);
    });
  }

  it('agrees with vocab.txt on what the ids mean', () => {
    const vocab = readFileSync('public/models/tiny-bert/vocab.txt', 'utf8').split('\n');
    expect([368, 203, 458, 634, 151].map((i) => vocab[i])).toEqual(['refund', 'payment', 'password', 'quick', '##ly']);
    expect([bert.tokenizer.clsId, bert.tokenizer.sepId, bert.tokenizer.padId, bert.tokenizer.maskId]).toEqual([2, 3, 0, 4]);
  });
});
