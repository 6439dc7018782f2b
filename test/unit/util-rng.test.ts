import { describe, expect, it } from 'vitest';
import { createRng, mixSeed } from '../../src/util/rng';

// mulberry32's first outputs as 32-bit integers, from an independent Python implementation (integers masked to
// 32 bits, no JS involved):  a += 0x6D2B79F5; t = imul(a ^ a>>15, a|1); t ^= t + imul(t ^ t>>7, t|61); t ^ t>>14
const REFERENCE: Record<number, number[]> = {
  0: [1144304738, 1416247, 958946056, 627933444, 2007157716],
  42: [2581720956, 1925393290, 3661312704, 2876485805, 750819978],
  4294967295: [3850105811, 813802916, 3073704848, 4054706436, 3630262831],
};

describe('createRng (mulberry32)', () => {
  it('produces the reference sequence for fixed seeds, so every platform sees the same numbers', () => {
    for (const [seed, want] of Object.entries(REFERENCE)) {
      const rng = createRng(Number(seed));
      expect(want.map(() => rng.next() * 2 ** 32)).toEqual(want);
    }
    // Seeds are taken modulo 2^32: -1 is 4294967295.
    const r = createRng(-1);
    expect(r.next() * 2 ** 32).toBe(REFERENCE[4294967295][0]);
  });

  it('same seed, same sequence; different seed, different sequence; state() resumes mid-sequence', () => {
    const a = createRng(7);
    const b = createRng(7);
    const seqA = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(seqA);
    const c = createRng(8);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);

    const d = createRng(7);
    for (let i = 0; i < 40; i++) d.next();
    const e = createRng(d.state());
    expect(Array.from({ length: 60 }, () => e.next())).toEqual(seqA.slice(40));
  });

  it('int(n) is floor(next() * n), covers 0..n-1 and refuses a bad n', () => {
    const ref = createRng(3);
    const r = createRng(3);
    const ints = Array.from({ length: 2000 }, () => r.int(6));
    expect(ints).toEqual(Array.from({ length: 2000 }, () => Math.floor(ref.next() * 6)));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    // Roughly uniform: each face 2000/6 = 333 times; a fair die lands within ±80 with overwhelming probability.
    for (let k = 0; k < 6; k++) expect(Math.abs(ints.filter((x) => x === k).length - 2000 / 6)).toBeLessThan(80);
    expect(() => r.int(0)).toThrow('rng.int(n): n must be an integer in 1..2^32, got 0.');
    expect(() => r.int(2.5)).toThrow(/got 2.5/);
  });

  it('shuffle is an in-place Fisher–Yates permutation, reproducible from the seed', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const s1 = createRng(11).shuffle([...items]);
    expect([...s1].sort((x, y) => x - y)).toEqual(items); // a permutation: every element exactly once
    expect(s1).not.toEqual(items);
    expect(createRng(11).shuffle([...items])).toEqual(s1);
    expect(createRng(12).shuffle([...items])).not.toEqual(s1);
    const arr = [1, 2, 3];
    expect(createRng(0).shuffle(arr)).toBe(arr);
    expect(createRng(0).shuffle([])).toEqual([]);
    // Fisher–Yates by hand, seed 0, [a, b, c]: i = 2: j = floor(u1 * 3); i = 1: j = floor(u2 * 2), where
    // u1 = 1144304738 / 2^32 = 0.2664 -> j = 0 (swap c, a: [c, b, a]); u2 = 1416247 / 2^32 = 0.00033 -> j = 0
    // (swap b, c: [b, c, a]).
    expect(createRng(0).shuffle(['a', 'b', 'c'])).toEqual(['b', 'c', 'a']);
  });

  it('every permutation of 3 items is about equally likely (no Fisher–Yates off-by-one bias)', () => {
    const counts = new Map<string, number>();
    const r = createRng(5);
    for (let i = 0; i < 6000; i++) {
      const k = r.shuffle([0, 1, 2]).join('');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });
});

describe('mixSeed', () => {
  it('is deterministic, differs per salt, and yields unsigned 32-bit seeds', () => {
    expect(mixSeed(3, 0)).toBe(mixSeed(3, 0));
    const seeds = Array.from({ length: 100 }, (_, e) => mixSeed(3, e));
    expect(new Set(seeds).size).toBe(100);
    expect(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32)).toBe(true);
    expect(mixSeed(4, 0)).not.toBe(mixSeed(3, 0));
  });
});
