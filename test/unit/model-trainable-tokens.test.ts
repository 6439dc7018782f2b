// Trainable tokens beside LoRA (src/model/trainable-tokens.ts), checked against references: a hand-computed lookup,
// the base model at step 0, the gradient of full fine-tuning's word matrix and central finite differences, and a
// checkpoint that keeps its token ids.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { createClassifier, type Classifier } from '../../src/model/classifier';
import { createTrainableTokens, lookupWithTokens, tokensUsed, TOKENS_NAME, disposeTrainableTokens } from '../../src/model/trainable-tokens';
import { classifierFromCheckpoint, decodeCheckpoint, encodeCheckpoint, encodeWeights } from '../../src/train/checkpoint';
import { readSafetensors } from '../../src/model/safetensors';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../src/config';

let bert: LoadedModel;
beforeAll(async () => {
  await useBackend('cpu');
  bert = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
});
afterAll(async () => {
  await useBackend('cpu');
});

const IDS = [[2, 368, 180, 203, 52, 187, 41, 3], [2, 458, 180, 3, 0, 0, 0, 0]];
const MASK = [[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0, 0]];
const USED = tokensUsed(IDS.map((ids) => ({ ids })), 0);
const lora = { r: 4, alpha: 8, dropout: 0, targetModules: ['query', 'value'] };
const batch = () => ({ ids: tf.tensor2d(IDS, undefined, 'int32'), mask: tf.tensor2d(MASK, undefined, 'int32') });

/** Cross-entropy on fixed labels, the quantity whose gradient the tests compare. */
function loss(c: Classifier): tf.Scalar {
  const { ids, mask } = batch();
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([1, 0], 'int32'), 3), c.logits(ids, mask, false)) as tf.Scalar;
}

describe('the lookup', () => {
  it('takes trained ids from the trainable rows and every other id from the base matrix (hand-computed 4×2 case)', () => {
    const word = tf.tensor2d([[0, 1], [10, 11], [20, 21], [30, 31]]);
    const t = createTrainableTokens(word, [1, 3], 'test-tokens');
    expect(t.values.arraySync()).toEqual([[10, 11], [30, 31]]);
    expect(Array.from(t.slots.dataSync())).toEqual([2, 0, 2, 1]);
    t.values.assign(tf.tensor2d([[-1, -2], [-3, -4]]));
    const out = tf.tidy(() => lookupWithTokens(word, t, tf.tensor2d([[3, 0], [1, 2]], undefined, 'int32')).arraySync());
    expect(out).toEqual([[-3, -4], [0, 1], [-1, -2], [20, 21]]);
    disposeTrainableTokens(t);
    word.dispose();
  });

  it('refuses ids outside the vocabulary or out of order, naming the id', () => {
    const word = tf.zeros([4, 2]) as tf.Tensor2D;
    expect(() => createTrainableTokens(word, [1, 4], 'x')).toThrow(/token index 4 is outside the vocabulary \(0…3\)/);
    expect(() => createTrainableTokens(word, [2, 1], 'x')).toThrow(/ascending and distinct \(2 then 1\)/);
    expect(() => createTrainableTokens(word, [], 'x')).toThrow(/no trainable token indices/);
    word.dispose();
  });

  it('collects the ids a dataset uses, without padding, ascending', () => {
    expect(USED).toEqual([2, 3, 41, 52, 180, 187, 203, 368, 458]);
  });
});

