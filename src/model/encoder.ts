// The BERT / DistilBERT encoder in tfjs, readable top to bottom (nanoGPT's model.py is the model for this file):
// embeddings → N post-LN layers (self-attention, then a GELU feed-forward) → pooling.
// Weights stay in PyTorch's names; linear kernels are transposed once at load to tfjs's [in, out].
import * as tf from '@tensorflow/tfjs';
import type { EncoderConfig, Pooling } from './types';
import { layerPrefix, type LoadedModel } from './load';
import { fusedKernels } from '../runtime/fused-switch';
import { FUSED_ATTENTION_MAX_SEQ, fusedAttention } from './fused/attention-webgpu';
import { fusedLayerNorm } from './fused/layer-norm-webgpu';
import { fusedBiasGelu, fusedLinear, fusedLoraLinear } from './fused/linear-webgpu';
import { recomputed, recomputeWanted, type Products, type RecomputeSetting } from './recompute';
import { fusedWasmAvailable, wasmBiasGelu } from './fused/gelu-wasm';
import { wasmLayerNorm } from './fused/layer-norm-wasm';
import { wasmMaskedSoftmax, wasmSoftmaxAvailable } from './fused/softmax-wasm';
import { wasmAttention, wasmAttentionAvailable } from './fused/attention-wasm';
import { embeddingLookup } from './embedding';
import { lookupWithTokens, type TrainableTokens } from './trainable-tokens';

export interface Linear {
  /** Module path as PyTorch names it, e.g. "encoder.layer.0.attention.self.query". */
  name: string;
  kernel: tf.Variable; // [in, out]
  bias: tf.Variable; // [out]
}

export interface Norm {
  name: string;
  gamma: tf.Variable;
  beta: tf.Variable;
}

export interface Layer {
  query: Linear;
  key: Linear;
  value: Linear;
  attnOut: Linear;
  attnNorm: Norm;
  ffnIn: Linear;
  ffnOut: Linear;
  ffnNorm: Norm;
}

export interface EncoderWeights {
  config: EncoderConfig;
  word: tf.Variable;
  position: tf.Variable;
  tokenType: tf.Variable | null;
  embNorm: Norm;
  layers: Layer[];
}

/** A low-rank update to one linear layer's output, y + (input(x)·a)·b·scaling (LoRA; see lora.ts). */
export interface LinearAdapter {
  a: tf.Tensor2D; // [in, r]
  b: tf.Tensor2D; // [r, out]
  scaling: number;
  /** The adapter's input: x itself, or x after the adapter's dropout while training. */
  input(x: tf.Tensor2D): tf.Tensor2D;
}

/** The adapter of a linear layer, or null where it has none. */
export interface LinearHook {
  (lin: Linear): LinearAdapter | null;
  /**
   * The same hook with its random draws (dropout seeds) routed through `seed`, which gets the hook's own draw.
   * A layer run again for its gradient (recompute.ts) must drop exactly what its first run dropped: it logs the
   * first run's seeds through this and hands them back, in order, to the second.
   */
  withSeeds?(seed: (draw: () => number) => number): LinearHook;
}

export interface EncodeOptions {
  /** Layer recompute (src/model/recompute.ts): true, false, or 'auto' (where the wasm heap needs it). */
  recompute?: RecomputeSetting;
  /** Word-embedding rows that train in place of the base rows (trainable-tokens.ts). */
  tokens?: TrainableTokens;
}

