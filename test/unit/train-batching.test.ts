import { describe, expect, it } from 'vitest';
import type { EncodedExample, HostBatch } from '../../src/model/types';
import { BUCKETS, bucketLength, epochBatches, evalBatches, padBatch, stepsPerEpoch } from '../../src/train/batching';
import { createRng } from '../../src/util/rng';

const CLS = 101;
const SEP = 102;
const PAD = 0;

/** n examples [CLS, 1000 + i, filler..., SEP] of pseudo-random lengths 3..maxTokens; token 1000 + i names example i. */
function dataset(n: number, maxTokens: number, seed = 9): EncodedExample[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const len = 3 + rng.int(maxTokens - 2);
    return { ids: [CLS, 1000 + i, ...Array.from({ length: len - 3 }, (_, j) => 200 + j), SEP], label: i % 4 };
  });
}

/** Each row's real tokens (mask 1) and label; also checks the mask is a prefix of ones and padding is PAD. */
function rowsOf(b: HostBatch): { ids: number[]; label: number }[] {
  expect(b.inputIds.length).toBe(b.batchSize * b.seqLen);
  expect(b.attentionMask.length).toBe(b.batchSize * b.seqLen);
  return Array.from({ length: b.batchSize }, (_, r) => {
    const ids = Array.from(b.inputIds.subarray(r * b.seqLen, (r + 1) * b.seqLen));
    const mask = Array.from(b.attentionMask.subarray(r * b.seqLen, (r + 1) * b.seqLen));
    const real = mask.reduce((s, x) => s + x, 0);
    expect(mask).toEqual([...Array(real).fill(1), ...Array(b.seqLen - real).fill(0)]);
    expect(ids.slice(real).every((x) => x === PAD)).toBe(true);
    return { ids: ids.slice(0, real), label: b.labels[r] };
  });
}

describe('bucketLength', () => {
  it('is the smallest bucket holding the longest row, capped at maxLen', () => {
    expect(BUCKETS).toEqual([16, 32, 64, 128, 256, 512]);
    expect([1, 16, 17, 32, 33, 40, 64, 65, 100, 128, 500].map((n) => bucketLength(n, 128))).toEqual([16, 16, 32, 32, 64, 64, 64, 128, 128, 128, 128]);
    // maxLen 100 is not a bucket: it becomes the last one.
    expect([64, 65, 90, 100].map((n) => bucketLength(n, 100))).toEqual([64, 100, 100, 100]);
    // maxLen below the first bucket, and beyond the last bucket.
    expect(bucketLength(3, 8)).toBe(8);
    expect([512, 513, 900].map((n) => bucketLength(n, 1024))).toEqual([512, 1024, 1024]);
  });
});

describe('padBatch', () => {
  it('pads ids with padId and masks padding: a hand case', () => {
    const b = padBatch(
      [
        { ids: [CLS, 7, 8, SEP], label: 2 },
        { ids: [CLS, 9, SEP], label: 0 },
      ],
      128,
      PAD,
    );
    // longest row 4 tokens -> bucket 16
    expect(b.batchSize).toBe(2);
    expect(b.seqLen).toBe(16);
    const z = (n: number) => Array(n).fill(0);
    expect(Array.from(b.inputIds)).toEqual([CLS, 7, 8, SEP, ...z(12), CLS, 9, SEP, ...z(13)]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 1, ...z(12), 1, 1, 1, ...z(13)]);
    expect(Array.from(b.labels)).toEqual([2, 0]);
    // a pad id other than 0 fills the padding, the mask stays 0 there
    const c = padBatch([{ ids: [CLS, SEP], label: 1 }], 16, 3);
    expect(Array.from(c.inputIds)).toEqual([CLS, SEP, ...Array(14).fill(3)]);
    expect(Array.from(c.attentionMask)).toEqual([1, 1, ...z(14)]);
  });

  it('clamps rows longer than maxLen defensively, keeping the final [SEP]', () => {
    const long = { ids: [CLS, ...Array.from({ length: 38 }, (_, i) => 300 + i), SEP], label: 1 }; // 40 tokens
    const b = padBatch([long, { ids: [CLS, SEP], label: 0 }], 32, PAD);
    expect(b.seqLen).toBe(32);
    const [r0, r1] = rowsOf(b);
    expect(r0.ids).toEqual([CLS, ...long.ids.slice(1, 31), SEP]); // first 31 tokens, then the last one
    expect(r1.ids).toEqual([CLS, SEP]);
  });
});

