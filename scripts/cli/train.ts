// `npm run -s train -- --data FILE|demo --eval FILE --suite FILE... --model DIR_OR_ID --method lora|head|full [...] --out DIR`
// The same session as the worker, in Node on the wasm backend: progress on stderr, one JSON line on stdout.
// `--data demo` is the page's built-in demo (generated emails) and brings its hand-written suite, as in the page.
import { parseArgs } from 'node:util';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { useBackend } from '../../src/runtime/tf-node';
import { DEFAULT_MODEL_ID, DEMO_DATASET, defaultConfigFor, type TrainConfig } from '../../src/config';
import { generateEmails } from '../../src/data/synth';
import { DEMO_SUITE_FILE, DEMO_SUITE_NAME, parseDemoSuite } from '../../src/data/demo-suite';
import { checkSuite } from '../../src/store/suites';
import type { Checkpoint, EvalSuiteData, TrainResult } from '../../src/domain';
import { DEFAULT_DRIFT_LIMIT, isForgetting } from '../../src/guards/forgetting';
import { overfitRisk } from '../../src/guards/overfit';
import { importText, type ImportError } from '../../src/data/import';
import { splitDataset } from '../../src/data/split';
import { runTraining } from '../../src/train/session';
import { ModelCache } from '../../src/model/model-cache';
import { cliModelId, cliModelRef } from './model-ref';
import { writeAdapterFolder } from '../../src/model/peft';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    eval: { type: 'string' },
    suite: { type: 'string', multiple: true },
    model: { type: 'string', default: DEFAULT_MODEL_ID },
    method: { type: 'string' },
    r: { type: 'string' },
    alpha: { type: 'string' },
    dropout: { type: 'string' },
    targets: { type: 'string' },
    'train-tokens': { type: 'string' },
    'read-whole': { type: 'string' },
    epochs: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    'max-len': { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string' },
    help: { type: 'boolean' },
  },
});

function fail(msg: string): never {
  process.stderr.write(`train: ${msg}\n`);
  process.exit(2);
}

if (values.help || !values.data) {
  process.stderr.write(`usage: npm run -s train -- --data FILE|demo [--eval FILE] [--suite FILE ...] [--model DIR_OR_ID (default ${DEFAULT_MODEL_ID})] [--method lora|head|full --r 8 --alpha 16 --dropout 0.1 --targets query,value --train-tokens on|off --read-whole on|off --epochs 3 --lr 5e-4 --batch 16 --max-len 128 --seed 0 --backend wasm|cpu|webgpu] [--out DIR]\n` +
    "Flags left out take the model's defaults (src/config.ts MODEL_DEFAULTS, the same table the page uses).\n" +
    `--data demo trains on the page's built-in demo (${DEMO_DATASET.count} generated emails, seed ${DEMO_DATASET.seed}) and scores its hand-written suite too; --suite adds evaluation files.\n`);
  process.exit(values.help ? 0 : 2);
}
// The model's own defaults: a bundled folder is known by its name (public/models/tabtune-mini → tabtune-mini).
const defaults = defaultConfigFor(cliModelId(values.model!));
if (values.method !== undefined && !['lora', 'head', 'full'].includes(values.method)) fail(`--method must be lora, head or full, not "${values.method}".`);
if (values['train-tokens'] !== undefined && !['on', 'off'].includes(values['train-tokens'])) fail(`--train-tokens must be on or off, not "${values['train-tokens']}".`);
if (values['read-whole'] !== undefined && !['on', 'off'].includes(values['read-whole'])) fail(`--read-whole must be on or off, not "${values['read-whole']}".`);
if (!['wasm', 'cpu', 'webgpu'].includes(values.backend!)) fail(`--backend must be wasm, cpu or webgpu in Node, not "${values.backend}".`);

