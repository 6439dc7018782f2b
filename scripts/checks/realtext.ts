// The project's real-text checks: does fine-tuning a base model beat the bag-of-words baseline on text nobody
// generated? `npx tsx scripts/checks/realtext.ts [--model DIR_OR_ID] [--out FILE] [--only emails,fortunes,sts]`
//
// - emails: fine-tune on the page's built-in 2,000 generated emails (seed 0, the CLI's split), score on the
//   hand-written emails of test/fixtures/realtext/emails.jsonl. TF-IDF + logistic regression is trained on the same
//   training split.
// - fortunes: topic of a quote from Debian's fortunes (test/fixtures/realtext/fortunes-topics.jsonl, text the
//   pretraining corpus does not hold), 5-fold cross-validation so every quote is scored once.
// - sts: Spearman correlation between the mean-pooled cosine similarity and hand-written judgements
//   (test/fixtures/realtext/sts-pairs.tsv), against TF-IDF cosine on the same pairs.
//
// Fine-tuning uses the model's defaults (src/config.ts defaultConfigFor) unless flags override them, exactly as
// `npm run train` does with no hyperparameter flags. One JSON object is printed (and written to --out).
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { useBackend } from '../../src/runtime/tf-node';
import { DEFAULT_MODEL_ID, defaultConfigFor, type TrainConfig } from '../../src/config';
import { importText } from '../../src/data/import';
import { splitDataset } from '../../src/data/split';
import { generateEmails } from '../../src/data/synth';
import type { Example } from '../../src/data/types';
import { runTraining, ModelCache } from '../../src/train/session';
import { embedTexts } from '../../src/model/zeroshot';
import { trainBagOfWords } from '../../src/baseline/bag-of-words';
import { TfidfVectorizer, cosineSparse } from '../../src/baseline/tfidf';
import { cosine, spearman } from '../../src/guards/forgetting';
import type { TrainResult } from '../../src/protocol';
import { cliModelRef } from '../cli/model-ref';

const FIXTURES = 'test/fixtures/realtext';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: DEFAULT_MODEL_ID },
    out: { type: 'string' },
    only: { type: 'string', default: 'emails,fortunes,sts' },
    folds: { type: 'string', default: '5' },
    method: { type: 'string' },
    lr: { type: 'string' },
    epochs: { type: 'string' },
    r: { type: 'string' },
    targets: { type: 'string' },
    'max-len': { type: 'string' },
    'demo-count': { type: 'string', default: '2000' },
  },
});

const modelId = basename(values.model!);
const defaults = defaultConfigFor(modelId);
const config: TrainConfig = {
  ...defaults,
  ...(values.method ? { method: values.method as TrainConfig['method'] } : {}),
  ...(values.lr ? { lr: Number(values.lr) } : {}),
  ...(values.epochs ? { epochs: Number(values.epochs) } : {}),
  ...(values.r ? { loraR: Number(values.r), loraAlpha: 2 * Number(values.r) } : {}),
  ...(values.targets ? { loraTargets: values.targets.split(',') } : {}),
  ...(values['max-len'] ? { maxLen: Number(values['max-len']) } : {}),
};

function readJsonl(file: string): Example[] {
  const res = importText(readFileSync(file, 'utf8'), { file });
  if (res.refused || res.errors.length) throw new Error(`${file}: ${res.refused ?? res.errors.map((e) => `${e.line}: ${e.message}`).join('; ')}`);
  return res.examples;
}

const log = (s: string) => process.stderr.write(s + '\n');
await useBackend('wasm');
const models = new ModelCache();
const ref = cliModelRef(values.model!);
const strip = (xs: { text: string; label: string }[]) => xs.map(({ text, label }) => ({ text, label }));

