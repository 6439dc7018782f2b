// Batches padded to a few bucket lengths, so the GPU sees few distinct shapes (each new shape compiles shaders
// and grows WebGPU's buffer pool). Shuffling is seeded per epoch, so resuming mid-epoch replays the same order.
import type { EncodedExample, HostBatch } from '../model/types';
import { createRng, mixSeed } from './rng';

export const BUCKETS = [16, 32, 64, 128, 256, 512];

export interface BatchOptions {
  batchSize: number;
  maxLen: number;
  padId: number;
  seed?: number;
}

/** The smallest bucket that holds `longest` tokens, capped at maxLen. */
export function bucketLength(longest: number, maxLen: number): number {
  const b = BUCKETS.find((x) => x >= longest) ?? BUCKETS[BUCKETS.length - 1];
  return Math.min(b, maxLen);
}

export function padBatch(rows: EncodedExample[], maxLen: number, padId: number): HostBatch {
  const longest = Math.max(1, ...rows.map((r) => r.ids.length));
  const seqLen = bucketLength(Math.min(longest, maxLen), maxLen);
  const inputIds = new Int32Array(rows.length * seqLen).fill(padId);
  const attentionMask = new Int32Array(rows.length * seqLen);
  const labels = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    // Defensive clamp: the tokenizer truncates already, keeping the final [SEP].
    const ids = r.ids.length > seqLen ? [...r.ids.slice(0, seqLen - 1), r.ids[r.ids.length - 1]] : r.ids;
    inputIds.set(ids, i * seqLen);
    attentionMask.fill(1, i * seqLen, i * seqLen + ids.length);
    labels[i] = r.label;
  });
  return { batchSize: rows.length, seqLen, inputIds, attentionMask, labels };
}

/**
 * One epoch's batches: shuffled by (seed, epoch), then, within windows of 50 batches, grouped by length so
 * padding stays small, and the batch order shuffled again so lengths do not drift through the epoch.
 */
export function epochBatches(examples: EncodedExample[], opts: BatchOptions, epoch: number): HostBatch[] {
  const rng = createRng(mixSeed(opts.seed ?? 0, epoch));
  const order = rng.shuffle(examples.map((_, i) => i));
  const window = opts.batchSize * 50;
  const groups: number[][] = [];
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).sort((a, b) => examples[a].ids.length - examples[b].ids.length || a - b);
    for (let i = 0; i < chunk.length; i += opts.batchSize) groups.push(chunk.slice(i, i + opts.batchSize));
  }
  rng.shuffle(groups);
  return groups.map((g) => padBatch(g.map((i) => examples[i]), opts.maxLen, opts.padId));
}

/** Evaluation batches, grouped by length for speed; `indices` maps each row back to its example. */
export function evalBatches(examples: EncodedExample[], opts: BatchOptions): { batch: HostBatch; indices: number[] }[] {
  const order = examples.map((_, i) => i).sort((a, b) => examples[a].ids.length - examples[b].ids.length || a - b);
  const out: { batch: HostBatch; indices: number[] }[] = [];
  for (let i = 0; i < order.length; i += opts.batchSize) {
    const indices = order.slice(i, i + opts.batchSize);
    out.push({ batch: padBatch(indices.map((j) => examples[j]), opts.maxLen, opts.padId), indices });
  }
  return out;
}
