// One training run from start to finish, the same in the worker and the CLI: tokenise the splits, measure the
// zero-shot "before", train, measure "after" on the same held-out examples, and hand checkpoints out as bytes.
// No DOM, no worker API, no IndexedDB here: everything leaves through the hooks.
import * as tf from '@tensorflow/tfjs';
import type { CheckpointPayload, DataSplits, EpochEval, EvalSuiteData, EvalSummary, MaskFill, ModelRef, ResumePoint, StepProgress, SuiteEvaluation, TrainRequest, TrainResult } from '../protocol';
import type { TrainConfig } from '../config';
import { importPeftAdapter } from '../model/peft';
import type { BackendName } from '../runtime/backend';
import type { EncodedExample, Pooling } from '../model/types';
import type { Example } from '../data/types';
import { loadModel, type LoadedModel, type ProgressFn } from '../model/load';
import { reinitialised } from '../model/reinit';
import { baseEncoder, createClassifier, type Classifier } from '../model/classifier';
import { createMlmHead, fillMask, type MlmHead } from '../model/mlm';
import { embedTexts, zeroShot } from '../model/zeroshot';
import { readSafetensors, writeSafetensors } from '../model/safetensors';
import { evaluate, labelIndices } from './metrics';
import { evalBatches } from './batching';
import { trainLoop, totalStepsFor, type LoopControl, type RehearsalData } from './loop';
import { REHEARSAL_TEXTS } from '../guards/rehearsal-set';
import type { AdamWState } from './optimizer';
import { forgettingCheck } from './forgetting-check';
import { bagOfWordsBaseline, type BaselineScorer } from './baseline-eval';

export interface SessionHooks {
  status(phase: 'loading' | 'baseline' | 'training' | 'paused' | 'evaluating', detail?: string): void;
  baseline(b: { before: EvalSummary; trainableParams: number; totalParams: number; pooling: Pooling; totalSteps: number }): void;
  progress(p: StepProgress): void;
  evaluated(e: EpochEval): void;
  checkpoint(c: CheckpointPayload): void;
}

/** The device (a GPU) failed mid-run: the run's checkpoints are good, and it can resume on another backend. */
export class DeviceLostError extends Error {}

/** A training request without its message tag: what the worker and the CLI hand to runTraining. */
export type TrainJob = Omit<TrainRequest, 'type'>;

/** Keeps base models loaded by id, so runs and predictions swap adapters instead of reloading weights. */
export class ModelCache {
  private loaded = new Map<string, Promise<LoadedModel>>();
  constructor(private onProgress?: ProgressFn) {}
  get(ref: ModelRef): Promise<LoadedModel> {
    const key = `${ref.hubHost ?? ''}|${ref.url ?? ''}|${ref.id}@${ref.revision ?? 'main'}|${ref.reinitSeed ?? ''}`;
    let p = this.loaded.get(key);
    if (!p) {
      const seed = ref.reinitSeed;
      p = loadModel(ref, this.onProgress).then((m) => (seed === undefined ? m : reinitialised(m, seed, ref.id)));
      p.catch(() => this.loaded.delete(key));
      this.loaded.set(key, p);
    }
    return p;
  }
}

export function encodeSplit(model: LoadedModel, examples: { text: string; label: string }[], labels: string[], maxLen: number): EncodedExample[] {
  const indices = labelIndices(examples, labels);
  return examples.map((e, i) => ({ ids: model.tokenizer.encode(e.text, maxLen), label: indices[i] }));
}