const num = (name: string, v: string | undefined, fallback: number) => {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x)) fail(`--${name} must be a number, not "${v}".`);
  return x;
};
const config: TrainConfig = {
  ...defaults,
  method: (values.method ?? defaults.method) as TrainConfig['method'],
  loraR: num('r', values.r, defaults.loraR),
  loraAlpha: num('alpha', values.alpha, defaults.loraAlpha),
  loraDropout: num('dropout', values.dropout, defaults.loraDropout),
  loraTargets: values.targets ? values.targets.split(',').map((s) => s.trim()) : defaults.loraTargets,
  trainTokens: values['train-tokens'] === undefined ? defaults.trainTokens : values['train-tokens'] === 'on',
  readWhole: values['read-whole'] === undefined ? defaults.readWhole : values['read-whole'] === 'on',
  epochs: num('epochs', values.epochs, defaults.epochs),
  lr: num('lr', values.lr, defaults.lr),
  batchSize: num('batch', values.batch, defaults.batchSize),
  maxLen: num('max-len', values['max-len'], defaults.maxLen),
  seed: num('seed', values.seed, defaults.seed),
};

function failOnErrors(file: string, errors: ImportError[]): void {
  if (!errors.length) return;
  for (const e of errors.slice(0, 50)) process.stderr.write(`${e.file}:${e.line}: ${e.field ? `${e.field}: ` : ''}${e.message}\n`);
  fail(`${file} has ${errors.length} error(s); nothing was trained.`);
}

async function importFile(file: string) {
  const text = await readFile(file, 'utf8').catch((e) => fail(`cannot read ${file}: ${e.message}`));
  const res = importText(text, { file });
  if (res.refused) fail(`${file}: ${res.refused}`);
  failOnErrors(file, res.errors);
  return res;
}

async function readExamples(file: string) {
  return (await importFile(file)).examples;
}

await useBackend(values.backend as 'wasm' | 'cpu' | 'webgpu');
const isDemo = values.data === 'demo';
const data = isDemo ? generateEmails({ count: DEMO_DATASET.count, seed: DEMO_DATASET.seed }) : await readExamples(values.data!);
// --eval is the held-out test set; without it, the data's own pinned test split is used.
const split = splitDataset(data, { seed: 0, ...(values.eval ? { testFraction: 0 } : {}) });
const test = values.eval ? await readExamples(values.eval) : split.test;
const labels = [...new Set([...data, ...test].map((e) => e.label))].sort();
const strip = (xs: { text: string; label: string }[]) => xs.map(({ text, label }) => ({ text, label }));
const suites: EvalSuiteData[] = [];
if (isDemo) {
  const file = new URL(`../../src/data/${DEMO_SUITE_FILE}`, import.meta.url);
  suites.push({ id: 'handwritten-emails', name: DEMO_SUITE_NAME, examples: parseDemoSuite(await readFile(file, 'utf8')) });
}
for (const [i, file] of (values.suite ?? []).entries()) {
  // The page's check of an evaluation file: the data's labels only (errors name the line), warnings on overlap.
  const { examples, lines } = await importFile(file);
  const check = checkSuite(file, examples, lines, labels, split.train.map((e) => e.text));
  failOnErrors(file, check.errors);
  for (const w of check.warnings) process.stderr.write(`${file}: ${w}\n`);
  suites.push({ id: `suite-${i}`, name: file, examples: strip(examples) });
}