describe.each(['cpu', 'wasm'] as const)('a LoRA classifier with trainable tokens on %s', (backend) => {
  it('is the base model at step 0: the same logits, bit for bit, as LoRA alone', async () => {
    await useBackend(backend);
    const plain = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 3, lora });
    const tok = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 3, lora, tokenIndices: USED });
    const { ids, mask } = batch();
    const [a, b] = tf.tidy(() => [plain.logits(ids, mask, false).dataSync(), tok.logits(ids, mask, false).dataSync()]);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(tok.trainableNames()).toContain(TOKENS_NAME);
    expect(tok.tokens!.values.shape).toEqual([USED.length, 64]);
    expect(tok.trainableParamCount() - plain.trainableParamCount()).toBe(USED.length * 64);
    expect(tok.totalParamCount()).toBe(plain.totalParamCount());
    tf.dispose([ids, mask]);
    plain.dispose();
    tok.dispose();
  });

  it('gets the gradient full fine-tuning gives those rows of the word matrix, and central differences agree', async () => {
    await useBackend(backend);
    // At step 0 both models are the base model with the same head (seeded alike), so the loss is the same function
    // of the used rows: d/d(values) must equal the word matrix's gradient at those rows.
    const tok = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 5, lora, tokenIndices: USED });
    const full = createClassifier(bert, { method: 'full', numLabels: 3, seed: 5, lora });
    const values = tok.tokens!.values;
    const gTok = tf.tidy(() => tf.variableGrads(() => loss(tok), [values]).grads[values.name].arraySync() as number[][]);
    const word = full.encoder.word as tf.Variable;
    const gWord = tf.tidy(() => tf.variableGrads(() => loss(full), [word]).grads[word.name].arraySync() as number[][]);
    USED.forEach((id, i) => gTok[i].forEach((g, k) => expect(Math.abs(g - gWord[id][k])).toBeLessThan(1e-6 + 1e-4 * Math.abs(gWord[id][k]))));
    // Every other row of the word matrix gets nothing: the used rows are all the loss reads.
    const unused = gWord.filter((_, id) => !USED.includes(id));
    expect(unused.every((row) => row.every((g) => g === 0))).toBe(true);
    // Central differences on a few entries (float32, h = 1e-2: the loss is O(1), so 1e-3 absolute suffices).
    const base = Float32Array.from(values.dataSync());
    const at = (j: number, d: number) => {
      const c = base.slice();
      c[j] += d;
      values.assign(tf.tensor2d(c, values.shape as [number, number]));
      return tf.tidy(() => loss(tok).dataSync()[0]);
    };
    for (const j of [0, 70, 64 * 4 + 9, base.length - 1]) {
      const numeric = (at(j, 1e-2) - at(j, -1e-2)) / 2e-2;
      expect(Math.abs(numeric - gTok[Math.floor(j / 64)][j % 64])).toBeLessThan(1e-3);
    }
    // Under layer recompute the gradient reaches layer 0's input too (recompute.ts drops it when nothing below
    // trains): the same rows' gradient as the plain tape.
    values.assign(tf.tensor2d(base, values.shape as [number, number]));
    const rec = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 5, lora, tokenIndices: USED, recompute: true });
    const rv = rec.tokens!.values;
    const gRec = tf.tidy(() => tf.variableGrads(() => loss(rec), [rv]).grads[rv.name].arraySync() as number[][]);
    gRec.forEach((row, i) => row.forEach((g, k) => expect(Math.abs(g - gTok[i][k])).toBeLessThan(1e-6 + 1e-5 * Math.abs(gTok[i][k]))));
    expect(gRec.some((row) => row.some((g) => g !== 0))).toBe(true);
    rec.dispose();
    tok.dispose();
    full.dispose();
  });

  it('leaves the base rows of ids it does not train, and goes only with LoRA', async () => {
    await useBackend(backend);
    const some = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 3, lora, tokenIndices: [368] });
    const plain = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 3, lora });
    some.tokens!.values.assign(tf.zerosLike(some.tokens!.values));
    const { ids, mask } = batch();
    // The second text has no 368: its logits stay the base's; the first changes.
    const [a, b] = tf.tidy(() => [plain.logits(ids, mask, false).arraySync() as number[][], some.logits(ids, mask, false).arraySync() as number[][]]);
    expect(b[1]).toEqual(a[1]);
    expect(b[0]).not.toEqual(a[0]);
    // embedBase skips the tokens as it skips the adapters.
    const [e0, e1] = tf.tidy(() => [plain.embedBase(ids, mask).dataSync(), some.embedBase(ids, mask).dataSync()]);
    expect(Array.from(e1)).toEqual(Array.from(e0));
    tf.dispose([ids, mask]);
    some.dispose();
    plain.dispose();
    expect(() => createClassifier(bert, { method: 'full', numLabels: 3, seed: 0, lora, tokenIndices: USED })).toThrow(/trains every embedding row already/);
    expect(() => createClassifier(bert, { method: 'head', numLabels: 3, seed: 0, lora, tokenIndices: USED })).toThrow(/trains nothing below the head/);
  });

  it('creating and disposing it leaves no tensor behind', async () => {
    await useBackend(backend);
    createClassifier(bert, { method: 'head', numLabels: 2, seed: 0, lora }).dispose();
    const before = tf.memory().numTensors;
    const c = createClassifier(bert, { method: 'lora', numLabels: 2, seed: 0, lora, tokenIndices: USED });
    // The variables and the slot table.
    expect(tf.memory().numTensors - before).toBe(c.trainable.length + 1);
    c.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('checkpoints', () => {
  const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, method: 'lora', loraR: 4, loraAlpha: 8, loraDropout: 0, trainTokens: true, seed: 3 };

  it('keep the token ids beside the rows, and a classifier rebuilt from one predicts as the trained one', () => {
    const c = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 3, lora, tokenIndices: USED });
    c.tokens!.values.assign(tf.randomNormal(c.tokens!.values.shape, 0, 1, 'float32', 9));
    c.adapters.forEach((a, i) => a.b.assign(tf.randomNormal(a.b.shape, 0, 0.1, 'float32', 20 + i)));
    const bytes = encodeWeights(c, c.trainable.map((v) => v.dataSync() as Float32Array));
    expect(JSON.parse(readSafetensors(bytes).metadata.trainable_token_indices)).toEqual(USED);
    const buffer = bytes.slice().buffer as ArrayBuffer;
    const back = classifierFromCheckpoint(bert, ['a', 'b', 'c'], cfg, buffer);
    expect(back.tokenIndices).toEqual(USED);
    const { ids, mask } = batch();
    const [a, b] = tf.tidy(() => [c.logits(ids, mask, false).dataSync(), back.logits(ids, mask, false).dataSync()]);
    expect(Array.from(b)).toEqual(Array.from(a));
    tf.dispose([ids, mask]);
    back.dispose();
    c.dispose();
  });

  it('refuse to resume a run that trains other tokens', () => {
    const c = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 3, lora, tokenIndices: USED });
    const values = c.trainable.map((v) => v.dataSync() as Float32Array);
    const ck = encodeCheckpoint(c, { step: 1, epoch: 0, batchIndex: 1 }, values, { step: 1, m: values.map((v) => new Float32Array(v.length)), v: values.map((v) => new Float32Array(v.length)) });
    const other = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 3, lora, tokenIndices: USED.slice(1) });
    expect(() => decodeCheckpoint(other, ck)).toThrow(/trains 9 token embeddings and this run 8, other tokens/);
    const none = createClassifier(bert, { method: 'lora', numLabels: 3, seed: 3, lora });
    expect(() => decodeCheckpoint(none, ck)).toThrow(/trains 9 token embeddings and this run 0/);
    expect(decodeCheckpoint(c, ck).weights.length).toBe(c.trainable.length);
    [c, other, none].forEach((m) => m.dispose());
  });
});

