// The training loop, readable top to bottom (minGPT/nanoGPT style). It knows nothing of the DOM, the worker or
// IndexedDB: progress, evaluations and checkpoints leave through callbacks, so the same loop runs in the worker,
// in Node tests and in the CLI.
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config';
import type { Checkpoint, StepInfo } from '../domain';
import type { EncodedExample, HostBatch, TrainableClassifier } from '../model/types';
import { AdamW, clipCoefficient } from './optimizer';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import { now } from '../util/clock';
import { linearWarmupDecay, warmupStepsFromRatio } from './schedule';
import { epochBatches, evalBatches } from './batching';
import { fusedKernels } from '../runtime/fused-switch';
import { fusedCrossEntropy } from '../model/fused/cross-entropy-webgpu';

export interface LoopData {
  train: EncodedExample[];
  validation: EncodedExample[];
  padId: number;
  /** Rehearsal: sentences whose embeddings training should keep where the base model put them. */
  rehearsal?: RehearsalData;
}

/** Rehearsal sentences, padded to one length, with the base model's unit-length embeddings of them. */
export interface RehearsalData {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  count: number;
  seqLen: number;
  /** [count, hidden], each row L2-normalised. */
  targets: Float32Array;
  hidden: number;
  /** Weight of the rehearsal term in the loss. */
  weight: number;
  /** Sentences rehearsed per step, taken in turn. */
  perStep: number;
}

/** Device copies of the rehearsal data, uploaded once per run (never per step). */
export interface RehearsalTensors {
  ids: tf.Tensor2D;
  mask: tf.Tensor2D;
  targets: tf.Tensor2D;
  weight: number;
  perStep: number;
}

export interface EvalInfo {
  epoch: number;
  step: number;
  trainLoss: number;
  valLoss: number;
  valAccuracy: number;
  improved: boolean;
}

export interface LoopCallbacks {
  onStep?(s: StepInfo): void;
  onEval?(e: EvalInfo): void;
  onCheckpoint?(c: Checkpoint): void | Promise<void>;
}

/** Pause and cancel arrive from outside (the worker's message handler) and are honoured between steps. */
export interface LoopControl {
  isCancelled(): boolean;
  /** Resolves when not paused; the loop awaits it before every step. */
  whilePaused(): Promise<void>;
  /** Why the device's results can no longer be trusted (a lost GPU, a shader that failed), or null. Asked at
   * every loss readback and before every checkpoint, so no checkpoint holds weights computed after a failure. */
  deviceProblem?(): string | null;
}


export type StopReason = 'finished' | 'early-stopped' | 'cancelled' | 'diverged' | 'device-lost';

export interface LoopResult {
  stop: StopReason;
  steps: number;
  /** Mean training loss per completed epoch, and validation loss per evaluation. */
  trainLoss: number[];
  valLoss: number[];
  valAccuracy: number[];
  bestEpoch: number;
  /** Set when stop === 'diverged': what happened, in words. */
  message?: string;
}

export class TrainingDiverged extends Error {}
class DeviceFailed extends Error {}

export function totalStepsFor(trainCount: number, cfg: Pick<TrainConfig, 'batchSize' | 'epochs'>): number {
  return Math.ceil(trainCount / cfg.batchSize) * cfg.epochs;
}

