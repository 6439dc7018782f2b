// A host batch with padding in some rows, for the WebGPU step tests (fused kernels, the tiled matmul).
import type { HostBatch } from '../../src/model/types';

/** Rows 1, 3, … have their last 1, 3, … tokens masked; ids are spread over the vocabulary, labels alternate. */
export function paddedBatch(batchSize: number, seqLen: number, vocab: number): HostBatch {
  const n = batchSize * seqLen;
  const mask = new Int32Array(n).fill(1);
  for (let b = 1; b < batchSize; b += 2) for (let t = seqLen - 1 - b; t < seqLen; t++) mask[b * seqLen + t] = 0;
  return {
    batchSize,
    seqLen,
    inputIds: Int32Array.from({ length: n }, (_, i) => (mask[i] ? 5 + ((i * 7919) % (vocab - 5)) : 0)),
    attentionMask: mask,
    labels: Int32Array.from({ length: batchSize }, (_, i) => i % 2),
  };
}
