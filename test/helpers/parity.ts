// Compares tabtune's encoder, LoRA, head, loss, gradients and AdamW against the PyTorch goldens of
// scripts/make_goldens.py, on whichever tfjs backend is active. Returns the largest errors seen.
import * as tf from '@tensorflow/tfjs';
import type { LoadedModel } from '../../src/model/load';
import { createClassifier, type Classifier } from '../../src/model/classifier';
import { encode, pool } from '../../src/model/encoder';
import { crossEntropy } from '../../src/train/loop';
import { AdamW } from '../../src/train/optimizer';

export interface Golden {
  targets: string[];
  r: number;
  alpha: number;
  num_labels: number;
  ids: number[][];
  mask: number[][];
  labels: number[];
  embedding_cls: number[][];
  embedding_mean: number[][];
  logits: number[][];
  loss: number;
  init: Record<string, { shape: number[]; data: number[] }>;
  grads: Record<string, number[]>;
  adamw: { lr: number; weight_decay: number; losses: number[]; after: Record<string, number[]> };
  /** The same LoRA + head through mean pooling (sentence-transformers models): logits, loss, gradients. */
  mean?: { logits: number[][]; loss: number; grads: Record<string, number[]> };
}

export interface ParityErrors {
  embedding: number;
  logits: number;
  loss: number;
  /** Largest gradient error, as max over elements of |d| / max(1e-4, 1e-3 |ref|) — below 1 passes. */
  gradScore: number;
  gradAbs: number;
  adamScore: number;
  adamAbs: number;
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const score = (got: ArrayLike<number>, ref: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < ref.length; i++) s = Math.max(s, Math.abs(got[i] - ref[i]) / Math.max(1e-4, 1e-3 * Math.abs(ref[i])));
  return s;
};

/** PyTorch layout [rows, cols] → tfjs layout [cols, rows]. */
function transposed(t: { shape: number[]; data: number[] }): tf.Tensor2D {
  return tf.tidy(() => tf.transpose(tf.tensor2d(t.data, t.shape as [number, number])));
}

/** Golden name of each trainable variable, and whether it is stored transposed. */
function goldenNames(c: Classifier): { name: string; transpose: boolean }[] {
  return c.trainableNames().map((n) => {
    if (n === 'classifier.kernel') return { name: 'classifier.weight', transpose: true };
    if (n === 'classifier.bias') return { name: 'classifier.bias', transpose: false };
    return { name: n, transpose: true };
  });
}

// Async reads only: on WebGPU, dataSync() goes through a canvas copy that, in headless Chromium on SwiftShader,
// returns zeros and loses the device (measured for issue #4); data() maps the buffer and is exact.
async function readAs(v: tf.Tensor, transpose: boolean): Promise<Float32Array> {
  const t = transpose ? tf.transpose(v) : tf.clone(v);
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}
const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;

/** The goldens' LoRA classifier with its initial values (non-zero lora_B, so the adapters matter). */
function goldenClassifier(model: LoadedModel, g: Golden): { clf: Classifier; names: { name: string; transpose: boolean }[] } {
  const clf = createClassifier(model, { method: 'lora', numLabels: g.num_labels, seed: 0, lora: { r: g.r, alpha: g.alpha, dropout: 0, targetModules: g.targets } });
  const names = goldenNames(clf);
  clf.trainable.forEach((v, i) => {
    const init = g.init[names[i].name];
    if (!init) throw new Error(`golden has no ${names[i].name}`);
    const t = names[i].transpose ? transposed(init) : tf.tensor(init.data, init.shape);
    v.assign(t);
    t.dispose();
  });
  return { clf, names };
}