export async function trainLoop(
  model: TrainableClassifier,
  data: LoopData,
  cfg: TrainConfig,
  callbacks: LoopCallbacks = {},
  control: LoopControl = { isCancelled: () => false, whilePaused: async () => {} },
  resume?: Checkpoint,
): Promise<LoopResult> {
  // Decoded before anything is allocated: a checkpoint of another model fails here without leaking tensors.
  const restored = resume ? decodeCheckpoint(model, resume) : undefined;
  const vars = model.trainable;
  const batchOpts = { batchSize: cfg.batchSize, maxLen: cfg.maxLen, padId: data.padId, seed: cfg.seed };
  const stepsPerEpoch = Math.ceil(data.train.length / cfg.batchSize);
  const totalSteps = stepsPerEpoch * cfg.epochs;
  // Rounded up, as transformers does, so a run exported for a bigger machine warms up for as many steps.
  const warmupSteps = warmupStepsFromRatio(totalSteps, cfg.warmupRatio);
  // Weight decay skips LayerNorm weights and biases, as Hugging Face's Trainer does.
  const decay = vars.map((v) => v.shape.length > 1);
  const optimizer = new AdamW(vars, { beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps, weightDecay: cfg.weightDecay }, decay);

  const rehearsal = data.rehearsal && data.rehearsal.weight > 0 ? uploadRehearsal(data.rehearsal) : null;
  let step = 0;
  let startEpoch = 0;
  let skipBatches = 0;
  const trainLoss: number[] = [];
  const valLoss: number[] = [];
  const valAccuracy: number[] = [];
  if (resume && restored) {
    restoreWeights(vars, restored.weights);
    optimizer.importState(restored.optimizer);
    step = resume.step;
    startEpoch = resume.epoch;
    skipBatches = resume.batchIndex;
  }

  let best = { valLoss: Infinity, epoch: -1 };
  // Allocated once up front, so keeping the best epoch's weights never changes the tensor count mid-run.
  const bestWeights: tf.Variable[] | null = cfg.earlyStopping ? vars.map((v) => tf.variable(v, false)) : null;
  let haveBest = false;
  let evalsWithoutImprovement = 0;
  let stop: StopReason = 'finished';
  let message: string | undefined;

  // The loss stays on the device and is summed there; it is read back once every `lossReadEvery` steps.
  let lossSum: tf.Scalar = tf.scalar(0);
  let stepsInSum = 0;
  let epochLossTotal = 0;
  let epochLossSteps = 0;
  const t0 = now();
  let windowStart = t0;
  let windowExamples = 0;
  let windowTokens = 0;

  const checkDevice = () => {
    const problem = control.deviceProblem?.();
    if (problem) throw new DeviceFailed(problem);
  };
  // Checked before the weights are read and again after: a read from a failed device is not a checkpoint.
  const checkpoint = async (make: () => Promise<Checkpoint>) => {
    checkDevice();
    const c = await make();
    checkDevice();
    await callbacks.onCheckpoint?.(c);
  };

  const readLoss = async (): Promise<number> => {
    const total = (await lossSum.data())[0];
    checkDevice();
    const mean = total / stepsInSum;
    lossSum.dispose();
    lossSum = tf.scalar(0);
    // A NaN check inside a shader can be optimised away, so the check happens here, on the CPU.
    if (!Number.isFinite(mean)) throw new TrainingDiverged(`The training loss became ${mean} at step ${step}. Lower the learning rate; the last good checkpoint is kept.`);
    epochLossTotal += total;
    epochLossSteps += stepsInSum;
    stepsInSum = 0;
    return mean;
  };

  try {
    outer: for (let epoch = startEpoch; epoch < cfg.epochs; epoch++) {
      const batches = epochBatches(data.train, batchOpts, epoch);
      for (let b = epoch === startEpoch ? skipBatches : 0; b < batches.length; b++) {
        await control.whilePaused();
        if (control.isCancelled()) {
          stop = 'cancelled';
          break outer;
        }
        const batch = batches[b];
        const lr = linearWarmupDecay(step, totalSteps, warmupSteps, cfg.lr);
        model.startStep?.(step);
        const stepLoss = trainStep(model, optimizer, batch, lr, cfg.maxGradNorm, rehearsal ? { ...rehearsal, offset: step * rehearsal.perStep } : undefined);
        const summed = tf.add(lossSum, stepLoss);
        lossSum.dispose();
        stepLoss.dispose();
        lossSum = summed as tf.Scalar;
        stepsInSum += 1;
        step += 1;
        windowExamples += batch.batchSize;
        windowTokens += realTokens(batch);

        const lastOfEpoch = b === batches.length - 1;
        let loss: number | undefined;
        if (step % cfg.lossReadEvery === 0 || lastOfEpoch) loss = await readLoss();
        const t = now();
        const secs = Math.max(1e-9, (t - windowStart) / 1000);
        callbacks.onStep?.({
          step,
          totalSteps,
          epoch,
          lr,
          loss,
          elapsedMs: t - t0,
          examplesPerSec: windowExamples / secs,
          tokensPerSec: windowTokens / secs,
        });
        if (loss !== undefined) {
          windowStart = t;
          windowExamples = 0;
          windowTokens = 0;
        }
        if (cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0 && !lastOfEpoch) {
          await checkpoint(async () => encodeCheckpoint(model, { step, epoch, batchIndex: b + 1 }, await readWeights(vars), await optimizer.exportState()));
        }
        // Give the worker's message queue a turn so pause/cancel are seen promptly.
        await yieldToEventLoop();
      }

      trainLoss.push(epochLossSteps ? epochLossTotal / epochLossSteps : NaN);
      epochLossTotal = 0;
      epochLossSteps = 0;
      const val = await evaluateLoss(model, data.validation, batchOpts);
      valLoss.push(val.loss);
      valAccuracy.push(val.accuracy);
      const improved = val.loss < best.valLoss;
      if (improved) {
        best = { valLoss: val.loss, epoch };
        evalsWithoutImprovement = 0;
        if (bestWeights) {
          bestWeights.forEach((b, i) => b.assign(vars[i]));
          haveBest = true;
        }
      } else {
        evalsWithoutImprovement += 1;
      }
      callbacks.onEval?.({ epoch, step, trainLoss: trainLoss[trainLoss.length - 1], valLoss: val.loss, valAccuracy: val.accuracy, improved });
      await checkpoint(async () =>
        encodeCheckpoint(model, { step, epoch: epoch + 1, batchIndex: 0, valLoss: val.loss }, await readWeights(vars), await optimizer.exportState()),
      );
      if (cfg.earlyStopping && evalsWithoutImprovement >= cfg.patience && epoch < cfg.epochs - 1) {
        stop = 'early-stopped';
        break;
      }
    }
    if (stop === 'cancelled') {
      // A cancelled run keeps what it learned so far: the caller decides whether to store it.
      if (stepsInSum > 0) await readLoss();
      await checkpoint(async () =>
        encodeCheckpoint(model, { step, epoch: currentEpoch(step, stepsPerEpoch), batchIndex: step % stepsPerEpoch }, await readWeights(vars), await optimizer.exportState()),
      );
    }
    if (bestWeights && haveBest) restoreWeights(vars, bestWeights);
  } catch (e) {
    // A lost device may also surface as a failed read (mapAsync rejects) before its event is asked about.
    const problem = e instanceof DeviceFailed ? e.message : control.deviceProblem?.();
    if (problem) {
      stop = 'device-lost';
      message = `The GPU stopped giving trustworthy results at step ${step} (${problem}). The run is kept up to its last checkpoint.`;
    } else if (e instanceof TrainingDiverged) {
      stop = 'diverged';
      message = e.message;
    } else throw e;
  } finally {
    lossSum.dispose();
    bestWeights?.forEach((t) => t.dispose());
    optimizer.dispose();
    if (rehearsal) tf.dispose([rehearsal.ids, rehearsal.mask, rehearsal.targets]);
  }
  return { stop, steps: step, trainLoss, valLoss, valAccuracy, bestEpoch: best.epoch, message };
}

