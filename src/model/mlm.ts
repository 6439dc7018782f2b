// BERT's masked-language-model head on top of the tfjs encoder, for models saved as BertForMaskedLM
// (tabtune-mini): transform (dense → exact GELU → LayerNorm), then a decoder tied to the word embeddings plus
// its own bias. Used to show and test what a pretrained base already knows ("the [MASK] barked" → dog).
import * as tf from '@tensorflow/tfjs';
import { encode, gelu, layerNorm, type EncoderWeights, type Linear, type Norm } from './encoder';
import { ModelFormatError, type LoadedModel } from './load';

export interface MlmHead {
  dense: Linear;
  norm: Norm;
  /** [vocab, hidden]: the word embeddings (tied) unless the file stores its own decoder weight. */
  decoder: tf.Tensor2D;
  bias: tf.Tensor1D;
  /** Tensors this head created (an untied decoder included); the tied word embeddings belong to the encoder. */
  owned: tf.Tensor[];
  layerNormEps: number;
}

export interface MaskPrediction {
  /** Index of the [MASK] token in the encoded ids (0 is [CLS]). */
  position: number;
  top: { id: number; token: string; logit: number; probability: number }[];
}

const PREFIX = 'cls.predictions.';

/** Builds the head from `cls.predictions.*`; throws naming the missing tensor for a model saved without one. */
export function createMlmHead(model: LoadedModel, encoder: EncoderWeights, file = 'model.safetensors'): MlmHead {
  const H = model.config.hiddenSize;
  const V = model.config.vocabSize;
  const owned: tf.Tensor[] = [];
  const get = (name: string, shape: number[], transpose = false) => {
    const t = model.weights[PREFIX + name];
    if (!t) throw new ModelFormatError(`${file}: tensor "${PREFIX}${name}" is missing; ${model.id} has no masked-language-model head (saved as ${String((model.rawConfig.architectures as string[] | undefined)?.[0] ?? 'an encoder only')}).`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFormatError(`${file}: tensor "${PREFIX}${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}].`);
    }
    // Frozen variables, so the encoder's own Linear / Norm helpers apply unchanged.
    const x = tf.tidy(() => {
      const w = tf.tensor(t.data, t.shape, 'float32');
      return tf.variable(transpose ? tf.transpose(w) : w, false);
    });
    owned.push(x);
    return x;
  };
  // PyTorch Linear weights are [out, in]; tfjs kernels [in, out].
  const kernel = get('transform.dense.weight', [H, H], true);
  const dense: Linear = { name: PREFIX + 'transform.dense', kernel, bias: get('transform.dense.bias', [H]) };
  const norm: Norm = { name: PREFIX + 'transform.LayerNorm', gamma: get('transform.LayerNorm.weight', [H]), beta: get('transform.LayerNorm.bias', [H]) };
  // HF files store the tied decoder bias as cls.predictions.bias (older ones also as decoder.bias).
  const bias = (model.weights[PREFIX + 'bias'] ? get('bias', [V]) : get('decoder.bias', [V])) as tf.Tensor1D;
  const decoder = (model.weights[PREFIX + 'decoder.weight'] ? get('decoder.weight', [V, H]) : encoder.word) as tf.Tensor2D;
  return { dense, norm, decoder, bias, owned, layerNormEps: model.config.layerNormEps };
}

/** Vocabulary logits [n, vocab] for hidden states [n, hidden]. */
export function mlmLogits(head: MlmHead, hidden: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const h = gelu(tf.add(tf.matMul(hidden, head.dense.kernel), head.dense.bias) as tf.Tensor2D);
    const t = layerNorm(h, head.norm, head.layerNormEps);
    return tf.add(tf.matMul(t, head.decoder, false, true), head.bias) as tf.Tensor2D;
  });
}

/** The top-k tokens at every [MASK] in `text` (one sequence, no padding). */
export async function fillMask(model: LoadedModel, encoder: EncoderWeights, head: MlmHead, text: string, k = 5): Promise<MaskPrediction[]> {
  const ids = model.tokenizer.encode(text, model.config.maxPositions);
  const positions = ids.flatMap((id, i) => (id === model.tokenizer.maskId ? [i] : []));
  if (positions.length === 0) return [];
  const { values, indices, lse } = tf.tidy(() => {
    const idsT = tf.tensor2d(ids, [1, ids.length], 'int32');
    const hidden = encode(encoder, idsT, tf.onesLike(idsT), undefined);
    const atMasks = tf.gather(tf.reshape(hidden, [ids.length, model.config.hiddenSize]), tf.tensor1d(positions, 'int32'));
    const logits = mlmLogits(head, atMasks as tf.Tensor2D);
    return { ...tf.topk(logits, k), lse: tf.logSumExp(logits, 1) };
  });
  const [v, ix, z] = [(await values.array()) as number[][], (await indices.array()) as number[][], (await lse.array()) as number[]];
  tf.dispose([values, indices, lse]);
  return positions.map((position, p) => ({
    position,
    top: ix[p].map((id, j) => ({ id, token: model.tokenizer.idToToken(id), logit: v[p][j], probability: Math.exp(v[p][j] - z[p]) })),
  }));
}

export function disposeMlmHead(head: MlmHead): void {
  head.owned.forEach((t) => t.dispose());
}
