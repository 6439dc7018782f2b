// A PEFT adapter from elsewhere becomes a run: the worker checks it, evaluates it on the pinned test split, and
// its predictions equal the ones the same weights give in the page.
import { describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/runtime/tf-browser';
import type { FromWorker, ToWorker } from '../../src/protocol';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';
import { keywordEmails as generateEmails } from '../helpers/keyword-emails';
import { splitDataset } from '../../src/data/split';
import { loadModel } from '../../src/model/load';
import { createClassifier } from '../../src/model/classifier';
import { writeSafetensors } from '../../src/model/safetensors';
import { peftFiles } from '../../src/model/peft';

describe('importing a PEFT adapter as a run', () => {
  it('evaluates it on the test split exactly as the same weights predict in the page, and refuses other labels', async () => {
    await useBackend('wasm');
    const url = new URL('/models/tiny-bert', location.href).href;
    const model = await loadModel({ id: 'tiny-bert', url });
    const labels = ['invoice', 'order', 'spam', 'support'];
    const clf = createClassifier(model, { method: 'lora', numLabels: 4, seed: 2, lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['query', 'value'] } });
    clf.adapters.forEach((a, i) => a.b.assign(tf.randomNormal(a.b.shape, 0, 0.2, 'float32', i)));
    clf.head.kernel.assign(tf.randomNormal(clf.head.kernel.shape, 0, 0.5, 'float32', 9));
    const names = clf.trainableNames();
    const values = await Promise.all(clf.trainable.map((v) => v.data()));
    // The adapter lists its labels in another order than the dataset: the head must be matched by name.
    const shuffled = [labels[2], labels[0], labels[3], labels[1]];
    const perm = shuffled.map((l) => labels.indexOf(l));
    const [H] = clf.head.kernel.shape;
    const k = values[names.indexOf('classifier.kernel')] as Float32Array;
    const b = values[names.indexOf('classifier.bias')] as Float32Array;
    const tensors = Object.fromEntries(clf.trainable.map((v, i) => [names[i], { shape: v.shape, data: values[i] as Float32Array }]));
    tensors['classifier.kernel'] = { shape: [H, 4], data: Float32Array.from({ length: H * 4 }, (_, idx) => k[Math.floor(idx / 4) * 4 + perm[idx % 4]]) };
    tensors['classifier.bias'] = { shape: [4], data: Float32Array.from(perm.map((p) => b[p])) };
    const config = { ...DEFAULT_TRAIN_CONFIG, loraR: 4, loraAlpha: 8, loraTargets: ['query', 'value'], maxLen: 64 };
    const files = peftFiles({ modelRef: { id: 'tiny-bert' }, modelType: 'bert', hiddenSize: 64, config, labels: shuffled, pooling: 'cls', checkpoint: writeSafetensors(tensors).buffer as ArrayBuffer });

    const ex = generateEmails({ count: 200, seed: 6 });
    const sp = splitDataset(ex, { seed: 0 });
    const strip = (xs: { text: string; label: string }[]) => xs.map(({ text, label }) => ({ text, label }));
    const data = { labels, train: strip(sp.train), validation: strip(sp.validation), test: strip(sp.test) };
    // What the page computes with the original (dataset-ordered) weights:
    const expected = data.test.map((e) => {
      const ids = model.tokenizer.encode(e.text, 64);
      return tf.tidy(() => tf.argMax(clf.logits(tf.tensor2d([ids], undefined, 'int32'), tf.ones([1, ids.length], 'int32') as tf.Tensor2D, false), 1).dataSync()[0]);
    });

    const worker = new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module' });
    const ask = (m: ToWorker) =>
      new Promise<FromWorker>((resolve) => {
        worker.onmessage = (e: MessageEvent<FromWorker>) => {
          if (e.data.type !== 'download' && e.data.type !== 'status') resolve(e.data);
        };
        worker.postMessage(m);
      });
    expect((await ask({ type: 'init', backend: 'wasm' })).type).toBe('ready');
    const buffers = Object.fromEntries(Object.entries(files).map(([n, bytes]) => [n, bytes.slice().buffer]));
    const reply = await ask({ type: 'import-adapter', requestId: 'r1', runId: 'imp', model: { id: 'tiny-bert', url }, files: buffers, data, config: DEFAULT_TRAIN_CONFIG });
    if (reply.type === 'error') throw new Error(reply.message);
    expect(reply.type).toBe('adapter-imported');
    const res = (reply as Extract<FromWorker, { type: 'adapter-imported' }>);
    expect(res.config).toMatchObject({ method: 'lora', loraR: 4, loraAlpha: 8, loraTargets: ['query', 'value'] });
    expect(res.result.after.predictions).toEqual(expected);
    expect(res.result.before.predictions.length).toBe(data.test.length);

    const other = { ...data, labels: ['a', 'b', 'c', 'd'] };
    const refused = await ask({ type: 'import-adapter', requestId: 'r2', runId: 'imp2', model: { id: 'tiny-bert', url }, files: buffers, data: other, config: DEFAULT_TRAIN_CONFIG });
    expect(refused.type === 'error' && refused.message).toMatch(/^The adapter's labels \(spam, invoice, support, order\) differ from this dataset's \(a, b, c, d\); missing: a, b, c, d/);
    worker.terminate();
    clf.dispose();
  });
});