export function uploadRehearsal(r: RehearsalData): RehearsalTensors {
  return {
    ids: tf.tensor2d(r.inputIds, [r.count, r.seqLen], 'int32'),
    mask: tf.tensor2d(r.attentionMask, [r.count, r.seqLen], 'int32'),
    targets: tf.tensor2d(r.targets, [r.count, r.hidden]),
    weight: r.weight,
    perStep: Math.max(1, Math.min(r.perStep, r.count)),
  };
}

/** Mean 1 − cos(embedding, base embedding) over the rehearsal rows starting at `offset` (wrapping around). */
export function rehearsalLoss(model: TrainableClassifier, r: RehearsalTensors, offset: number): tf.Scalar {
  if (!model.embed) throw new Error('This classifier cannot embed texts, so it cannot rehearse.');
  return tf.tidy(() => {
    const n = r.ids.shape[0];
    const rows = Array.from({ length: r.perStep }, (_, i) => (offset + i) % n);
    const idx = tf.tensor1d(rows, 'int32');
    const e = model.embed!(tf.gather(r.ids, idx), tf.gather(r.mask, idx));
    const unit = tf.div(e, tf.sqrt(tf.add(tf.sum(tf.square(e), 1, true), 1e-12)));
    const cos = tf.sum(tf.mul(unit, tf.gather(r.targets, idx)), 1);
    return tf.mean(tf.sub(1, cos)) as tf.Scalar;
  });
}