describe('PEFT adapters with trainable tokens', () => {
  /** A PEFT folder as peft writes one, for tiny-bert (hidden 64), with the given token ids and rows. */
  async function folder(indices: unknown, rows: number, extraConfig: object = {}) {
    const { writeSafetensors } = await import('../../src/model/safetensors');
    const H = 64;
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {
      'base_model.model.classifier.weight': { shape: [2, H], data: new Float32Array(2 * H) },
      'base_model.model.classifier.bias': { shape: [2], data: new Float32Array(2) },
    };
    // Row i holds the value i + 1 everywhere, so where each row lands can be read back.
    if (rows) tensors['base_model.model.bert.embeddings.word_embeddings.token_adapter.trainable_tokens_delta'] = { shape: [rows, H], data: Float32Array.from({ length: rows * H }, (_, j) => Math.floor(j / H) + 1) };
    const enc = new TextEncoder();
    return {
      'adapter_config.json': enc.encode(JSON.stringify({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['query'], trainable_token_indices: indices, label_names: ['a', 'b'], ...extraConfig })),
      'adapter_model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
    };
  }

  it('reads peft\'s order of ids, a list or a one-layer object, and puts the rows in ascending id order', async () => {
    const { importPeftAdapter } = await import('../../src/model/peft');
    for (const indices of [[40, 7, 99], { word_embeddings: [40, 7, 99] }, { 'bert.embeddings.word_embeddings': [40, 7, 99] }]) {
      const a = importPeftAdapter(await folder(indices, 3), bert);
      expect(a.tokenIndices).toEqual([7, 40, 99]);
      const { tensors, metadata } = readSafetensors(a.checkpoint);
      expect(JSON.parse(metadata.trainable_token_indices)).toEqual([7, 40, 99]);
      const t = tensors[TOKENS_NAME];
      expect([t.data[0], t.data[64], t.data[128]]).toEqual([2, 1, 3]);
    }
  });

  it('refuses ids and rows that do not fit, naming what differs', async () => {
    const { importPeftAdapter } = await import('../../src/model/peft');
    await expect(folder([1, 2], 3).then((f) => importPeftAdapter(f, bert))).rejects.toThrow('token_adapter.trainable_tokens_delta is [3, 64] but adapter_config.json names 2 tokens and tiny-bert has hidden size 64.');
    await expect(folder([1, 1], 2).then((f) => importPeftAdapter(f, bert))).rejects.toThrow(/ascending and distinct \(1 then 1\)/);
    await expect(folder([1, 100000], 2).then((f) => importPeftAdapter(f, bert))).rejects.toThrow(/token index 100000 is outside the vocabulary/);
    await expect(folder({ embed_tokens: [1], lm_head: [1] }, 1).then((f) => importPeftAdapter(f, bert))).rejects.toThrow(/names embed_tokens, lm_head; tabtune trains tokens of the input embeddings/);
    await expect(folder([1, 2], 0).then((f) => importPeftAdapter(f, bert))).rejects.toThrow(/has no token_adapter.trainable_tokens_delta/);
    await expect(folder(null, 2).then((f) => importPeftAdapter(f, bert))).rejects.toThrow(/holds trainable token rows but adapter_config.json has no trainable_token_indices/);
    await expect(folder([1, 2], 2, { r: 0, target_modules: [] }).then((f) => importPeftAdapter(f, bert))).rejects.toThrow(/trains token embeddings without LoRA layers/);
  });
});
