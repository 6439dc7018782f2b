// Reading a long text whole at scoring and prediction (src/model/windows.ts, src/train/evaluate.ts): the windows are
// checked against a hand-written case, and a windowed prediction against the same arithmetic done here on each
// window scored alone (the mean of the windows' logits, then a softmax; for zero-shot the mean of their embeddings).
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { baseEncoder, createClassifier } from '../../src/model/classifier';
import { encode, pool } from '../../src/model/encoder';
import { textWindows } from '../../src/model/windows';
import { zeroShot, ZERO_SHOT_TEMPERATURE } from '../../src/model/zeroshot';
import { predictAll, readSplit, readText } from '../../src/train/evaluate';

describe('textWindows', () => {
  it('gives a text that fits its ids unchanged, as one window', () => {
    expect(textWindows([2, 10, 11, 3], 6)).toEqual([[2, 10, 11, 3]]);
    expect(textWindows([2, 10, 11, 12, 13, 3], 6)).toEqual([[2, 10, 11, 12, 13, 3]]);
  });

  it('cuts a longer one into windows that start every half window, the last ending at the end', () => {
    // 11 word pieces, windows of 6 ids (4 word pieces), a new one every 2: starts 0, 2, 4, 6, then 7 for the end.
    const ids = [2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 3];
    expect(textWindows(ids, 6)).toEqual([
      [2, 10, 11, 12, 13, 3],
      [2, 12, 13, 14, 15, 3],
      [2, 14, 15, 16, 17, 3],
      [2, 16, 17, 18, 19, 3],
      [2, 17, 18, 19, 20, 3],
    ]);
    // One word piece over: two windows, the second shifted by one.
    expect(textWindows([2, 10, 11, 12, 13, 14, 3], 6)).toEqual([
      [2, 10, 11, 12, 13, 3],
      [2, 11, 12, 13, 14, 3],
    ]);
  });

  it('covers every word piece of a long text, each window at most the length asked', () => {
    const body = Array.from({ length: 300 }, (_, i) => 100 + i);
    const windows = textWindows([2, ...body, 3], 64);
    expect(windows.every((w) => w.length === 64 && w[0] === 2 && w[63] === 3)).toBe(true);
    expect(new Set(windows.flatMap((w) => w.slice(1, -1)))).toEqual(new Set(body));
    // 62 word pieces a window, a new one every 31: starts 0, 31, …, 217, then 238 for the end.
    expect(windows.map((w) => w[1] - 100)).toEqual([0, 31, 62, 93, 124, 155, 186, 217, 238]);
  });

  it('refuses a length with no room for a word piece', () => {
    expect(() => textWindows([2, 10, 3], 2)).toThrow(/length must be an integer >= 3/);
  });
});

describe('scoring a text read in windows', () => {
  let bert: LoadedModel;
  beforeAll(async () => {
    await useBackend('cpu');
    bert = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
  });
  const labels = ['invoice', 'order', 'support', 'spam'];
  const long = 'Invoice 4521 is attached. Payment is due on Friday; please transfer the amount to the account below and quote the invoice number. Thank you for your order, which shipped yesterday.';
  const short = 'Your order has shipped.';

  it('reads a long text in windows only when readWhole is on', () => {
    const cfg = { maxLen: 16, readWhole: true };
    const whole = bert.tokenizer.encode(long, 1 << 20);
    expect(whole.length).toBeGreaterThan(24);
    expect(readText(bert, long, cfg)).toEqual(textWindows(whole, 16));
    expect(readText(bert, long, { ...cfg, readWhole: false })).toEqual([bert.tokenizer.encode(long, 16)]);
    expect(readText(bert, short, cfg)).toEqual([bert.tokenizer.encode(short, 16)]);
    expect(readSplit(bert, [{ text: short, label: 'order' }], labels, cfg)).toEqual([{ windows: [bert.tokenizer.encode(short, 16)], label: 1 }]);
  });

  it("a classifier's probabilities are the softmax of the mean of its windows' logits", async () => {
    // Mean pooling: every window starts with the same [CLS], so a [CLS]-pooled tiny model tells them apart less.
    const clf = createClassifier({ ...bert, pooling: 'mean' }, { method: 'head', numLabels: 4, seed: 5, lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['query'] } });
    try {
      // A fresh head's logits are near zero (initialised at 0.02); larger weights make the windows' predictions differ.
      const kernel = clf.trainable[clf.trainableNames().indexOf('classifier.kernel')];
      kernel.assign(tf.randomNormal(kernel.shape, 0, 1, 'float32', 11));
      const cfg = { maxLen: 16, readWhole: true, batchSize: 3 };
      const examples = readSplit(bert, [{ text: long, label: 'invoice' }, { text: short, label: 'order' }], labels, cfg);
      expect(examples[0].windows.length).toBeGreaterThan(2);
      const got = await predictAll(clf, examples, cfg, bert.config.padTokenId);
      const alone = (ids: number[]) => tf.tidy(() => {
        const t = tf.tensor2d([ids], undefined, 'int32');
        return Array.from(clf.logits(t, tf.onesLike(t) as tf.Tensor2D, false).dataSync());
      });
      examples.forEach((e, i) => {
        const z = e.windows.map(alone);
        const mean = z[0].map((_, j) => z.reduce((s, row) => s + row[j], 0) / z.length);
        const total = mean.reduce((s, x) => s + Math.exp(x), 0);
        const want = mean.map((x) => Math.exp(x) / total);
        want.forEach((p, j) => expect(Math.abs(got.probs[i][j] - p)).toBeLessThan(1e-5));
        expect(got.predictions[i]).toBe(want.indexOf(Math.max(...want)));
      });
      // The windows disagree by more than the tolerance above, so reading only one would fail this test.
      const first = tf.tidy(() => Array.from(tf.softmax(tf.tensor1d(alone(examples[0].windows[0]))).dataSync()));
      expect(Math.max(...first.map((p, j) => Math.abs(p - got.probs[0][j])))).toBeGreaterThan(1e-3);
    } finally {
      clf.dispose();
    }
  });

  it("zero-shot embeds a text in windows as the mean of its windows' embeddings", async () => {
    const model = { ...bert, pooling: 'mean' as const };
    const windows = readText(model, long, { maxLen: 16, readWhole: true });
    const got = await zeroShot(model, [windows], labels, { batchSize: 2, maxLen: 16 });
    const embed = (ids: number[]) => tf.tidy(() => {
      const t = tf.tensor2d([ids], undefined, 'int32');
      const m = tf.onesLike(t) as tf.Tensor2D;
      return Array.from(pool(encode(baseEncoder(model), t, m), m, 'mean').dataSync());
    });
    const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
    const e = windows.map(embed);
    const text = unit(e[0].map((_, j) => e.reduce((s, row) => s + row[j], 0) / e.length));
    const sims = labels.map((l) => unit(embed(model.tokenizer.encode(l, 16))).reduce((s, x, j) => s + x * text[j], 0) / ZERO_SHOT_TEMPERATURE);
    const total = sims.reduce((s, x) => s + Math.exp(x), 0);
    sims.forEach((s, j) => expect(Math.abs(got.probs[0][j] - Math.exp(s) / total)).toBeLessThan(1e-4));
  });
});