/** Uploads the model's weights as variables (frozen unless `trainable`). */
export function createEncoderWeights(model: LoadedModel, trainable: boolean): EncoderWeights {
  const c = model.config;
  const w = model.weights;
  const v = (name: string, transpose = false) => {
    const t = w[name];
    return tf.tidy(() => {
      const x = tf.tensor(t.data, t.shape, 'float32');
      return tf.variable(transpose ? tf.transpose(x) : x, trainable, `${name}${transpose ? '.kernel' : ''}#${uid()}`);
    });
  };
  const linear = (name: string): Linear => ({ name, kernel: v(`${name}.weight`, true), bias: v(`${name}.bias`) });
  const norm = (name: string): Norm => ({ name, gamma: v(`${name}.weight`), beta: v(`${name}.bias`) });
  const names = c.modelType === 'bert'
    ? { q: 'attention.self.query', k: 'attention.self.key', v: 'attention.self.value', o: 'attention.output.dense', n1: 'attention.output.LayerNorm', i: 'intermediate.dense', out: 'output.dense', n2: 'output.LayerNorm' }
    : { q: 'attention.q_lin', k: 'attention.k_lin', v: 'attention.v_lin', o: 'attention.out_lin', n1: 'sa_layer_norm', i: 'ffn.lin1', out: 'ffn.lin2', n2: 'output_layer_norm' };
  const layers: Layer[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    const p = layerPrefix(c, i);
    layers.push({
      query: linear(p + names.q),
      key: linear(p + names.k),
      value: linear(p + names.v),
      attnOut: linear(p + names.o),
      attnNorm: norm(p + names.n1),
      ffnIn: linear(p + names.i),
      ffnOut: linear(p + names.out),
      ffnNorm: norm(p + names.n2),
    });
  }
  return {
    config: c,
    word: v('embeddings.word_embeddings.weight'),
    position: v('embeddings.position_embeddings.weight'),
    tokenType: c.modelType === 'bert' ? v('embeddings.token_type_embeddings.weight') : null,
    embNorm: norm('embeddings.LayerNorm'),
    layers,
  };
}

export function encoderVariables(w: EncoderWeights): tf.Variable[] {
  const out: tf.Variable[] = [w.word, w.position];
  if (w.tokenType) out.push(w.tokenType);
  out.push(w.embNorm.gamma, w.embNorm.beta);
  for (const l of w.layers) {
    for (const lin of [l.query, l.key, l.value, l.attnOut]) out.push(lin.kernel, lin.bias);
    out.push(l.attnNorm.gamma, l.attnNorm.beta);
    for (const lin of [l.ffnIn, l.ffnOut]) out.push(lin.kernel, lin.bias);
    out.push(l.ffnNorm.gamma, l.ffnNorm.beta);
  }
  return out;
}

/** Hidden states [batch, seq, hidden] for token ids and an attention mask (1 = real token, 0 = padding). */
export function encode(w: EncoderWeights, ids: tf.Tensor2D, mask: tf.Tensor2D, hook?: LinearHook, opts: EncodeOptions = {}): tf.Tensor3D {
  const c = w.config;
  const [B, L] = ids.shape;
  const H = c.hiddenSize;
  const nH = c.numHeads;
  const D = H / nH;

  // Embeddings: word + position (+ token type 0 for BERT), then LayerNorm.
  let x = opts.tokens ? lookupWithTokens(w.word as tf.Tensor2D, opts.tokens, ids) : (tf.reshape(embeddingLookup(w.word, ids), [B * L, H]) as tf.Tensor2D);
  const positions = tf.slice(w.position, [0, 0], [L, H]);
  x = tf.reshape(tf.add(tf.reshape(x, [B, L, H]), positions), [B * L, H]);
  if (w.tokenType) x = tf.add(x, tf.slice(w.tokenType, [0, 0], [1, H]));
  x = layerNorm(x, w.embNorm, c.layerNormEps);

  // Padding never receives attention: a large negative bias before the softmax, one per key, [B, L].
  const maskBias = tf.mul(tf.sub(1, tf.cast(mask, 'float32')), -1e9) as tf.Tensor2D;
  const shape = { batch: B, seqLen: L, numHeads: nH };

  // One tidy per layer: without a gradient tape (evaluation, prediction, head-only training) a layer's
  // intermediates are freed before the next layer runs, instead of all layers' piling up until the caller's tidy
  // ends; under a tape, tfjs keeps its own copies of what the backward pass needs, so nothing it needs is lost.
  // Without a tape (evaluation, head-only training inside frozenFeatures) there is nothing to save, so nothing to
  // recompute.
  const recompute = tf.engine().isTapeOn() && recomputeWanted(opts.recompute ?? false, c, B, L);
  // For LoRA (without trainable tokens) and head-only the embeddings are frozen: nothing below layer 0 wants its input's gradient, and
  // computing it anyway would cost a layer's worth of dx products that tfjs's own tape prunes.
  const embeddingsTrain = !!opts.tokens || [w.word, w.position, w.tokenType, w.embNorm.gamma, w.embNorm.beta].some((t) => t && !isFrozen(t));
  w.layers.forEach((layer, i) => {
    const run = (input: tf.Tensor2D, [bias]: tf.Tensor[], h?: LinearHook, products?: Products) => encoderLayer(layer, input, bias as tf.Tensor2D, shape, c.layerNormEps, h, products);
    x = tf.tidy(() => recompute
      ? recomputed(run, x, [maskBias], layerParams(layer, hook), hook, i > 0 || embeddingsTrain)
      : run(x, [maskBias], hook));
  });
  return tf.reshape(x, [B, L, H]) as tf.Tensor3D;
}

