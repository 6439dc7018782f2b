// tabtune's exports loaded by the libraries users load them with: transformers, peft and sentence-transformers
// (scripts/hf_check.py, in the environment scripts/hf-python.mjs builds), and the exported train.py run for one
// step. scripts/peft_check.py checks the same adapter format with our own PyTorch encoder; this one trusts only the
// real libraries' readers.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { loadModel } from '../../src/model/load';
import { createClassifier, type Classifier } from '../../src/model/classifier';
import { writeSafetensors } from '../../src/model/safetensors';
import { importPeftAdapter, writeAdapterFolder } from '../../src/model/peft';
import { tokensUsed } from '../../src/model/trainable-tokens';
import { encodeWeights } from '../../src/train/checkpoint';
import { mergedFiles } from '../../src/model/merge';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';
import { accelerateExportFiles } from '../../src/interop/accelerate-export';
import { generateEmails } from '../../src/data/synth';
import { ensureHfPython } from '../../scripts/hf-python.mjs';
import { predictCli } from '../helpers/predict-cli';

const LABELS = ['invoice', 'order', 'spam', 'support'];
const TEXTS = ['Your order has shipped.', 'Please pay invoice 42 by Friday, thanks a lot.', 'WIN A FREE PRIZE NOW', 'My password reset link does not work'];
let python = '';

beforeAll(() => {
  python = ensureHfPython();
}, 600_000);