describe('epochBatches', () => {
  const data = dataset(203, 70);
  const opts = { batchSize: 8, maxLen: 64, padId: PAD, seed: 3 };

  it('gives every example exactly once per epoch, in ceil(n / batchSize) batches, the last one smaller', () => {
    const batches = epochBatches(data, opts, 0);
    expect(batches.length).toBe(stepsPerEpoch(203, 8));
    expect(batches.length).toBe(26);
    expect(batches.filter((b) => b.batchSize !== 8).map((b) => b.batchSize)).toEqual([3]); // 203 = 25 * 8 + 3
    const seen = batches.flatMap(rowsOf);
    const index = seen.map((r) => r.ids[1] - 1000);
    expect([...index].sort((a, b) => a - b)).toEqual(data.map((_, i) => i));
    seen.forEach((r, k) => {
      const ex = data[index[k]];
      expect(r.label).toBe(ex.label);
      // Rows are the examples themselves, or (longer than maxLen 64) their first 63 tokens plus [SEP].
      expect(r.ids).toEqual(ex.ids.length <= 64 ? ex.ids : [...ex.ids.slice(0, 63), SEP]);
    });
  });

  it('pads each batch to the smallest bucket holding its longest row, so only bucket lengths appear', () => {
    const batches = [0, 1, 2].flatMap((e) => epochBatches(data, opts, e));
    for (const b of batches) {
      const longest = Math.max(...rowsOf(b).map((r) => r.ids.length));
      expect(b.seqLen).toBe(BUCKETS.find((x) => x >= longest));
    }
    expect(new Set(batches.map((b) => b.seqLen))).toEqual(new Set([16, 32, 64]));
    // maxLen 100 (not a bucket) caps the longest batches at 100.
    const capped = epochBatches(dataset(203, 150), { ...opts, maxLen: 100 }, 0);
    expect(new Set(capped.map((b) => b.seqLen))).toEqual(new Set([16, 32, 64, 100]));
  });

  it('groups similar lengths: far less padding than batching in the original order', () => {
    const padded = (bs: HostBatch[]) => bs.reduce((s, b) => s + b.batchSize * b.seqLen, 0);
    const grouped = padded(epochBatches(data, opts, 0));
    const ungrouped = padded(evalBatches(data, { ...opts, order: 'original' }).map((x) => x.batch));
    const sorted = padded(evalBatches(data, { ...opts, order: 'length' }).map((x) => x.batch));
    const real = data.reduce((s, e) => s + Math.min(e.ids.length, 64), 0);
    console.log(`padded tokens per epoch: grouped ${grouped}, fully sorted ${sorted}, original order ${ungrouped}, real ${real}`);
    // Within one batch of the fully length-sorted layout (203 examples fit in one 50-batch window).
    expect(grouped).toBeLessThanOrEqual(sorted + opts.batchSize * opts.maxLen);
    expect(grouped).toBeLessThan(0.8 * ungrouped);
  });

  it('is a pure function of (examples, seed, epoch): rebuilt batches are identical, other epochs and seeds differ', () => {
    const order = (bs: HostBatch[]) => bs.flatMap(rowsOf).map((r) => r.ids[1]);
    const e0 = epochBatches(data, opts, 0);
    // A resumed run rebuilds the epoch and skips the batches already done: it must get the very same batches.
    expect(epochBatches(data, opts, 0)).toEqual(e0);
    expect(order(epochBatches(data, opts, 1))).not.toEqual(order(e0));
    expect(order(epochBatches(data, { ...opts, seed: 4 }, 0))).not.toEqual(order(e0));
    // The input is not reordered or modified.
    expect(data.map((e) => e.ids[1])).toEqual(data.map((_, i) => 1000 + i));
  });

  it('handles no examples and names bad input', () => {
    expect(epochBatches([], opts, 0)).toEqual([]);
    expect(() => epochBatches(data, { ...opts, batchSize: 0 }, 0)).toThrow('epochBatches: batchSize must be an integer >= 1, got 0.');
    expect(() => epochBatches(data, { ...opts, maxLen: 12.5 }, 0)).toThrow('epochBatches: maxLen must be an integer >= 1, got 12.5.');
    expect(() => epochBatches(data, opts, -1)).toThrow('epochBatches: epoch must be an integer >= 0, got -1.');
    const bad = (e: EncodedExample) => [...data.slice(0, 5), e];
    expect(() => epochBatches(bad({ ids: [], label: 0 }), opts, 0)).toThrow('epochBatches: example 5 has no token ids.');
    expect(() => epochBatches(bad({ ids: [1, 2], label: -1 }), opts, 0)).toThrow('epochBatches: example 5 has label -1, not an integer >= 0.');
    expect(() => epochBatches(bad({ ids: [1, 2.5], label: 0 }), opts, 0)).toThrow('epochBatches: example 5 has token id 2.5 at position 1, not an integer >= 0.');
  });
});

describe('evalBatches', () => {
  const data = dataset(45, 60, 4);
  const opts = { batchSize: 16, maxLen: 64, padId: PAD };

  it('without shuffling: each row is examples[indices[row]], every example once, deterministic', () => {
    for (const order of ['length', 'original'] as const) {
      const out = evalBatches(data, { ...opts, order });
      expect(out.map((x) => x.batch.batchSize)).toEqual([16, 16, 13]);
      out.forEach(({ batch, indices }) => {
        expect(indices.length).toBe(batch.batchSize);
        rowsOf(batch).forEach((r, k) => expect(r).toEqual({ ids: data[indices[k]].ids, label: data[indices[k]].label }));
      });
      expect(out.flatMap((x) => x.indices).sort((a, b) => a - b)).toEqual(data.map((_, i) => i));
      expect(evalBatches(data, { ...opts, order })).toEqual(out);
    }
  });

  it("'original' keeps the examples' order; the default 'length' sorts by length (ties by index)", () => {
    expect(evalBatches(data, { ...opts, order: 'original' }).flatMap((x) => x.indices)).toEqual(data.map((_, i) => i));
    const byLength = evalBatches(data, opts).flatMap((x) => x.indices);
    const want = data.map((_, i) => i).sort((a, b) => data[a].ids.length - data[b].ids.length || a - b);
    expect(byLength).toEqual(want);
  });
});