/** What a layer's gradient may be asked for besides its input: its weights and its adapters', less frozen variables. */
function layerParams(layer: Layer, hook?: LinearHook): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (const lin of [layer.query, layer.key, layer.value, layer.attnOut, layer.ffnIn, layer.ffnOut]) {
    out.push(lin.kernel, lin.bias);
    const ad = hook?.(lin);
    if (ad) out.push(ad.a, ad.b);
    if (lin === layer.attnOut) out.push(layer.attnNorm.gamma, layer.attnNorm.beta);
  }
  out.push(layer.ffnNorm.gamma, layer.ffnNorm.beta);
  return [...new Set(out.filter((t) => !isFrozen(t)))];
}

interface AttentionShape { batch: number; seqLen: number; numHeads: number }

/** One post-LN BERT layer on [B·L, H] hidden states (the residual is added before each LayerNorm, as in BERT). */
function encoderLayer(layer: Layer, x: tf.Tensor2D, maskBias: tf.Tensor2D, shape: AttentionShape, eps: number, hook?: LinearHook, products?: Products): tf.Tensor2D {
  const q = linear(layer.query, x, hook, products);
  const k = linear(layer.key, x, hook, products);
  const v = linear(layer.value, x, hook, products);
  const merged = attention(q, k, v, maskBias, shape);
  const attended = addLayerNorm(x, linear(layer.attnOut, merged, hook, products), layer.attnNorm, eps);
  const inner = linearGelu(layer.ffnIn, attended, hook, products);
  return addLayerNorm(attended, linear(layer.ffnOut, inner, hook, products), layer.ffnNorm, eps);
}

// The layer's four parts each have two implementations with the same arithmetic: tfjs ops (every backend), and on
// tfjs's WebGPU backend fused kernels of the project's own (src/model/fused/, issue #21), where a step costs what
// its dispatches cost to encode (bench/RESULTS-gpu.md). fusedKernels() says which; src/runtime/fused-switch.ts
// turns them off for side-by-side runs. On tfjs's wasm backend, residual + LayerNorm, bias + GELU and the attention's
// scaled, masked softmax run the project's wasm SIMD kernels (issue #20: gelu-wasm.ts, layer-norm-wasm.ts,
// softmax-wasm.ts) where fusedWasmAvailable() says so;
// setFusedWasmMode('off') (fused/wasm-common.ts) turns them off.

/** softmax(q·kᵀ/√D + maskBias)·v per sequence and head, on and back to [B·L, H] (head h in columns h·D…h·D+D−1). */
function attention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, maskBias: tf.Tensor2D, s: AttentionShape): tf.Tensor2D {
  if (fusedKernels() && s.seqLen <= FUSED_ATTENTION_MAX_SEQ) return fusedAttention(q, k, v, maskBias, s.batch, s.seqLen, s.numHeads);
  if (wasmAttentionAvailable()) return wasmAttention(q, k, v, maskBias, s.batch, s.seqLen, s.numHeads);
  const [rows, H] = q.shape;
  const D = H / s.numHeads;
  const heads = (t: tf.Tensor2D) => tf.transpose(tf.reshape(t, [s.batch, s.seqLen, s.numHeads, D]), [0, 2, 1, 3]) as tf.Tensor4D;
  const raw = tf.matMul(heads(q), heads(k), false, true) as tf.Tensor4D;
  const probs = wasmSoftmaxAvailable() ? wasmMaskedSoftmax(raw, maskBias, Math.sqrt(D))
    : tf.softmax(tf.add(tf.div(raw, Math.sqrt(D)), tf.reshape(maskBias, [s.batch, 1, 1, s.seqLen])));
  const context = tf.matMul(probs, heads(v)); // [B, nH, L, D]
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [rows, H]) as tf.Tensor2D;
}

/** LayerNorm(x + sublayer), BERT's residual connection. */
function addLayerNorm(x: tf.Tensor2D, sublayer: tf.Tensor2D, n: Norm, eps: number): tf.Tensor2D {
  if (fusedKernels()) return fusedLayerNorm(x, sublayer, n.gamma as tf.Tensor1D, n.beta as tf.Tensor1D, eps);
  if (fusedWasmAvailable()) return wasmLayerNorm(x, sublayer, n.gamma as tf.Tensor1D, n.beta as tf.Tensor1D, eps);
  return layerNorm(tf.add(x, sublayer), n, eps);
}

