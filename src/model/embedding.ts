// The word-embedding lookup, shared by the encoder and trainable tokens (trainable-tokens.ts).
import * as tf from '@tensorflow/tfjs';

/**
 * Embedding lookup with its own gradient: tfjs's gather gradient needs UnsortedSegmentSum, which the wasm
 * backend lacks, so full fine-tuning would fail there. scatterND sums repeated indices, which is the gradient.
 */
export function embeddingLookup(table: tf.Tensor2D | tf.Variable, ids: tf.Tensor2D): tf.Tensor3D {
  const [B, L] = ids.shape;
  const [V, H] = table.shape as [number, number];
  const flat = tf.reshape(ids, [B * L]) as tf.Tensor1D;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [t, i, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([i]);
    return {
      value: tf.gather(t, i),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf.scatterND(tf.reshape(saved[0], [B * L, 1]), tf.reshape(dy, [B * L, H]), [V, H]),
        tf.zerosLike(saved[0]),
      ],
    };
  });
  return tf.reshape(f(table as tf.Tensor2D, flat), [B, L, H]) as tf.Tensor3D;
}
