// `npm run -s predict -- --model DIR_OR_ID [--adapter DIR] --text "..."`: one JSON line with the token ids, the
// pooled embedding and, with an adapter, the labels and their probabilities.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { useBackend } from '../../src/runtime/tf-node';
import { loadModel } from '../../src/model/load';
import { createClassifier } from '../../src/model/classifier';
import { readSafetensors } from '../../src/model/safetensors';
import { cliModelRef } from './model-ref';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'tiny-bert' }, adapter: { type: 'string' }, text: { type: 'string' }, 'max-len': { type: 'string', default: '128' }, backend: { type: 'string', default: 'wasm' } } });
if (values.text === undefined) {
  process.stderr.write('usage: npm run -s predict -- --model DIR_OR_ID [--adapter DIR] --text "..."\n');
  process.exit(2);
}
const tf = await useBackend(values.backend as 'wasm' | 'cpu');
const model = await loadModel(cliModelRef(values.model!));
const ids = model.tokenizer.encode(values.text, Number(values['max-len']));
const idsT = tf.tensor2d([ids], [1, ids.length], 'int32');
const mask = tf.onesLike(idsT) as typeof idsT;

let labels: string[] | undefined;
let probs: number[] | undefined;
let method: 'head' | 'lora' = 'head';
let lora = { r: 1, alpha: 1, dropout: 0, targetModules: ['query'] };
if (values.adapter) {
  const meta = JSON.parse(readFileSync(`${values.adapter}/tabtune.json`, 'utf8'));
  const cfg = JSON.parse(readFileSync(`${values.adapter}/adapter_config.json`, 'utf8'));
  labels = meta.labels as string[];
  method = cfg.r > 0 ? 'lora' : 'head';
  lora = { r: cfg.r || 1, alpha: cfg.lora_alpha, dropout: 0, targetModules: cfg.target_modules.length ? cfg.target_modules : ['query'] };
}
const clf = createClassifier(model, { method, numLabels: labels?.length ?? 2, seed: DEFAULT_TRAIN_CONFIG.seed, lora });
if (values.adapter) {
  // PEFT layout back to tfjs: every matrix transposed.
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(`${values.adapter}/adapter_model.safetensors`)), 'adapter_model.safetensors');
  const prefix = model.config.modelType === 'bert' ? 'bert.' : 'distilbert.';
  const peftName = (n: string) =>
    n === 'classifier.kernel' ? 'base_model.model.classifier.weight' : n === 'classifier.bias' ? 'base_model.model.classifier.bias' : `base_model.model.${prefix}${n}.weight`;
  clf.trainableNames().forEach((n, i) => {
    const t = tensors[peftName(n)];
    if (!t) throw new Error(`${values.adapter}/adapter_model.safetensors has no tensor "${peftName(n)}".`);
    const v = clf.trainable[i];
    const value = t.shape.length === 2 ? tf.transpose(tf.tensor2d(t.data, t.shape as [number, number])) : tf.tensor(t.data, t.shape);
    v.assign(value);
    value.dispose();
  });
  probs = Array.from(tf.tidy(() => tf.softmax(clf.logits(idsT, mask, false))).dataSync());
}
const embedding = Array.from(tf.tidy(() => clf.embedBase(idsT, mask)).dataSync());
process.stdout.write(JSON.stringify({ input_ids: ids, pooling: model.pooling, embedding, ...(labels ? { labels, probs } : {}) }) + '\n');
