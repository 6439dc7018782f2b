// A text classifier on a loaded encoder: pooled embedding → Linear head. Three methods:
// `head` (only the head trains), `lora` (adapters + head), `full` (everything). The frozen base weights are
// uploaded once per loaded model and shared by every classifier on it (adapters swap, the base stays).
import * as tf from '@tensorflow/tfjs';
import type { LoraSettings, Method, TrainableClassifier } from './types';
import type { LoadedModel } from './load';
import type { TrainConfig } from '../config';
import { createEncoderWeights, disposeEncoder, encode, encoderVariables, pool, type EncoderWeights } from './encoder';
import { injectLora, loraHook, type LoraAdapter } from './lora';
import { createTrainableTokens, disposeTrainableTokens, TOKENS_NAME, type TrainableTokens } from './trainable-tokens';
import type { RecomputeSetting } from './recompute';
import { fusedKernels } from '../runtime/fused-switch';
import { fusedLinear } from './fused/linear-webgpu';

export interface ClassifierOptions {
  method: Method;
  numLabels: number;
  seed: number;
  lora: LoraSettings;
  /** Layer recompute (src/model/recompute.ts): trades about one more forward pass per step for the activations
   * of all but one layer. 'auto' (the default) turns it on where the wasm heap would otherwise overflow. */
  recompute?: RecomputeSetting;
  /** `lora` only: the vocabulary ids whose word-embedding rows train too (PEFT's trainable_token_indices). */
  tokenIndices?: readonly number[];
}