/**
 * One optimizer step; returns the batch's mean classification loss as a device scalar (no readback). With
 * rehearsal, the gradient also pulls the rehearsed sentences' embeddings back towards the base model's; the
 * returned loss stays the classification loss, comparable with the validation loss.
 */
export function trainStep(
  model: TrainableClassifier,
  optimizer: AdamW,
  batch: HostBatch,
  lr: number,
  maxGradNorm: number,
  rehearsal?: RehearsalTensors & { offset: number },
): tf.Scalar {
  return tf.tidy(() => {
    const { ids, mask, labels } = uploadBatch(batch);
    let ce: tf.Scalar | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const loss = crossEntropy(model.logits(ids, mask, true), labels, model.numLabels);
      if (!rehearsal) return loss;
      ce = tf.keep(loss);
      return tf.add(loss, tf.mul(rehearsal.weight, rehearsalLoss(model, rehearsal, rehearsal.offset))) as tf.Scalar;
    }, model.trainable);
    const ordered = model.trainable.map((v) => grads[v.name] ?? tf.zerosLike(v));
    optimizer.step(ordered, lr, maxGradNorm > 0 ? clipCoefficient(ordered, maxGradNorm, { fused: optimizer.fused }).coef : undefined);
    if (ce) {
      value.dispose();
      return ce;
    }
    return value;
  });
}

/** Mean softmax cross-entropy over the batch, as torch.nn.functional.cross_entropy computes it. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, numLabels: number): tf.Scalar {
  if (fusedKernels() && labels.dtype === 'int32') return fusedCrossEntropy(logits, labels);
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(labels, numLabels)), 1);
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

export function uploadBatch(batch: HostBatch): { ids: tf.Tensor2D; mask: tf.Tensor2D; labels: tf.Tensor1D } {
  return {
    ids: tf.tensor2d(batch.inputIds, [batch.batchSize, batch.seqLen], 'int32'),
    mask: tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.seqLen], 'int32'),
    labels: tf.tensor1d(batch.labels, 'int32'),
  };
}

/** Validation loss and accuracy with dropout off; one readback per batch is fine here (once an epoch). */
export async function evaluateLoss(
  model: TrainableClassifier,
  examples: EncodedExample[],
  opts: { batchSize: number; maxLen: number; padId: number },
): Promise<{ loss: number; accuracy: number }> {
  if (examples.length === 0) return { loss: NaN, accuracy: NaN };
  let lossTotal = 0;
  let correct = 0;
  for (const { batch } of evalBatches(examples, opts)) {
    const [lossT, predT] = tf.tidy(() => {
      const { ids, mask, labels } = uploadBatch(batch);
      const logits = model.logits(ids, mask, false);
      return [tf.mul(crossEntropy(logits, labels, model.numLabels), batch.batchSize), tf.argMax(logits, 1)];
    });
    const [l, p] = await Promise.all([lossT.data(), predT.data()]);
    lossT.dispose();
    predT.dispose();
    lossTotal += l[0];
    for (let i = 0; i < batch.batchSize; i++) if (p[i] === batch.labels[i]) correct += 1;
  }
  return { loss: lossTotal / examples.length, accuracy: correct / examples.length };
}

async function readWeights(vars: tf.Variable[]): Promise<Float32Array[]> {
  return Promise.all(vars.map(async (v) => new Float32Array(await v.data())));
}

function restoreWeights(vars: tf.Variable[], values: (Float32Array | tf.Tensor)[]): void {
  if (values.length !== vars.length) throw new Error(`Checkpoint has ${values.length} tensors, the model trains ${vars.length}.`);
  vars.forEach((v, i) => {
    const src = values[i];
    const t = src instanceof Float32Array ? tf.tensor(src, v.shape, 'float32') : src;
    if (t.size !== v.size) throw new Error(`Checkpoint tensor ${i} has ${t.size} values, ${v.name} needs ${v.size}.`);
    v.assign(t);
    if (src instanceof Float32Array) t.dispose();
  });
}

function realTokens(batch: HostBatch): number {
  let n = 0;
  for (let i = 0; i < batch.attentionMask.length; i++) n += batch.attentionMask[i];
  return n;
}

function currentEpoch(step: number, stepsPerEpoch: number): number {
  return Math.floor(step / stepsPerEpoch);
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