export async function checkParity(model: LoadedModel, g: Golden): Promise<ParityErrors> {
  const { clf, names } = goldenClassifier(model, g);
  const ids = tf.tensor2d(g.ids, undefined, 'int32');
  const mask = tf.tensor2d(g.mask, undefined, 'int32');
  const labels = tf.tensor1d(g.labels, 'int32');
  const [cls, mean] = tf.tidy(() => {
    const h = encode(clf.encoder, ids, mask);
    return [pool(h, mask, 'cls'), pool(h, mask, 'mean')];
  });
  const embedding = Math.max(maxAbs(await read(cls), g.embedding_cls.flat()), maxAbs(await read(mean), g.embedding_mean.flat()));
  tf.dispose([cls, mean]);
  const [logitsT, lossT] = tf.tidy(() => {
    const l = clf.logits(ids, mask, false);
    return [l, crossEntropy(l, labels, g.num_labels)];
  });
  const logits = maxAbs(await read(logitsT), g.logits.flat());
  const loss = Math.abs((await read(lossT))[0] - g.loss);
  tf.dispose([logitsT, lossT]);

  const { grads } = tf.variableGrads(() => crossEntropy(clf.logits(ids, mask, true), labels, g.num_labels), clf.trainable);
  let gradScore = 0;
  let gradAbs = 0;
  for (const [i, v] of clf.trainable.entries()) {
    const got = await readAs(grads[v.name], names[i].transpose);
    const ref = g.grads[names[i].name];
    gradScore = Math.max(gradScore, score(got, ref));
    gradAbs = Math.max(gradAbs, maxAbs(got, ref));
  }
  tf.dispose(Object.values(grads));

  const opt = new AdamW(clf.trainable, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: g.adamw.weight_decay });
  for (let s = 0; s < 3; s++) {
    tf.tidy(() => {
      const { grads: gs } = tf.variableGrads(() => crossEntropy(clf.logits(ids, mask, true), labels, g.num_labels), clf.trainable);
      opt.step(clf.trainable.map((v) => gs[v.name]), g.adamw.lr);
    });
  }
  let adamScore = 0;
  let adamAbs = 0;
  for (const [i, v] of clf.trainable.entries()) {
    const got = await readAs(v, names[i].transpose);
    const ref = g.adamw.after[names[i].name];
    adamScore = Math.max(adamScore, score(got, ref));
    adamAbs = Math.max(adamAbs, maxAbs(got, ref));
  }
  opt.dispose();
  clf.dispose();
  tf.dispose([ids, mask, labels]);
  return { embedding, logits, loss, gradScore, gradAbs, adamScore, adamAbs };
}

/** Logits, loss and LoRA + head gradients with mean pooling, against the golden's `mean` case. */
export async function checkMeanPoolingParity(model: LoadedModel, g: Golden): Promise<Pick<ParityErrors, 'logits' | 'loss' | 'gradScore' | 'gradAbs'>> {
  if (!g.mean) throw new Error('golden has no mean-pooling case');
  const { clf, names } = goldenClassifier({ ...model, pooling: 'mean' }, g);
  const ids = tf.tensor2d(g.ids, undefined, 'int32');
  const mask = tf.tensor2d(g.mask, undefined, 'int32');
  const labels = tf.tensor1d(g.labels, 'int32');
  const logitsT = tf.tidy(() => clf.logits(ids, mask, false));
  const logits = maxAbs(await read(logitsT), g.mean.logits.flat());
  logitsT.dispose();
  const { value, grads } = tf.variableGrads(() => crossEntropy(clf.logits(ids, mask, true), labels, g.num_labels), clf.trainable);
  const loss = Math.abs((await read(value))[0] - g.mean.loss);
  let gradScore = 0;
  let gradAbs = 0;
  for (const [i, v] of clf.trainable.entries()) {
    const got = await readAs(grads[v.name], names[i].transpose);
    const ref = g.mean.grads[names[i].name];
    gradScore = Math.max(gradScore, score(got, ref));
    gradAbs = Math.max(gradAbs, maxAbs(got, ref));
  }
  tf.dispose([value, ...Object.values(grads), ids, mask, labels]);
  clf.dispose();
  return { logits, loss, gradScore, gradAbs };
}
