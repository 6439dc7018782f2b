// Batches padded to a few bucket lengths, so the GPU sees few distinct shapes (each new shape compiles shaders
// and grows WebGPU's buffer pool). Shuffling is seeded per epoch, so a run resumed mid-epoch rebuilds the same
// batches and skips the ones already done.
import type { EncodedExample, HostBatch } from '../model/types';
import { createRng, mixSeed } from '../util/rng';

/** Padded sequence lengths; a batch gets the smallest one that holds its longest example (capped at maxLen). */
export const BUCKETS: readonly number[] = [16, 32, 64, 128, 256, 512];

/** Examples per length-sorted window, in batches: as transformers' LengthGroupedSampler (megabatch_mult = 50). */
const WINDOW_BATCHES = 50;

export interface BatchOptions {
  batchSize: number;
  /** Longest padded length; also the cap on bucket lengths (a maxLen of 100 makes the buckets 16, 32, 64, 100). */
  maxLen: number;
  padId: number;
  /** Run seed; the epoch index is mixed into it. */
  seed?: number;
}

export interface EvalBatchOptions {
  batchSize: number;
  maxLen: number;
  padId: number;
  /**
   * 'length' (default) sorts by length first, so batches pad less (faster evaluation; `indices` map rows back);
   * 'original' keeps the examples' order.
   */
  order?: 'length' | 'original';
}

/** Batches per epoch: the last batch may be smaller, never dropped (as a DataLoader with drop_last=False). */
export function stepsPerEpoch(numExamples: number, batchSize: number): number {
  return Math.ceil(numExamples / batchSize);
}

/** The smallest bucket that holds `longest` tokens, capped at maxLen (maxLen itself beyond the last bucket). */
export function bucketLength(longest: number, maxLen: number): number {
  const b = BUCKETS.find((x) => x >= longest) ?? maxLen;
  return Math.min(b, maxLen);
}

/**
 * One padded batch: ids padded with padId, attention mask 1 on real tokens and 0 on padding. Rows longer than
 * maxLen are cut defensively, keeping their final token ([SEP]); the tokenizer normally truncates already.
 */
export function padBatch(rows: EncodedExample[], maxLen: number, padId: number): HostBatch {
  const longest = Math.max(1, ...rows.map((r) => r.ids.length));
  const seqLen = bucketLength(Math.min(longest, maxLen), maxLen);
  const inputIds = new Int32Array(rows.length * seqLen).fill(padId);
  const attentionMask = new Int32Array(rows.length * seqLen);
  const labels = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    const ids = r.ids.length > seqLen ? [...r.ids.slice(0, seqLen - 1), r.ids[r.ids.length - 1]] : r.ids;
    inputIds.set(ids, i * seqLen);
    attentionMask.fill(1, i * seqLen, i * seqLen + ids.length);
    labels[i] = r.label;
  });
  return { batchSize: rows.length, seqLen, inputIds, attentionMask, labels };
}

/**
 * All of one epoch's batches, a pure function of (examples, opts, epoch): shuffled by mixSeed(seed, epoch),
 * then sorted by length within windows of 50 batches so each batch pads little, then the batch order shuffled
 * again so lengths do not drift through the epoch. ceil(n / batchSize) batches, every example exactly once.
 */
export function epochBatches(examples: EncodedExample[], opts: BatchOptions, epoch: number): HostBatch[] {
  checkOptions('epochBatches', opts);
  if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`epochBatches: epoch must be an integer >= 0, got ${epoch}.`);
  checkExamples('epochBatches', examples);
  const rng = createRng(mixSeed(opts.seed ?? 0, epoch));
  const order = rng.shuffle(examples.map((_, i) => i));
  const window = opts.batchSize * WINDOW_BATCHES;
  const groups: number[][] = [];
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).sort((a, b) => examples[a].ids.length - examples[b].ids.length || a - b);
    for (let i = 0; i < chunk.length; i += opts.batchSize) groups.push(chunk.slice(i, i + opts.batchSize));
  }
  rng.shuffle(groups);
  return groups.map((g) => padBatch(g.map((i) => examples[i]), opts.maxLen, opts.padId));
}

/** Evaluation batches, no shuffling; `indices[r]` is the example behind row r of `batch`. */
export function evalBatches(examples: EncodedExample[], opts: EvalBatchOptions): { batch: HostBatch; indices: number[] }[] {
  checkOptions('evalBatches', opts);
  checkExamples('evalBatches', examples);
  const order = examples.map((_, i) => i);
  if ((opts.order ?? 'length') === 'length') order.sort((a, b) => examples[a].ids.length - examples[b].ids.length || a - b);
  const out: { batch: HostBatch; indices: number[] }[] = [];
  for (let i = 0; i < order.length; i += opts.batchSize) {
    const indices = order.slice(i, i + opts.batchSize);
    out.push({ batch: padBatch(indices.map((j) => examples[j]), opts.maxLen, opts.padId), indices });
  }
  return out;
}

function checkOptions(where: string, o: { batchSize: number; maxLen: number; padId: number }): void {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`${where}: batchSize must be an integer >= 1, got ${o.batchSize}.`);
  if (!Number.isInteger(o.maxLen) || o.maxLen < 1) throw new Error(`${where}: maxLen must be an integer >= 1, got ${o.maxLen}.`);
  if (!Number.isInteger(o.padId) || o.padId < 0) throw new Error(`${where}: padId must be an integer >= 0, got ${o.padId}.`);
}

// An empty row would have an all-zero mask (mean pooling divides by zero), and a non-integer id would be
// silently truncated by the Int32Array: both are refused with the example's index.
function checkExamples(where: string, examples: EncodedExample[]): void {
  examples.forEach((e, i) => {
    if (!Array.isArray(e.ids) || e.ids.length === 0) throw new Error(`${where}: example ${i} has no token ids.`);
    if (!Number.isInteger(e.label) || e.label < 0) throw new Error(`${where}: example ${i} has label ${e.label}, not an integer >= 0.`);
    const bad = e.ids.findIndex((id) => !Number.isInteger(id) || id < 0);
    if (bad >= 0) throw new Error(`${where}: example ${i} has token id ${e.ids[bad]} at position ${bad}, not an integer >= 0.`);
  });
}
