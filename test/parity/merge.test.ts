// A merged export (LoRA folded into the weights) loads with the ordinary loader and gives the adapter's logits.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { loadModel } from '../../src/model/load';
import { createClassifier } from '../../src/model/classifier';
import { writeSafetensors, readSafetensors } from '../../src/model/safetensors';
import { mergedFiles } from '../../src/model/merge';

describe('merged model export', () => {
  it('folds LoRA into the weights: the merged model with its head reproduces the adapter\'s logits', async () => {
    await useBackend('cpu');
    const base = await loadModel({ id: 'tiny-bert', url: resolve('public/models/tiny-bert') });
    const clf = createClassifier(base, { method: 'lora', numLabels: 3, seed: 4, lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['query', 'value', 'dense'] } });
    clf.adapters.forEach((a, i) => a.b.assign(tf.randomNormal(a.b.shape, 0, 0.1, 'float32', 50 + i)));
    const names = clf.trainableNames();
    const ckpt = writeSafetensors(Object.fromEntries(clf.trainable.map((v, i) => [names[i], { shape: v.shape, data: v.dataSync() as Float32Array }])));
    const dir = mkdtempSync(join(tmpdir(), 'merged-'));
    for (const [f, bytes] of Object.entries(mergedFiles(base, ckpt.buffer as ArrayBuffer, 8 / 4, ['a', 'b', 'c']))) writeFileSync(join(dir, f), bytes);

    const merged = await loadModel({ id: 'merged', url: dir });
    const head = createClassifier(merged, { method: 'head', numLabels: 3, seed: 0, lora: { r: 1, alpha: 1, dropout: 0, targetModules: ['query'] } });
    const { tensors } = readSafetensors(new Uint8Array(await (await import('node:fs/promises')).readFile(join(dir, 'model.safetensors'))));
    head.head.kernel.assign(tf.transpose(tf.tensor2d(tensors['classifier.weight'].data, tensors['classifier.weight'].shape as [number, number])));
    head.head.bias.assign(tf.tensor1d(tensors['classifier.bias'].data));
    const ids = tf.tensor2d([base.tokenizer.encode('Your order has shipped.', 16).concat(Array(16).fill(0)).slice(0, 16)], undefined, 'int32');
    const mask = tf.tidy(() => tf.cast(tf.notEqual(ids, 0), 'int32')) as tf.Tensor2D;
    const want = tf.tidy(() => clf.logits(ids, mask, false).dataSync());
    const got = tf.tidy(() => head.logits(ids, mask, false).dataSync());
    const diff = Math.max(...Array.from(got, (x, i) => Math.abs(x - want[i])));
    console.log(`merged vs adapter logits: max abs difference ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(1e-4);
    expect(merged.rawConfig.id2label).toEqual({ 0: 'a', 1: 'b', 2: 'c' });
    [clf, head].forEach((c) => c.dispose());
  });
});