/** The feed-forward's inner layer with the exact (erf) GELU. */
function linearGelu(lin: Linear, x: tf.Tensor2D, hook?: LinearHook, products?: Products): tf.Tensor2D {
  if (!fusedKernels()) {
    if (!fusedWasmAvailable()) return gelu(linear(lin, x, hook, products));
    if (hook?.(lin)) return wasmBiasGelu(linear(lin, x, hook, products), zeroBias(lin.bias.shape[0]));
    return wasmBiasGelu(product(x, lin.kernel as tf.Tensor2D, products), lin.bias as tf.Tensor1D);
  }
  // The bias goes in with the GELU (one kernel) unless an adapter's kernel adds it.
  if (hook?.(lin)) return fusedBiasGelu(linear(lin, x, hook), zeroBias(lin.bias.shape[0]));
  return fusedBiasGelu(tf.matMul(x, lin.kernel) as tf.Tensor2D, lin.bias as tf.Tensor1D);
}

/** One vector per text: the [CLS] position, or the mean over real (unmasked) tokens. */
export function pool(hidden: tf.Tensor3D, mask: tf.Tensor2D, pooling: Pooling): tf.Tensor2D {
  const [B, L, H] = hidden.shape;
  if (pooling === 'cls') return tf.reshape(tf.slice(hidden, [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
  // Σ_t mask·hidden as a batched matMul [B, 1, L] × [B, L, H], and the token count as a sum over the last axis,
  // rather than tf.sum(hidden * mask, 1) / tf.sum(mask, 1): the same sums, but nothing here transposes the mask.
  // Why (issue #4): on tfjs-webgpu a cast int32 → float32 is a view of the int32 buffer, a sum along axis 1
  // transposes first, and tfjs 4.22's TransposeProgram indexes that buffer without converting to f32 — its WGSL
  // no longer compiles on current Chromium (tensorflow/tfjs#8638, fix pending in tensorflow/tfjs#8616). The
  // invalid pipeline makes WebGPU drop the whole batch of commands it was submitted with, so the pooled
  // embedding and its neighbours read back as zeros or stale buffers, with no exception. matMul and
  // last-axis reductions read their inputs through converting getters and are unaffected.
  const m = tf.reshape(tf.cast(mask, 'float32'), [B, 1, L]);
  const summed = tf.reshape(tf.matMul(m, hidden), [B, H]);
  // sentence-transformers clamps the token count at 1e-9 to avoid dividing by zero.
  return tf.div(summed, tf.maximum(tf.sum(m, 2), 1e-9)) as tf.Tensor2D;
}

/** x·W + b, plus the layer's adapter update when it has one. `products` (a recomputed layer's, recompute.ts) makes
 * x·W; the fused WebGPU kernels make it themselves, in both runs of a recomputed layer alike. */
export function linear(lin: Linear, x: tf.Tensor2D, hook?: LinearHook, products?: Products): tf.Tensor2D {
  const ad = hook?.(lin) ?? null;
  const kernel = lin.kernel as tf.Tensor2D;
  const bias = lin.bias as tf.Tensor1D;
  if (fusedKernels()) return ad ? fusedLoraLinear(x, ad.input(x), kernel, bias, ad.a, ad.b, ad.scaling) : fusedLinear(x, kernel, bias);
  const y = tf.add(product(x, kernel, products), bias) as tf.Tensor2D;
  if (!ad) return y;
  // The scaling multiplies B (r × out) rather than the update (rows × out): one small product instead of an
  // activation-sized one, forward and backward, on every adapted layer (PEFT scales the update; the two differ only in
  // rounding, and not at all for the power-of-two alpha / r of the defaults).
  const b = ad.scaling === 1 ? ad.b : tf.mul(ad.b, ad.scaling);
  return tf.add(y, tf.matMul(tf.matMul(ad.input(x), ad.a), b)) as tf.Tensor2D;
}

function product(x: tf.Tensor2D, kernel: tf.Tensor2D, products?: Products): tf.Tensor2D {
  return products ? products(x, kernel) : (tf.matMul(x, kernel) as tf.Tensor2D);
}

/** A zero bias of each width, kept: for the rare adapter on the feed-forward's inner layer, whose kernel adds the
 * real bias before the fused GELU. */
const zeroBiases = new Map<number, tf.Tensor1D>();
let zeroBiasCount = 0;
function zeroBias(width: number): tf.Tensor1D {
  let z = zeroBiases.get(width);
  // A frozen variable, not a constant: a gradient asks nothing of it (gelu-wasm.ts sums no column for it).
  if (!z || z.isDisposed) zeroBiases.set(width, (z = tf.tidy(() => tf.variable(tf.zeros([width]), false, `tabtune.zero-bias.${width}.${zeroBiasCount++}`)) as tf.Tensor1D));
  return z;
}

/**
 * LayerNorm over the last axis (biased variance, eps inside the square root), with its own gradient. Left to
 * autodiff, the tape keeps eight [rows, hidden] intermediates of moments/sub/div/sqrt/mul per LayerNorm until the
 * backward pass (measured on wasm), and tfjs's Mean gradient builds ones(x.shape) on the host, an activation-sized
 * upload per LayerNorm per step. Here x̂ and σ are kept: saving x and the stats instead would keep as many bytes
 * and cost kernels to recompute x̂; recovering x̂ from the output, (y − β)/γ, breaks wherever γ is near zero.
 */
export function layerNorm(x: tf.Tensor2D, n: { gamma: tf.Tensor; beta: tf.Tensor }, eps: number): tf.Tensor2D {
  // customGrad cannot tell which inputs the tape needs, but the caller can: γ and β frozen (LoRA, head-only) need no
  // gradient, and their two column sums over [rows, hidden] cost 1.4 ms each on wasm at [512, 384] (a sum over the
  // first axis transposes first): 33 ms of a 800 ms MiniLM-L6 LoRA step at seq 32, measured in Node.
  const frozen = isFrozen(n.gamma) && isFrozen(n.beta);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, gamma, beta, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const { mean, variance } = tf.moments(input, -1, true);
    const sigma = tf.sqrt(tf.add(variance, eps)); // [rows, 1]
    const xHat = tf.div(tf.sub(input, mean), sigma);
    // γ too: a plain-tensor γ made inside the loss function would be disposed before the backward pass.
    save([xHat, sigma, gamma]);
    return {
      value: tf.add(tf.mul(xHat, gamma), beta),
      // The backward pass runs gradFunc outside any tidy, so without one its temporaries would live until the end
      // of the whole backward pass.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [xh, s, gm] = saved;
        const g = tf.mul(dy, gm);
        // dx = (g − mean(g) − x̂·mean(g·x̂)) / σ, means over the hidden axis, g = dy·γ.
        const centred = tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true)));
        const dx = tf.div(centred, s);
        if (frozen) return [dx, tf.zerosLike(gm), tf.zerosLike(gm)]; // discarded by the tape
        return [dx, tf.sum(tf.mul(dy, xh), 0), tf.sum(dy, 0)];
      }),
    };
  });
  return f(x, n.gamma, n.beta) as tf.Tensor2D;
}

