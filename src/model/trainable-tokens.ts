// Trainable tokens as PEFT does them (tuners/trainable_tokens, `LoraConfig(trainable_token_indices=…)`): the
// embedding rows of chosen token ids train, the rest of the word-embedding matrix stays frozen. The trainable rows
// are a [n, hidden] variable that starts as a copy of the base rows, so at step 0 the model is the base model, and
// it is what PEFT stores as `trainable_tokens_delta` (despite the name, the rows' values, not a difference).
//
// Why it exists: on the hand-written emails the word embeddings are what LoRA on the attention cannot move
// (scripts/pretrain/trials/2026-11-27-trainable-embeddings.md: +12-14 points on tabtune-mini).
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup } from './embedding';

export interface TrainableTokens {
  /** Vocabulary ids whose rows train, ascending and distinct. */
  readonly indices: readonly number[];
  /** The rows' values, [indices.length, hidden]. */
  readonly values: tf.Variable;
  /** For each vocabulary id its row in `values`, or `indices.length` for an id that does not train; int32 [vocab]. */
  readonly slots: tf.Tensor1D;
}

/** The tensor name of the trainable rows in checkpoints, as tabtune names it. */
export const TOKENS_NAME = 'embeddings.word_embeddings.trainable_tokens_delta';

/**
 * The token ids a dataset uses, ascending: every id in the encoded examples (special tokens included: [CLS] and
 * [SEP] are in every text). Padding never reaches the classifier's output, so its row would never move.
 */
export function tokensUsed(examples: { ids: number[] }[], padId: number): number[] {
  const seen = new Set<number>();
  for (const e of examples) for (const id of e.ids) if (id !== padId) seen.add(id);
  return [...seen].sort((a, b) => a - b);
}

/** Checks indices against a vocabulary, naming the first bad one. */
export function checkTokenIndices(indices: readonly number[], vocabSize: number, where: string): void {
  if (!indices.length) throw new Error(`${where}: no trainable token indices.`);
  for (let i = 0; i < indices.length; i++) {
    const id = indices[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new Error(`${where}: token index ${JSON.stringify(id)} is outside the vocabulary (0…${vocabSize - 1}).`);
    if (i > 0 && id <= indices[i - 1]) throw new Error(`${where}: token indices must be ascending and distinct (${indices[i - 1]} then ${id}).`);
  }
}

/** Trainable rows for `indices`, each starting as the base matrix's row. */
export function createTrainableTokens(word: tf.Tensor2D, indices: readonly number[], name: string): TrainableTokens {
  const [vocab] = word.shape;
  checkTokenIndices(indices, vocab, 'trainable tokens');
  const slotOf = new Int32Array(vocab).fill(indices.length);
  indices.forEach((id, i) => (slotOf[id] = i));
  return {
    indices: [...indices],
    values: tf.tidy(() => tf.variable(tf.gather(word, tf.tensor1d(Int32Array.from(indices), 'int32')), true, name)),
    slots: tf.tensor1d(slotOf, 'int32'),
  };
}

/**
 * Word embeddings [B·L, H] with the trainable rows in place of the base rows. Both lookups run for every position
 * and a 0/1 mask picks one, so the gradient reaches `values` only from positions whose id trains (the clamped
 * lookup of a frozen id is multiplied by 0), and the frozen matrix gets none.
 */
export function lookupWithTokens(word: tf.Tensor2D, tokens: TrainableTokens, ids: tf.Tensor2D): tf.Tensor2D {
  const [B, L] = ids.shape;
  const H = word.shape[1];
  const n = tokens.indices.length;
  const slot = tf.reshape(tf.gather(tokens.slots, tf.reshape(ids, [B * L])), [B, L]) as tf.Tensor2D;
  const trains = tf.reshape(tf.cast(tf.less(slot, tf.scalar(n, 'int32')), 'float32'), [B * L, 1]);
  const base = tf.reshape(embeddingLookup(word, ids), [B * L, H]);
  const own = tf.reshape(embeddingLookup(tokens.values as tf.Tensor2D, tf.minimum(slot, tf.scalar(n - 1, 'int32')) as tf.Tensor2D), [B * L, H]);
  return tf.add(tf.mul(base, tf.sub(1, trains)), tf.mul(own, trains)) as tf.Tensor2D;
}

export function disposeTrainableTokens(t: TrainableTokens): void {
  t.values.dispose();
  t.slots.dispose();
}

/** Checkpoint metadata: the indices travel beside the rows, as PEFT keeps them in adapter_config.json. */
export function tokenIndicesMetadata(indices: readonly number[] | undefined): Record<string, string> {
  return indices?.length ? { trainable_token_indices: JSON.stringify(indices) } : {};
}

/** The indices a checkpoint's metadata names, or undefined when it trains no tokens. */
export function tokenIndicesFromMetadata(metadata: Record<string, string>, where: string): number[] | undefined {
  const raw = metadata.trainable_token_indices;
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${where}: trainable_token_indices is not JSON.`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${where}: trainable_token_indices must be a list of token ids.`);
  return parsed as number[];
}
