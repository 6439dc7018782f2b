import { describe, expect, it } from 'vitest';
import { cosine, forgettingReport, ranks, spearman } from '../../src/guards/forgetting';
import { overfitRisk, overfitSignal } from '../../src/guards/overfit';
import { promotionGate } from '../../src/guards/promotion';
import { PROBE_PAIRS, PROBE_TEXTS } from '../../src/guards/probe-set';

describe('forgetting metrics', () => {
  it('ranks ties as scipy does and computes Spearman by hand', () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
    // x ranks [1,2,3,4,5], y ranks [2,1,4,3,5]: d^2 = 1+1+1+1+0 = 4, rho = 1 - 6*4/(5*24) = 0.8
    expect(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.8, 12);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it('reports zero drift and zero delta when the tuned embeddings equal the base ones', () => {
    const pairs: [number[], number[]][] = [[[1, 0], [1, 0.1]], [[0, 1], [1, 0]], [[1, 1], [1, 0.5]]];
    const texts = [[1, 2], [3, -1]];
    const r = forgettingReport([5, 0, 3], pairs, pairs, texts, texts);
    expect(r.meanDrift).toBeCloseTo(0, 12);
    expect(r.spearmanDelta).toBe(0);
    expect(r.spearmanBase).toBeCloseTo(1, 12);
  });

  it('measures drift as 1 - cos', () => {
    expect(cosine([1, 0], [0, 1])).toBe(0);
    const r = forgettingReport([1, 2], [[[1, 0], [1, 0]], [[1, 0], [0, 1]]], [[[1, 0], [1, 0]], [[1, 0], [0, 1]]], [[1, 0]], [[0, 1]]);
    expect(r.meanDrift).toBeCloseTo(1, 12);
  });

  it('ships a probe set of judged pairs and general texts', () => {
    expect(PROBE_PAIRS.length).toBeGreaterThanOrEqual(40);
    expect(PROBE_TEXTS.length).toBeGreaterThanOrEqual(30);
    expect(PROBE_PAIRS.every((p) => p.score >= 0 && p.score <= 5)).toBe(true);
  });
});

describe('overfitting guards', () => {
  it('warns before training on fewer than 500 examples and suggests the generator', () => {
    const w = overfitRisk(120, 10_000, 3, 'lora');
    expect(w?.level).toBe('warning');
    expect(w?.message).toMatch(/Only 120 training examples/);
    expect(w?.suggestions.join(' ')).toMatch(/generator/);
    expect(overfitRisk(4000, 10_000, 3, 'lora')).toBeNull();
  });

  it('names the word-embedding rows, not the LoRA rank, when they are most of what a LoRA run trains', () => {
    const rows = overfitRisk(320, 800_516, 2, 'lora', 766_720);
    expect(rows?.suggestions).toContain("train the word embeddings of fewer tokens, or none: 766,720 of the 800,516 trainable parameters are embedding rows of your data's tokens");
    expect(rows?.suggestions.join(' ')).not.toMatch(/LoRA rank/);
    const rank = overfitRisk(320, 100_000, 2, 'lora', 0);
    expect(rank?.suggestions).toContain('lower the LoRA rank, or train the head only');
    expect(overfitRisk(320, 100_000, 2, 'lora', 10_000)?.suggestions).toContain('lower the LoRA rank, or train the head only');
  });

  it('flags a rising validation loss after `patience` evaluations and names the best epoch', () => {
    expect(overfitSignal([1.0, 0.8, 0.7], [1.1, 0.7, 0.5], 2).overfitting).toBe(false);
    const s = overfitSignal([1.0, 0.6, 0.7, 0.9], [1.0, 0.5, 0.3, 0.1], 2);
    expect(s).toMatchObject({ bestEpoch: 1, risingFor: 2, overfitting: true });
    expect(s.message).toMatch(/since epoch 2/);
  });
});

describe('promotion gate', () => {
  const promoted = [{ suite: 'test', accuracy: 0.9, macroF1: 0.88, correct: [true, true, false, true] }];
  it('accepts a run within tolerance and refuses one that regresses, naming suite and broken examples', () => {
    expect(promotionGate([{ suite: 'test', accuracy: 0.895, macroF1: 0.88, correct: [true, true, true, false] }], promoted, 0.01).ok).toBe(true);
    const d = promotionGate([{ suite: 'test', accuracy: 0.8, macroF1: 0.88, correct: [false, true, true, true] }], promoted, 0.01);
    expect(d.ok).toBe(false);
    expect(d.regressions).toEqual([{ suite: 'test', metric: 'accuracy', promoted: 0.9, candidate: 0.8, broken: [0] }]);
  });
  it('refuses a run that was not evaluated on every suite of the promoted one', () => {
    expect(promotionGate([], promoted, 0.01)).toEqual({ ok: false, regressions: [], missing: ['test'] });
    expect(promotionGate([], null, 0.01).ok).toBe(true);
  });
});
