import { describe, expect, it } from 'vitest';
import { evaluate, fixedAndBroken } from '../../src/train/metrics';
import { bucketLength, epochBatches, evalBatches, padBatch } from '../../src/train/batching';
import { createRng } from '../../src/train/rng';

describe('evaluate', () => {
  it('matches a hand-computed case', () => {
    // true: a a a b b c ; pred: a a b b c c
    // confusion rows=true: a:[2,1,0] b:[0,1,1] c:[0,0,1]
    // a: P=2/2 R=2/3 F1=0.8 ; b: P=1/2 R=1/2 F1=0.5 ; c: P=1/2 R=1/1 F1=2/3 ; macro = (0.8+0.5+0.6667)/3
    const e = evaluate([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], ['a', 'b', 'c']);
    expect(e.accuracy).toBeCloseTo(4 / 6, 12);
    expect(e.confusion).toEqual([[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
    expect(e.perClass[0]).toMatchObject({ label: 'a', precision: 1, support: 3 });
    expect(e.perClass[0].recall).toBeCloseTo(2 / 3, 12);
    expect(e.perClass[0].f1).toBeCloseTo(0.8, 12);
    expect(e.perClass[2].f1).toBeCloseTo(2 / 3, 12);
    expect(e.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
  });

  it('counts a never-predicted class and an absent class as 0, like sklearn zero_division=0', () => {
    // c never predicted; d absent from truth and never predicted.
    const e = evaluate([0, 1, 2], [0, 1, 0], ['a', 'b', 'c', 'd']);
    expect(e.perClass[2]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(e.perClass[3]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0 });
    // a: P=1/2 R=1 F1=2/3 ; b: 1 ; macro over 4 labels = (2/3 + 1 + 0 + 0) / 4
    expect(e.macroF1).toBeCloseTo((2 / 3 + 1) / 4, 12);
  });

  it('lists fixed and broken examples', () => {
    expect(fixedAndBroken([0, 1, 2, 0], [1, 1, 2, 2], [0, 0, 2, 0])).toEqual({ fixed: [0, 3], broken: [1] });
  });
});

describe('batching', () => {
  const ex = (n: number, label = 0) => ({ ids: Array.from({ length: n }, (_, i) => i + 5), label });

  it('pads to bucket lengths with masks, and clamps keeping the last token', () => {
    expect([1, 16, 17, 40, 100, 500].map((n) => bucketLength(n, 128))).toEqual([16, 16, 32, 64, 128, 128]);
    const b = padBatch([ex(3, 1), ex(18, 2)], 128, 0);
    expect(b.seqLen).toBe(32);
    expect(Array.from(b.inputIds.slice(0, 5))).toEqual([5, 6, 7, 0, 0]);
    expect(Array.from(b.attentionMask.slice(0, 5))).toEqual([1, 1, 1, 0, 0]);
    expect(b.attentionMask.slice(32).reduce((s, x) => s + x, 0)).toBe(18);
    expect(Array.from(b.labels)).toEqual([1, 2]);
    const c = padBatch([ex(40)], 32, 0);
    expect(c.seqLen).toBe(32);
    expect(c.inputIds[31]).toBe(44); // the original last token survives truncation
  });

  it('gives every example exactly once per epoch, reproducibly, differently per epoch', () => {
    const data = Array.from({ length: 103 }, (_, i) => ({ ids: [1, ...Array(1 + (i % 37)).fill(i + 10), 2], label: i % 4 }));
    const opts = { batchSize: 8, maxLen: 64, padId: 0, seed: 3 };
    const firstTokens = (bs: ReturnType<typeof epochBatches>) => bs.flatMap((b) => Array.from({ length: b.batchSize }, (_, r) => b.inputIds[r * b.seqLen + 1]));
    const e0 = epochBatches(data, opts, 0);
    expect(firstTokens(e0).sort((a, b) => a - b)).toEqual(data.map((_, i) => i + 10));
    expect(firstTokens(epochBatches(data, opts, 0))).toEqual(firstTokens(e0));
    expect(firstTokens(epochBatches(data, opts, 1))).not.toEqual(firstTokens(e0));
    expect(new Set(e0.map((b) => b.seqLen))).toEqual(new Set([16, 32, 64]));
    const ev = evalBatches(data, opts);
    expect(ev.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual(data.map((_, i) => i));
  });

  it('seeds a reproducible RNG whose shuffle is a permutation', () => {
    const a = createRng(42);
    const b = createRng(42);
    expect([a.next(), a.next(), a.int(10)]).toEqual([b.next(), b.next(), b.int(10)]);
    expect(createRng(7).shuffle([1, 2, 3, 4, 5, 6]).sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