export async function runTraining(
  job: TrainJob,
  models: ModelCache,
  backend: BackendName,
  hooks: SessionHooks,
  control: LoopControl,
): Promise<TrainResult | 'cancelled'> {
  const cfg = job.config;
  const labels = job.data.labels;
  const started = now();
  hooks.status('loading', job.model.id);
  const base = await models.get(job.model);
  const train = encodeSplit(base, job.data.train, labels, cfg.maxLen);
  const validation = encodeSplit(base, job.data.validation, labels, cfg.maxLen);
  const test = encodeSplit(base, job.data.test, labels, cfg.maxLen);
  const padId = base.config.padTokenId;

  hooks.status('baseline', 'zero-shot accuracy of the untrained base model');
  const before = job.before ?? (await zeroShotSummary(base, test, labels, cfg));
  hooks.status('baseline', 'bag-of-words baseline (TF-IDF + logistic regression) on the same splits');
  const bagOfWords = bagOfWordsBaseline(job.data.train, labels);
  const baseline = bagOfWords.score(job.data.test);

  const model = classifierFor(base, labels.length, cfg);
  try {
    const totalSteps = totalStepsFor(train.length, cfg);
    hooks.baseline({ before, trainableParams: model.trainableParamCount(), totalParams: model.totalParamCount(), pooling: base.pooling, totalSteps });
    const resume = job.resume ? decodeResume(model, job.resume) : undefined;

    hooks.status('training');
    const rehearsal = cfg.rehearsal > 0 && cfg.method !== 'head' ? await rehearsalData(base, cfg) : undefined;
    const loop = await trainLoop(
      model,
      { train, validation, padId, rehearsal },
      cfg,
      {
        onStep: (s) => hooks.progress({ runId: job.runId, ...s }),
        onEval: (e) => hooks.evaluated({ runId: job.runId, epoch: e.epoch, step: e.step, trainLoss: e.trainLoss, valLoss: e.valLoss, valAccuracy: e.valAccuracy }),
        onCheckpoint: (c) =>
          hooks.checkpoint({
            runId: job.runId,
            step: c.step,
            epoch: c.epoch,
            batchIndex: c.batchIndex,
            adapter: toArrayBuffer(encodeWeights(model, c.weights)),
            optimizer: toArrayBuffer(encodeOptimizer(c.optimizer)),
            valLoss: c.valLoss,
          }),
      },
      control,
      resume,
    );
    if (loop.stop === 'cancelled') return 'cancelled';
    if (loop.stop === 'diverged') throw new Error(loop.message);
    if (loop.stop === 'device-lost') throw new DeviceLostError(loop.message);

    hooks.status('evaluating', 'accuracy of the tuned model on the held-out test split');
    const after = await classifierSummary(model, test, labels, cfg, padId);
    const suites = await suiteEvaluations(model, base, job.suites, labels, cfg, bagOfWords);
    const weights = encodeWeights(model, await Promise.all(model.trainable.map(async (v) => new Float32Array(await v.data()))));
    // The final weights (the best epoch's when early stopping restored them) replace the last epoch's checkpoint.
    hooks.checkpoint({
      runId: job.runId,
      step: loop.steps,
      epoch: cfg.epochs,
      batchIndex: 0,
      adapter: toArrayBuffer(weights.slice()),
      optimizer: toArrayBuffer(encodeOptimizer({ step: loop.steps, m: [], v: [] })),
      valLoss: loop.valLoss[loop.bestEpoch],
    });
    return {
      runId: job.runId,
      backend,
      pooling: base.pooling,
      modelType: base.config.modelType,
      method: cfg.method,
      steps: loop.steps,
      seconds: (now() - started) / 1000,
      trainableParams: model.trainableParamCount(),
      totalParams: model.totalParamCount(),
      before,
      after,
      baseline,
      trainLoss: loop.trainLoss,
      valLoss: loop.valLoss,
      adapterSha256: await sha256Hex(weights),
      stoppedEarly: loop.stop === 'early-stopped',
      bestEpoch: loop.bestEpoch,
      forgetting: await forgettingCheck(model, base, cfg.maxLen),
      suites,
    };
  } finally {
    model.dispose();
  }
}

/** The rehearsal sentences, tokenised and padded, with the base model's unit-length embeddings of them. */
export async function rehearsalData(base: LoadedModel, cfg: Pick<TrainConfig, 'rehearsal' | 'maxLen'>, texts = REHEARSAL_TEXTS, perStep = 8): Promise<RehearsalData> {
  const ids = texts.map((t) => base.tokenizer.encode(t, cfg.maxLen));
  const seqLen = Math.max(...ids.map((r) => r.length));
  const H = base.config.hiddenSize;
  const embeddings = await embedTexts(base, ids, { batchSize: 32, maxLen: cfg.maxLen });
  const targets = new Float32Array(ids.length * H);
  embeddings.forEach((e, i) => {
    const norm = Math.sqrt(e.reduce((s, x) => s + x * x, 0)) || 1;
    for (let j = 0; j < H; j++) targets[i * H + j] = e[j] / norm;
  });
  const inputIds = new Int32Array(ids.length * seqLen).fill(base.config.padTokenId);
  const attentionMask = new Int32Array(ids.length * seqLen);
  ids.forEach((r, i) => r.forEach((id, j) => ((inputIds[i * seqLen + j] = id), (attentionMask[i * seqLen + j] = 1))));
  return { inputIds, attentionMask, count: ids.length, seqLen, targets, hidden: H, weight: cfg.rehearsal, perStep };
}

