// A checkpoint's bytes: trainable weights and AdamW state as safetensors, so a stored run can be resumed, used for
// predictions or exported as a PEFT adapter without this code (the weights keep the classifier's PEFT names).
import * as tf from '@tensorflow/tfjs';
import type { Checkpoint } from '../domain';
import type { TrainConfig } from '../config';
import type { TrainableClassifier } from '../model/types';
import type { LoadedModel } from '../model/load';
import { classifierForRun, type Classifier } from '../model/classifier';
import { readSafetensors, writeSafetensors } from '../model/safetensors';
import type { AdamWState } from './optimizer';
import { tokenIndicesFromMetadata, tokenIndicesMetadata } from '../model/trainable-tokens';

type Position = Pick<Checkpoint, 'step' | 'epoch' | 'batchIndex' | 'valLoss'>;

/** The model's trainable values (in `model.trainable` order) and optimizer state at `at`, as bytes. */
export function encodeCheckpoint(model: TrainableClassifier, at: Position, weights: Float32Array[], optimizer: AdamWState): Checkpoint {
  return { ...at, adapter: toArrayBuffer(encodeWeights(model, weights)), optimizer: toArrayBuffer(encodeOptimizer(optimizer)) };
}

/** A checkpoint's values in `model.trainable` order, for the loop to carry on from. */
export function decodeCheckpoint(model: TrainableClassifier, c: Checkpoint): { weights: Float32Array[]; optimizer: AdamWState } {
  const read = readSafetensors(new Uint8Array(c.adapter), 'checkpoint');
  const weights = read.tensors;
  const stored = tokenIndicesFromMetadata(read.metadata, 'checkpoint');
  if (JSON.stringify(stored ?? []) !== JSON.stringify(model.tokenIndices ?? [])) {
    throw new Error(`The checkpoint trains ${stored?.length ?? 0} token embeddings and this run ${model.tokenIndices?.length ?? 0}${stored?.length && model.tokenIndices?.length ? ', other tokens' : ''}: it was saved for other training data or settings.`);
  }
  const opt = readSafetensors(new Uint8Array(c.optimizer), 'optimizer state');
  const count = model.trainable.length;
  return {
    weights: model.trainableNames().map((n) => {
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

/** Trainable weights as safetensors, under the classifier's own names (PEFT names for LoRA). */
export function encodeWeights(model: TrainableClassifier, values: Float32Array[]): Uint8Array {
  const names = model.trainableNames();
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  model.trainable.forEach((v, i) => (tensors[names[i]] = { shape: v.shape, data: values[i] }));
  return writeSafetensors(tensors, { format: 'tabtune-checkpoint', method: model.method, ...tokenIndicesMetadata(model.tokenIndices) });
}

export function loadWeights(model: TrainableClassifier, bytes: ArrayBuffer): void {
  assignWeights(model, readSafetensors(new Uint8Array(bytes), 'checkpoint').tensors);
}

/** Decoded checkpoint tensors into the model's trainable variables, by name. */
function assignWeights(model: TrainableClassifier, tensors: ReturnType<typeof readSafetensors>['tensors']): void {
  const names = model.trainableNames();
  model.trainable.forEach((v, i) => {
    const t = tensors[names[i]];
    if (!t) throw new Error(`The checkpoint has no tensor "${names[i]}"; it was saved for a different method or model.`);
    const value = tf.tensor(t.data, v.shape, 'float32');
    v.assign(value);
    value.dispose();
  });
}

/** A run's classifier rebuilt from its settings and stored weights (the token ids it trains are in the weights). */
export function classifierFromCheckpoint(base: LoadedModel, labels: string[], cfg: TrainConfig, weights: ArrayBuffer): Classifier {
  // Decoded once: the metadata says which token rows the classifier needs, the tensors fill it.
  const { tensors, metadata } = readSafetensors(new Uint8Array(weights), 'checkpoint');
  const tokenIndices = tokenIndicesFromMetadata(metadata, 'checkpoint');
  const model = classifierForRun(base, labels.length, { ...cfg, trainTokens: cfg.method === 'lora' && !!tokenIndices?.length }, tokenIndices);
  try {
    assignWeights(model, tensors);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

export function encodeOptimizer(s: AdamWState): Uint8Array {
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  s.m.forEach((m, i) => (tensors[`m.${i}`] = { shape: [m.length], data: m }));
  s.v.forEach((v, i) => (tensors[`v.${i}`] = { shape: [v.length], data: v }));
  return writeSafetensors(tensors, { step: String(s.step), count: String(s.m.length) });
}

/** The bytes as a whole ArrayBuffer, which is what can be posted in a transfer list and stored. */
export function toArrayBuffer(u: Uint8Array): ArrayBuffer {
  return u.byteOffset === 0 && u.byteLength === u.buffer.byteLength ? (u.buffer as ArrayBuffer) : (u.slice().buffer as ArrayBuffer);
}