function hfCheck(cases: object): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'hf-cases-'));
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
  const r = spawnSync(python, ['scripts/hf_check.py', join(dir, 'cases.json')], { encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' } });
  if (r.status !== 0) throw new Error(`scripts/hf_check.py failed:\n${r.stderr.split('\n').slice(-15).join('\n')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** The classifier's logits, tuned and base embeddings for token ids, padded to one batch. */
function outputsOf(clf: Classifier, inputIds: number[][]) {
  const L = Math.max(...inputIds.map((e) => e.length));
  const ids = tf.tensor2d(inputIds.map((e) => [...e, ...Array(L - e.length).fill(0)]), undefined, 'int32');
  const mask = tf.tensor2d(inputIds.map((e) => [...e.map(() => 1), ...Array(L - e.length).fill(0)]), undefined, 'int32');
  const [logits, embeddings, baseEmbeddings] = tf.tidy(() => [clf.logits(ids, mask, false), clf.embed(ids, mask), clf.embedBase(ids, mask)].map((t) => t.arraySync() as number[][]));
  tf.dispose([ids, mask]);
  return { logits, embeddings, baseEmbeddings };
}

describe('tabtune-mini and its exports in transformers, peft and sentence-transformers', () => {
  it('tokenizer ids, base embeddings, a PEFT adapter (alpha / r = 3) and a merged model agree within 1e-4', async () => {
    await useBackend('cpu');
    const dir = resolve('public/models/tabtune-mini');
    const model = await loadModel({ id: 'tabtune-mini', url: dir });
    const targets = ['query', 'value', 'intermediate.dense'];
    const lora = { r: 4, alpha: 12, dropout: 0, targetModules: targets };
    const clf = createClassifier(model, { method: 'lora', numLabels: LABELS.length, seed: 3, lora });
    // A trained-looking adapter: B away from zero, so the check covers the LoRA path, not just the base.
    clf.adapters.forEach((a, i) => a.b.assign(tf.randomNormal(a.b.shape, 0, 0.1, 'float32', 200 + i)));
    const names = clf.trainableNames();
    const checkpoint = writeSafetensors(Object.fromEntries(clf.trainable.map((v, i) => [names[i], { shape: v.shape, data: v.dataSync() as Float32Array }]))).buffer as ArrayBuffer;
    const adapter = mkdtempSync(join(tmpdir(), 'hf-peft-'));
    await writeAdapterFolder(adapter, { modelRef: { id: 'tabtune-mini', url: dir }, modelType: model.config.modelType, hiddenSize: model.config.hiddenSize, config: { ...DEFAULT_TRAIN_CONFIG, loraR: 4, loraAlpha: 12, loraTargets: targets }, labels: LABELS, pooling: model.pooling, checkpoint });
    const merged = mkdtempSync(join(tmpdir(), 'hf-merged-'));
    for (const [f, bytes] of Object.entries(mergedFiles(model, checkpoint, 12 / 4, LABELS))) writeFileSync(join(merged, f), bytes);

    const inputIds = TEXTS.map((t) => model.tokenizer.encode(t, 128));
    const { logits, embeddings, baseEmbeddings } = outputsOf(clf, inputIds);
    clf.dispose();

    const res = hfCheck({ model: dir, texts: TEXTS, input_ids: inputIds, base_embeddings: baseEmbeddings, adapter, embeddings, logits, merged, pooling: model.pooling });
    console.log(`transformers / peft / sentence-transformers vs tabtune: ${JSON.stringify({ ...res, hf_input_ids: undefined, peft_embeddings: undefined })}`);
    expect(res.hf_input_ids).toEqual(inputIds);
    expect(res.sentence_transformers_base).toBeLessThanOrEqual(1e-4);
    expect(res.peft_embedding).toBeLessThanOrEqual(1e-4);
    expect(res.peft_logits).toBeLessThanOrEqual(1e-4);
    expect(res.merged_dtype).toBe('torch.float32');
    expect(res.merged_embedding).toBeLessThanOrEqual(1e-4);
    expect(res.merged_logits).toBeLessThanOrEqual(1e-4);
    // The adapter must move the encoder far past the tolerance, or the comparisons above say nothing about LoRA.
    expect(res.adapter_moved).toBeGreaterThan(1e-2);
  });

  it('a LoRA adapter with trainable tokens loads in peft as LoraConfig(trainable_token_indices=…), and merges, within 1e-4', async () => {
    await useBackend('cpu');
    const dir = resolve('public/models/tabtune-mini');
    const model = await loadModel({ id: 'tabtune-mini', url: dir });
    const lora = { r: 8, alpha: 16, dropout: 0, targetModules: ['query', 'value'] };
    const inputIds = TEXTS.map((t) => model.tokenizer.encode(t, 128));
    // Every token of all but the last text trains: the last text keeps some base rows, as evaluation text does.
    const tokenIndices = tokensUsed(inputIds.slice(0, -1).map((ids) => ({ ids })), model.config.padTokenId);
    const clf = createClassifier(model, { method: 'lora', numLabels: LABELS.length, seed: 4, lora, tokenIndices });
    clf.adapters.forEach((a, i) => a.b.assign(tf.randomNormal(a.b.shape, 0, 0.1, 'float32', 300 + i)));
    clf.tokens!.values.assign(tf.tidy(() => tf.add(clf.tokens!.values, tf.randomNormal(clf.tokens!.values.shape, 0, 0.05, 'float32', 7))));
    const checkpoint = encodeWeights(clf, clf.trainable.map((v) => v.dataSync() as Float32Array)).slice().buffer as ArrayBuffer;
    const adapter = mkdtempSync(join(tmpdir(), 'hf-peft-tokens-'));
    await writeAdapterFolder(adapter, { modelRef: { id: 'tabtune-mini', url: dir }, modelType: model.config.modelType, hiddenSize: model.config.hiddenSize, config: { ...DEFAULT_TRAIN_CONFIG, trainTokens: true }, labels: LABELS, pooling: model.pooling, checkpoint });
    const written = JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8'));
    expect(written.trainable_token_indices).toEqual(tokenIndices);
    const merged = mkdtempSync(join(tmpdir(), 'hf-merged-tokens-'));
    for (const [f, bytes] of Object.entries(mergedFiles(model, checkpoint, 16 / 8, LABELS))) writeFileSync(join(merged, f), bytes);

    const { logits, embeddings, baseEmbeddings } = outputsOf(clf, inputIds);
    clf.dispose();

    const res = hfCheck({ model: dir, texts: TEXTS, input_ids: inputIds, base_embeddings: baseEmbeddings, adapter, embeddings, logits, merged, pooling: model.pooling });
    console.log(`peft with trainable tokens vs tabtune: ${JSON.stringify({ ...res, hf_input_ids: undefined, peft_embeddings: undefined })}`);
    expect(res.peft_embedding).toBeLessThanOrEqual(1e-4);
    expect(res.peft_logits).toBeLessThanOrEqual(1e-4);
    expect(res.merged_embedding).toBeLessThanOrEqual(1e-4);
    expect(res.merged_logits).toBeLessThanOrEqual(1e-4);
    expect(res.adapter_moved).toBeGreaterThan(1e-2);

    // And back: the folder imports into tabtune with the same rows and ids.
    const files = Object.fromEntries(['adapter_config.json', 'adapter_model.safetensors', 'tabtune.json'].map((f) => [f, new Uint8Array(readFileSync(join(adapter, f)))]));
    const imported = importPeftAdapter(files, model);
    expect(imported.tokenIndices).toEqual(tokenIndices);
  });

  it('the exported train.py trains one step with transformers + peft (LoRA and trainable tokens), and its adapter imports into tabtune with the same encoder', async () => {
    const dir = resolve('public/models/tabtune-mini');
    const emails = generateEmails({ count: 32, seed: 11 }).map(({ text, label }) => ({ text, label }));
    // 16 training examples at batch 16 and no warmup: exactly one optimizer step, at the full learning rate.
    const config = { ...DEFAULT_TRAIN_CONFIG, epochs: 1, batchSize: 16, warmupRatio: 0, lr: 5e-3, maxLen: 64, loraR: 4, loraAlpha: 12, loraTargets: ['query', 'value'], trainTokens: true };
    const files = accelerateExportFiles({ modelId: dir, config, data: { labels: LABELS, train: emails.slice(0, 16), validation: emails.slice(16, 24), test: emails.slice(24) } });
    const run = mkdtempSync(join(tmpdir(), 'train-py-'));
    mkdirSync(join(run, 'data'));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(run, f), text);
    const r = spawnSync(python, ['train.py'], { cwd: run, encoding: 'utf8', env: { ...process.env, HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false', CUDA_VISIBLE_DEVICES: '' } });
    if (r.status !== 0) throw new Error(`train.py failed:\n${r.stderr.split('\n').slice(-20).join('\n')}`);
    const printed = JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{"test"')).pop()!);
    console.log(`train.py on tabtune-mini, one step: ${JSON.stringify(printed.test)}`);
    expect(printed.test.test_accuracy).toBeGreaterThanOrEqual(0);
    expect(printed.test.test_accuracy).toBeLessThanOrEqual(1);
    expect(printed.test.epoch).toBe(1);
    const state = JSON.parse(readFileSync(join(run, 'out', 'checkpoint-1', 'trainer_state.json'), 'utf8'));
    expect(state.global_step).toBe(1);
    const adapterDir = join(run, 'adapter');
    for (const f of ['adapter_config.json', 'adapter_model.safetensors', 'tabtune.json']) expect(existsSync(join(adapterDir, f))).toBe(true);
    const acfg = JSON.parse(readFileSync(join(adapterDir, 'adapter_config.json'), 'utf8'));
    expect({ r: acfg.r, lora_alpha: acfg.lora_alpha, targets: [...acfg.target_modules].sort() }).toEqual({ r: 4, lora_alpha: 12, targets: ['query', 'value'] });
    // The same token ids tabtune's own run would train (its tokenizer gives transformers' ids: the test above).
    const tabtuneMini = await loadModel({ id: 'tabtune-mini', url: dir });
    const base = tokensUsed(emails.slice(0, 16).map((e) => ({ ids: tabtuneMini.tokenizer.encode(e.text, 64) })), tabtuneMini.config.padTokenId);
    expect(acfg.trainable_token_indices).toEqual(base);
    expect(JSON.parse(readFileSync(join(adapterDir, 'tabtune.json'), 'utf8')).labels).toEqual(LABELS);

    // The adapter peft trained, read back by tabtune's importer, gives the encoder peft computes.
    const text = TEXTS[1];
    const tuned = predictCli({ model: dir, text, maxLen: 128, adapter: adapterDir });
    const res = hfCheck({ model: dir, texts: [text], input_ids: [tuned.input_ids], adapter: adapterDir, embeddings: [tuned.embedding], pooling: 'mean' });
    const moved = Math.max(...tuned.embedding.map((x, i) => Math.abs(x - tuned.base_embedding![i])));
    console.log(`train.py adapter in tabtune vs peft: embedding max abs difference ${(res.peft_embedding as number).toExponential(2)}, moved ${moved.toExponential(2)} from the base by one step`);
    expect(res.peft_embedding).toBeLessThanOrEqual(1e-4);
    expect(moved).toBeGreaterThan(1e-3);
  });
});