/** "Before" (zero-shot base), "after" (tuned) and the baseline on each of the dataset's evaluation suites. */
async function suiteEvaluations(model: Classifier, base: LoadedModel, suites: EvalSuiteData[] | undefined, labels: string[], cfg: TrainConfig, baseline?: BaselineScorer): Promise<SuiteEvaluation[]> {
  const out: SuiteEvaluation[] = [];
  for (const s of suites ?? []) {
    const encoded = encodeSplit(base, s.examples, labels, cfg.maxLen);
    out.push({
      suiteId: s.id,
      name: s.name,
      before: await zeroShotSummary(base, encoded, labels, cfg),
      after: await classifierSummary(model, encoded, labels, cfg, base.config.padTokenId),
      ...(baseline ? { baseline: baseline.score(s.examples) } : {}),
    });
  }
  return out;
}

/** Scores a stored run's final weights on suites added after it trained, so it can face the promotion gate. */
export async function evaluateStoredRun(
  req: { model: ModelRef; labels: string[]; config: TrainConfig; adapter: ArrayBuffer; suites: EvalSuiteData[]; train?: Example[] },
  models: ModelCache,
): Promise<SuiteEvaluation[]> {
  const base = await models.get(req.model);
  const model = classifierFromCheckpoint(base, req.labels, req.config, req.adapter);
  try {
    const baseline = req.train?.length ? bagOfWordsBaseline(req.train, req.labels) : undefined;
    return await suiteEvaluations(model, base, req.suites, req.labels, req.config, baseline);
  } finally {
    model.dispose();
  }
}

/** The classifier a run's settings describe, freshly initialised from its seed. */
function classifierFor(base: LoadedModel, numLabels: number, cfg: TrainConfig): Classifier {
  return createClassifier(base, {
    method: cfg.method,
    numLabels,
    seed: cfg.seed,
    lora: { r: cfg.loraR, alpha: cfg.loraAlpha, dropout: cfg.loraDropout, targetModules: cfg.loraTargets },
  });
}

/** A run's classifier rebuilt from its settings and stored weights. */
function classifierFromCheckpoint(base: LoadedModel, labels: string[], cfg: TrainConfig, weights: ArrayBuffer): Classifier {
  const model = classifierFor(base, labels.length, cfg);
  try {
    loadWeights(model, weights);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

const mlmHeads = new WeakMap<LoadedModel, MlmHead>();

/** The base model's guesses at each [MASK] (what pretraining taught it), for models saved with an MLM head. */
export async function fillMaskText(req: { model: ModelRef; text: string }, models: ModelCache, k = 5): Promise<MaskFill[]> {
  const base = await models.get(req.model);
  let head = mlmHeads.get(base);
  if (!head) {
    head = createMlmHead(base, baseEncoder(base));
    mlmHeads.set(base, head);
  }
  const fills = await fillMask(base, baseEncoder(base), head, req.text, k);
  return fills.map((f) => ({ position: f.position, top: f.top.map((t) => ({ token: t.token, probability: t.probability })) }));
}

/** Tokens per text with [CLS] and [SEP], untruncated, under the model's own tokenizer. */
export async function countTokens(req: { model: ModelRef; texts: string[] }, models: ModelCache): Promise<Int32Array> {
  const base = await models.get(req.model);
  return Int32Array.from(req.texts, (t) => base.tokenizer.encode(t, 1 << 20).length);
}

/** Probabilities for one text: the tuned classifier when an adapter is given, the zero-shot base model otherwise. */
export async function predictText(
  req: { model: ModelRef; labels: string[]; text: string; config: TrainConfig; adapter?: ArrayBuffer },
  models: ModelCache,
): Promise<number[]> {
  const base = await models.get(req.model);
  const ex = [{ ids: base.tokenizer.encode(req.text, req.config.maxLen), label: 0 }];
  if (!req.adapter) return (await zeroShot(base, ex.map((e) => e.ids), req.labels)).probs[0];
  const model = classifierFromCheckpoint(base, req.labels, req.config, req.adapter);
  try {
    return (await predictAll(model, ex, req.config, base.config.padTokenId)).probs[0];
  } finally {
    model.dispose();
  }
}

async function zeroShotSummary(base: LoadedModel, test: EncodedExample[], labels: string[], cfg: TrainConfig): Promise<EvalSummary> {
  const zs = await zeroShot(base, test.map((e) => e.ids), labels, { batchSize: cfg.batchSize, maxLen: cfg.maxLen });
  return summarise(test, zs.predictions, zs.probs, labels);
}

async function classifierSummary(model: Classifier, test: EncodedExample[], labels: string[], cfg: TrainConfig, padId: number): Promise<EvalSummary> {
  const { predictions, probs } = await predictAll(model, test, cfg, padId);
  return summarise(test, predictions, probs, labels);
}

export async function predictAll(
  model: Classifier,
  examples: EncodedExample[],
  cfg: Pick<TrainConfig, 'batchSize' | 'maxLen'>,
  padId: number,
): Promise<{ predictions: number[]; probs: number[][] }> {
  const predictions = new Array<number>(examples.length);
  const probs = new Array<number[]>(examples.length);
  for (const { batch, indices } of evalBatches(examples, { batchSize: cfg.batchSize, maxLen: cfg.maxLen, padId })) {
    const p = tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputIds, [batch.batchSize, batch.seqLen], 'int32');
      const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.seqLen], 'int32');
      return tf.softmax(model.logits(ids, mask, false));
    });
    const values = await p.array();
    p.dispose();
    (values as number[][]).forEach((row, r) => {
      probs[indices[r]] = row;
      predictions[indices[r]] = row.indexOf(Math.max(...row));
    });
  }
  return { predictions, probs };
}