export interface Classifier extends TrainableClassifier {
  readonly adapters: LoraAdapter[];
  /** The trainable word-embedding rows, when the run trains tokens. */
  readonly tokens?: TrainableTokens;
  readonly head: { kernel: tf.Variable; bias: tf.Variable };
  readonly encoder: EncoderWeights;
  /** Pooled embeddings with the adapters applied (no dropout). */
  embed(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D;
  /** Skips the adapters and trainable tokens: the base model's embedding, to show that detaching LoRA restores it exactly. */
  embedBase(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D;
}

/** The frozen device copy of a model's weights, created on first use and kept with the loaded model. */
export function baseEncoder(model: LoadedModel): EncoderWeights {
  if (!model.device) model.device = createEncoderWeights(model, false);
  return model.device as EncoderWeights;
}

export function countParams(vars: tf.Variable[]): number {
  return vars.reduce((s, v) => s + v.size, 0);
}

/**
 * The classifier a run's settings describe, freshly initialised from its seed. `tokenIndices`: the ids whose
 * embedding rows train, for a LoRA run with `trainTokens` (the training split's, tokensUsed in trainable-tokens.ts,
 * or a checkpoint's); ignored otherwise.
 */
export function classifierForRun(base: LoadedModel, numLabels: number, cfg: Pick<TrainConfig, 'method' | 'seed' | 'loraR' | 'loraAlpha' | 'loraDropout' | 'loraTargets' | 'trainTokens'>, tokenIndices?: readonly number[]): Classifier {
  const tokens = cfg.method === 'lora' && cfg.trainTokens;
  if (tokens && !tokenIndices?.length) throw new Error('This run trains token embeddings but no token ids were given for it.');
  return createClassifier(base, {
    method: cfg.method,
    numLabels,
    seed: cfg.seed,
    lora: { r: cfg.loraR, alpha: cfg.loraAlpha, dropout: cfg.loraDropout, targetModules: cfg.loraTargets },
    tokenIndices: tokens ? tokenIndices : undefined,
  });
}

export function createClassifier(model: LoadedModel, opts: ClassifierOptions): Classifier {
  const { method, numLabels, seed } = opts;
  // Full fine-tuning changes the base weights, so it gets its own trainable copy; the others share the frozen one.
  const encoder = method === 'full' ? createEncoderWeights(model, true) : baseEncoder(model);
  const adapters = method === 'lora' ? injectLora(encoder, opts.lora, seed) : [];
  if (opts.tokenIndices?.length && method !== 'lora') throw new Error(`Trainable tokens go with LoRA; the ${method} method ${method === 'full' ? 'trains every embedding row already' : 'trains nothing below the head'}.`);
  const tokens = opts.tokenIndices?.length ? createTrainableTokens(encoder.word as tf.Tensor2D, opts.tokenIndices, `${TOKENS_NAME}#${seed}-${Math.random()}`) : undefined;
  const H = model.config.hiddenSize;
  // Head initialised like Hugging Face's classifiers: normal(0, 0.02), zero bias. (tidy frees the initial values.)
  const head = {
    kernel: tf.tidy(() => tf.variable(tf.randomNormal([H, numLabels], 0, 0.02, 'float32', seed + 1), true, `classifier.kernel#${seed}-${Math.random()}`)),
    bias: tf.tidy(() => tf.variable(tf.zeros([numLabels]), true, `classifier.bias#${seed}-${Math.random()}`)),
  };
  const baseVars = encoderVariables(encoder);
  const trainable: tf.Variable[] = [
    ...(method === 'full' ? baseVars : []),
    ...adapters.flatMap((a) => [a.a, a.b]),
    ...(tokens ? [tokens.values] : []),
    head.kernel,
    head.bias,
  ];
  const names: string[] = [
    ...(method === 'full' ? baseVars.map((v) => v.name.split('#')[0]) : []),
    ...adapters.flatMap((a) => [`${a.module}.lora_A`, `${a.module}.lora_B`]),
    ...(tokens ? [TOKENS_NAME] : []),
    'classifier.kernel',
    'classifier.bias',
  ];
  const totalBase = countParams(baseVars);
  // Each dropout mask's seed is a function of (run seed, step, call within the step), never of how many masks
  // this object drew before: a counter would restart at 0 in a resumed run and draw other masks.
  let step = 0;
  let dropoutCalls = 0;
  const hook = (training: boolean) =>
    adapters.length ? loraHook(adapters, opts.lora.dropout, training, () => seed * 100_003 + step * 1_009 + ++dropoutCalls) : undefined;
  const pooledThrough = (ids: tf.Tensor2D, mask: tf.Tensor2D, training: boolean, withAdapters = true) =>
    pool(encode(encoder, ids, mask, withAdapters ? hook(training) : undefined, { recompute: opts.recompute ?? 'auto', tokens: withAdapters ? tokens : undefined }), mask, model.pooling);
  const pooled = method === 'head' ? frozenFeatures((ids, mask) => pooledThrough(ids, mask, false)) : pooledThrough;

  return {
    method,
    numLabels,
    adapters,
    tokens,
    tokenIndices: tokens?.indices,
    head,
    encoder,
    trainable,
    trainableNames: () => names,
    startStep(s) {
      step = s;
      dropoutCalls = 0;
    },
    logits: (ids, mask, training) => {
      const p = pooled(ids, mask, training);
      if (fusedKernels()) return fusedLinear(p, head.kernel as tf.Tensor2D, head.bias as tf.Tensor1D);
      return tf.add(tf.matMul(p, head.kernel), head.bias) as tf.Tensor2D;
    },
    embed: (ids, mask) => pooled(ids, mask, false),
    embedBase: (ids, mask) => pooled(ids, mask, false, false),
    trainableParamCount: () => countParams(trainable),
    // The trainable rows replace base rows, so they add nothing to the model's size.
    totalParamCount: () => totalBase + countParams(adapters.flatMap((a) => [a.a, a.b])) + head.kernel.size + head.bias.size,
    dispose() {
      adapters.forEach((a) => [a.a, a.b].forEach((v) => v.dispose()));
      if (tokens) disposeTrainableTokens(tokens);
      head.kernel.dispose();
      head.bias.dispose();
      if (method === 'full') disposeEncoder(encoder);
    },
  };
}

/**
 * `head` trains nothing below the pooled embedding, yet tfjs's gradient tape keeps every tensor a recorded kernel
 * saves for its backward pass until the step ends: all of the encoder's activations, for a backward pass that
 * never reaches them (DistilBERT at seq 32: 1.6 GB at the step's peak, and out of wasm memory at seq 64).
 * Inside a customGrad the encoder runs as one tape node that saves nothing, its intermediates freed as it goes.
 */
function frozenFeatures(f: (ids: tf.Tensor2D, mask: tf.Tensor2D) => tf.Tensor2D) {
  const node = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [ids, mask] = args as [tf.Tensor2D, tf.Tensor2D];
    return { value: f(ids, mask), gradFunc: () => [tf.zeros(ids.shape), tf.zeros(mask.shape)] };
  });
  return (ids: tf.Tensor2D, mask: tf.Tensor2D, _training?: boolean, _withAdapters?: boolean) => node(ids, mask) as tf.Tensor2D;
}