let last: Checkpoint | null = null;
const ref = cliModelRef(values.model!);
const models = new ModelCache((file, loaded, total) => process.stderr.write(`\rdownloading ${file}: ${loaded}/${total} bytes`));
let lastLine = 0;
const result = await runTraining(
  {
    runId: `cli-${Date.now()}`,
    model: ref,
    data: { labels, train: strip(split.train), validation: strip(split.validation), test: strip(test) },
    config,
    suites,
  },
  models,
  values.backend as 'wasm' | 'cpu' | 'webgpu',
  {
    status: (phase, detail) => process.stderr.write(`${phase}${detail ? `: ${detail}` : ''}\n`),
    baseline: (b) => {
      const rows = b.tokenParams ? ` (${b.tokenParams} of them embedding rows of the training split's tokens)` : '';
      process.stderr.write(`before (zero-shot): accuracy ${b.before.accuracy.toFixed(4)}; trainable ${b.trainableParams} of ${b.totalParams} parameters${rows}; ${b.totalSteps} steps\n`);
      // The page's and the jobs API's warning before training, here too.
      const risk = overfitRisk(split.train.length, b.trainableParams, config.epochs, config.method, b.tokenParams);
      if (risk) process.stderr.write(`warning: ${risk.message}${risk.suggestions.length ? ` What helps: ${risk.suggestions.join('; ')}.` : ''}\n`);
    },
    progress: (p) => {
      if (p.loss !== undefined && (Date.now() - lastLine > 1000 || p.step === p.totalSteps)) {
        lastLine = Date.now();
        process.stderr.write(`step ${p.step}/${p.totalSteps} epoch ${p.epoch + 1} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)} ${p.examplesPerSec.toFixed(0)} ex/s\n`);
      }
    },
    evaluated: (e) => process.stderr.write(`epoch ${e.epoch + 1}: train loss ${e.trainLoss.toFixed(4)}, validation loss ${e.valLoss.toFixed(4)}, validation accuracy ${e.valAccuracy.toFixed(4)}\n`),
    checkpoint: (c) => (last = c),
  },
  { isCancelled: () => false, whilePaused: async () => {} },
);
if (result === 'cancelled') fail('cancelled');
const r = result as TrainResult;
for (const s of [{ name: 'test split', before: r.before, after: r.after, baseline: r.baseline }, ...(r.suites ?? [])]) {
  process.stderr.write(`${s.name}: accuracy ${s.before.accuracy.toFixed(4)} before, ${s.after.accuracy.toFixed(4)} after, bag-of-words baseline ${s.baseline ? s.baseline.accuracy.toFixed(4) : '—'}\n`);
}
let out: string | null = null;
if (values.out) {
  out = resolve(values.out);
  await mkdir(out, { recursive: true });
  const base = await models.get(ref);
  // The run's own checkpoint (tabtune names and layouts) is kept beside the PEFT files: `export` builds from it.
  await writeFile(`${out}/checkpoint.safetensors`, new Uint8Array(last!.adapter));
  if (config.method === 'full') {
    await writeFile(`${out}/tabtune.json`, JSON.stringify({ format: 'tabtune-run/1', base_model: ref.id, labels, pooling: r.pooling, method: 'full', config }, null, 2) + '\n');
  } else {
    await writeAdapterFolder(out, { modelRef: ref, modelType: base.config.modelType, hiddenSize: base.config.hiddenSize, config, labels, pooling: r.pooling, checkpoint: last!.adapter, result: r });
  }
}
process.stdout.write(
  JSON.stringify({
    before: { accuracy: r.before.accuracy, macro_f1: r.before.macroF1 },
    after: { accuracy: r.after.accuracy, macro_f1: r.after.macroF1 },
    baseline: { accuracy: r.baseline.accuracy, macro_f1: r.baseline.macroF1 },
    suites: (r.suites ?? []).map((s) => ({
      name: s.name,
      examples: s.after.predictions.length,
      before: { accuracy: s.before.accuracy, macro_f1: s.before.macroF1 },
      after: { accuracy: s.after.accuracy, macro_f1: s.after.macroF1 },
      baseline: s.baseline ? { accuracy: s.baseline.accuracy, macro_f1: s.baseline.macroF1 } : null,
    })),
    forgetting: { ...r.forgetting, limit: DEFAULT_DRIFT_LIMIT, flagged: isForgetting(r.forgetting) },
    train_loss: r.trainLoss,
    val_loss: r.valLoss,
    steps: r.steps,
    seconds: r.seconds,
    backend: r.backend,
    method: r.method,
    pooling: r.pooling,
    trainable_params: r.trainableParams,
    total_params: r.totalParams,
    adapter_sha256: r.adapterSha256,
    out,
  }) + '\n',
);