function summarise(test: EncodedExample[], predictions: number[], probs: number[][], labels: string[]): EvalSummary {
  const m = evaluate(test.map((e) => e.label), predictions, labels);
  return { accuracy: m.accuracy, macroF1: m.macroF1, confusion: m.confusion, perClass: m.perClass, predictions, probs };
}

/** Trainable weights as safetensors, under the classifier's own names (PEFT names for LoRA). */
function encodeWeights(model: Classifier, values: Float32Array[]): Uint8Array {
  const names = model.trainableNames();
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  model.trainable.forEach((v, i) => (tensors[names[i]] = { shape: v.shape, data: values[i] }));
  return writeSafetensors(tensors, { format: 'tabtune-checkpoint', method: model.method });
}

function loadWeights(model: Classifier, bytes: ArrayBuffer): void {
  const { tensors } = readSafetensors(new Uint8Array(bytes), 'checkpoint');
  const names = model.trainableNames();
  model.trainable.forEach((v, i) => {
    const t = tensors[names[i]];
    if (!t) throw new Error(`The checkpoint has no tensor "${names[i]}"; it was saved for a different method or model.`);
    const value = tf.tensor(t.data, v.shape, 'float32');
    v.assign(value);
    value.dispose();
  });
}

function encodeOptimizer(s: AdamWState): Uint8Array {
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  s.m.forEach((m, i) => (tensors[`m.${i}`] = { shape: [m.length], data: m }));
  s.v.forEach((v, i) => (tensors[`v.${i}`] = { shape: [v.length], data: v }));
  return writeSafetensors(tensors, { step: String(s.step), count: String(s.m.length) });
}