async function fineTune(train: Example[], test: Example[], seed = 0): Promise<TrainResult> {
  const split = splitDataset(train, { seed, testFraction: 0 });
  const labels = [...new Set([...train, ...test].map((e) => e.label))].sort();
  const r = await runTraining(
    { runId: `check-${Date.now()}`, model: ref, data: { labels, train: strip(split.train), validation: strip(split.validation), test: strip(test) }, config },
    models,
    'wasm',
    { status: () => {}, baseline: () => {}, progress: () => {}, evaluated: (e) => log(`  epoch ${e.epoch + 1}: validation loss ${e.valLoss.toFixed(4)}`), checkpoint: () => {} },
    { isCancelled: () => false, whilePaused: async () => {} },
  );
  if (r === 'cancelled') throw new Error('cancelled');
  return r;
}

function bagOfWords(train: Example[], test: Example[], seed = 0): number {
  // The same training split the fine-tune learns from (its validation part only steers early stopping).
  const split = splitDataset(train, { seed, testFraction: 0 });
  const labels = [...new Set([...train, ...test].map((e) => e.label))].sort();
  const clf = trainBagOfWords(split.train.map((e) => e.text), split.train.map((e) => labels.indexOf(e.label)), labels.length);
  const pred = clf.predict(test.map((e) => e.text));
  return pred.filter((p, i) => labels[p] === test[i].label).length / test.length;
}

const report: Record<string, unknown> = { model: values.model, config: { method: config.method, lr: config.lr, epochs: config.epochs, loraR: config.loraR, loraTargets: config.loraTargets, maxLen: config.maxLen, batchSize: config.batchSize } };
const only = new Set(values.only!.split(','));

if (only.has('emails')) {
  log('emails: fine-tuning on the built-in generated emails, scoring hand-written ones');
  const train = generateEmails({ count: Number(values['demo-count']), seed: 0 });
  const test = readJsonl(`${FIXTURES}/emails.jsonl`);
  const r = await fineTune(train, test);
  report.emails = { test: test.length, zeroShot: r.before.accuracy, fineTuned: r.after.accuracy, fineTunedMacroF1: r.after.macroF1, bagOfWords: bagOfWords(train, test), seconds: r.seconds, steps: r.steps };
  log(JSON.stringify(report.emails));
}

if (only.has('fortunes')) {
  const all = readJsonl(`${FIXTURES}/fortunes-topics.jsonl`);
  const k = Number(values.folds);
  let zs = 0;
  let ft = 0;
  let bow = 0;
  let seconds = 0;
  for (let f = 0; f < k; f++) {
    const test = all.filter((_, i) => i % k === f);
    const train = all.filter((_, i) => i % k !== f);
    log(`fortunes fold ${f + 1}/${k}: ${train.length} train, ${test.length} test`);
    const r = await fineTune(train, test);
    zs += r.before.accuracy * test.length;
    ft += r.after.accuracy * test.length;
    bow += bagOfWords(train, test) * test.length;
    seconds += r.seconds;
  }
  report.fortunes = { test: all.length, folds: k, zeroShot: zs / all.length, fineTuned: ft / all.length, bagOfWords: bow / all.length, seconds };
  log(JSON.stringify(report.fortunes));
}

if (only.has('sts')) {
  const rows = readFileSync(`${FIXTURES}/sts-pairs.tsv`, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const gold = rows.map((r) => Number(r[0]));
  const a = rows.map((r) => r[1]);
  const b = rows.map((r) => r[2]);
  const base = await models.get(ref);
  const emb = async (texts: string[]) => embedTexts(base, texts.map((t) => base.tokenizer.encode(t, 128)), { batchSize: 32, maxLen: 128 });
  const [ea, eb] = [await emb(a), await emb(b)];
  const model = spearman(ea.map((e, i) => cosine(e, eb[i])), gold);
  // TF-IDF fitted on the pairs' own sentences, as one would for a similarity baseline without other text.
  const vec = new TfidfVectorizer();
  vec.fit([...a, ...b]);
  const [ta, tb] = [vec.transform(a), vec.transform(b)];
  const tfidf = spearman(ta.map((r, i) => cosineSparse(r, tb[i])), gold);
  report.sts = { pairs: rows.length, meanPooledSpearman: model, tfidfSpearman: tfidf };
  log(JSON.stringify(report.sts));
}

const text = JSON.stringify(report, null, 1);
if (values.out) writeFileSync(values.out, text + '\n');
process.stdout.write(text + '\n');