/** A variable the optimizer never updates (tfjs's tape asks for no gradient of it). */
function isFrozen(t: tf.Tensor): boolean {
  return t instanceof tf.Variable && !t.trainable;
}

/**
 * The exact GELU, x·Φ(x), with its own gradient Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π). Autodiff keeps six
 * [rows, ffn] tensors per GELU for the backward pass (measured on wasm); this keeps x and 1 + erf(x/√2).
 * Recomputing erf in the backward pass would keep one tensor, not two, but erf is the dearest elementwise kernel
 * on wasm (measured in Node: 14 ms for [512, 1536], 25× a multiply): a MiniLM-L6 step would pay 6 × 14 ms more.
 */
export function gelu(x: tf.Tensor2D): tf.Tensor2D {
  return geluWithGrad(x) as tf.Tensor2D;
}

const geluWithGrad = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
  const onePlusErf = tf.add(1, tf.erf(tf.div(x, Math.SQRT2)));
  save([x, onePlusErf]);
  return {
    value: tf.mul(tf.mul(x, 0.5), onePlusErf),
    gradFunc: (dy: tf.Tensor, [xs, ope]: tf.Tensor[]) => tf.tidy(() => {
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(xs), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return tf.mul(dy, tf.add(tf.mul(ope, 0.5), tf.mul(xs, pdf)));
    }),
  };
});

let counter = 0;
function uid(): number {
  return ++counter;
}

export function disposeEncoder(w: EncoderWeights): void {
  encoderVariables(w).forEach((v) => v.dispose());
}