function decodeResume(model: Classifier, r: ResumePoint) {
  const weights = readSafetensors(new Uint8Array(r.adapter), 'checkpoint').tensors;
  const opt = readSafetensors(new Uint8Array(r.optimizer), 'optimizer state');
  const count = model.trainable.length;
  const names = model.trainableNames();
  return {
    step: r.step,
    epoch: r.epoch,
    batchIndex: r.batchIndex,
    weights: names.map((n) => {
      if (!weights[n]) throw new Error(`The checkpoint has no tensor "${n}".`);
      return weights[n].data;
    }),
    optimizer: {
      step: Number(opt.metadata.step ?? 0),
      m: Array.from({ length: count }, (_, i) => opt.tensors[`m.${i}`].data),
      v: Array.from({ length: count }, (_, i) => opt.tensors[`v.${i}`].data),
    },
  };
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function toArrayBuffer(u: Uint8Array): ArrayBuffer {
  return u.byteOffset === 0 && u.byteLength === u.buffer.byteLength ? (u.buffer as ArrayBuffer) : (u.slice().buffer as ArrayBuffer);
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * A PEFT adapter trained elsewhere becomes a run like any other: checked against the base model, its head's rows
 * matched to this dataset's labels, evaluated on the same pinned test split (with the same zero-shot "before").
 */
export async function importAdapterRun(
  req: { runId: string; model: ModelRef; files: Record<string, ArrayBuffer>; data: DataSplits; config: TrainConfig; suites?: EvalSuiteData[] },
  models: ModelCache,
  backend: BackendName,
): Promise<{ result: TrainResult; checkpoint: ArrayBuffer; config: TrainConfig }> {
  const started = now();
  const base = await models.get(req.model);
  const files = Object.fromEntries(Object.entries(req.files).map(([k, v]) => [k, new Uint8Array(v)]));
  const adapter = importPeftAdapter(files, base);
  const labels = req.data.labels;
  const missing = labels.filter((l) => !adapter.labels.includes(l));
  const extra = adapter.labels.filter((l) => !labels.includes(l));
  if (missing.length || extra.length) {
    throw new Error(`The adapter's labels (${adapter.labels.join(', ')}) differ from this dataset's (${labels.join(', ')})${missing.length ? `; missing: ${missing.join(', ')}` : ''}${extra.length ? `; not in the dataset: ${extra.join(', ')}` : ''}.`);
  }
  const config: TrainConfig = { ...req.config, method: adapter.method, loraR: adapter.r, loraAlpha: adapter.alpha, loraDropout: 0, loraTargets: adapter.targets.length ? adapter.targets : req.config.loraTargets };
  const model = createClassifier(base, { method: config.method, numLabels: labels.length, seed: 0, lora: { r: config.loraR, alpha: config.loraAlpha, dropout: 0, targetModules: config.loraTargets } });
  try {
    const { tensors } = readSafetensors(adapter.checkpoint, 'adapter');
    // Reorder the head's outputs from the adapter's label order to the dataset's.
    const order = labels.map((l) => adapter.labels.indexOf(l));
    const k = tensors['classifier.kernel'];
    const [H, n] = k.shape;
    const kernel = new Float32Array(H * n);
    for (let h = 0; h < H; h++) order.forEach((src, j) => (kernel[h * n + j] = k.data[h * n + src]));
    tensors['classifier.kernel'] = { ...k, data: kernel };
    tensors['classifier.bias'] = { ...tensors['classifier.bias'], data: Float32Array.from(order.map((src) => tensors['classifier.bias'].data[src])) };
    const names = model.trainableNames();
    // Every adapter matrix must have a home in this base model, and every adapted layer its matrices.
    const missing = names.filter((nm) => !tensors[nm]);
    const extra = Object.keys(tensors).filter((nm) => !names.includes(nm));
    if (missing.length || extra.length) {
      throw new Error(`The adapter does not fit ${base.id}: ${extra.length ? `no such layer for ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ` (+${extra.length - 3})` : ''}` : ''}${extra.length && missing.length ? '; ' : ''}${missing.length ? `missing ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` (+${missing.length - 3})` : ''}` : ''}.`);
    }
    names.forEach((nm, i) => {
      const want = model.trainable[i].shape;
      const got = tensors[nm].shape;
      if (want.join('x') !== got.join('x')) throw new Error(`Adapter tensor ${nm} is [${got.join(', ')}] (tfjs layout) but ${base.id} needs [${want.join(', ')}].`);
    });
    const bytes = writeSafetensors(Object.fromEntries(names.map((nm) => [nm, { shape: tensors[nm].shape, data: tensors[nm].data }])));
    loadWeights(model, toArrayBuffer(bytes));
    const test = encodeSplit(base, req.data.test, labels, config.maxLen);
    const before = await zeroShotSummary(base, test, labels, config);
    const after = await classifierSummary(model, test, labels, config, base.config.padTokenId);
    const bagOfWords = bagOfWordsBaseline(req.data.train, labels);
    const result: TrainResult = {
      runId: req.runId,
      backend,
      pooling: base.pooling,
      modelType: base.config.modelType,
      method: config.method,
      steps: 0,
      seconds: (now() - started) / 1000,
      trainableParams: model.trainableParamCount(),
      totalParams: model.totalParamCount(),
      before,
      after,
      baseline: bagOfWords.score(req.data.test),
      trainLoss: [],
      valLoss: [],
      adapterSha256: await sha256Hex(bytes),
      stoppedEarly: false,
      bestEpoch: -1,
      forgetting: await forgettingCheck(model, base, config.maxLen),
      suites: await suiteEvaluations(model, base, req.suites, labels, config, bagOfWords),
    };
    return { result, checkpoint: toArrayBuffer(bytes), config };
  } finally {
    model.dispose();
  }
}
