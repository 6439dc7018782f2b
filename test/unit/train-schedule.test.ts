import { describe, expect, it } from 'vitest';
import { linearWarmupDecay, linearWarmupDecaySeries, warmupStepsFromRatio } from '../../src/train/schedule';

// Reference: transformers' get_linear_schedule_with_warmup, a LambdaLR with
//   factor(s) = s / max(1, W)                          if s < W
//             = max(0, (T - s) / max(1, T - W))       otherwise
// and lr(s) = peak * factor(s), for optimizer step s = 0, 1, ... (the first update uses s = 0).
describe('linearWarmupDecay (as get_linear_schedule_with_warmup)', () => {
  it('ramps up over the warm-up and decays linearly to zero: T = 10, W = 2, peak 1', () => {
    // warm-up: 0/2, 1/2; then (10 - s) / 8 for s = 2..9: 8/8, 7/8, ..., 1/8
    expect(linearWarmupDecaySeries(10, 2, 1)).toEqual([0, 0.5, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125]);
    expect(linearWarmupDecay(10, 10, 2, 1)).toBe(0); // (10 - 10) / 8
    expect(linearWarmupDecay(12, 10, 2, 1)).toBe(0); // max(0, -2 / 8): never negative past the end
  });

  it('computes peak * factor in float64 exactly as Python does: T = 25, W = 3, peak 5e-4', () => {
    expect(linearWarmupDecay(0, 25, 3, 5e-4)).toBe(0);
    expect(linearWarmupDecay(1, 25, 3, 5e-4)).toBe(5e-4 * (1 / 3)); // 1/3 of the peak
    expect(linearWarmupDecay(2, 25, 3, 5e-4)).toBe(5e-4 * (2 / 3));
    expect(linearWarmupDecay(3, 25, 3, 5e-4)).toBe(5e-4); // (25 - 3) / 22 = 1
    expect(linearWarmupDecay(14, 25, 3, 5e-4)).toBe(5e-4 * (11 / 22)); // 2.5e-4
    expect(linearWarmupDecay(24, 25, 3, 5e-4)).toBe(5e-4 * (1 / 22));
  });

  it('handles no warm-up, warm-up as long as the run, and warm-up longer than the run as HF does', () => {
    expect(linearWarmupDecay(0, 10, 0, 3e-4)).toBe(3e-4); // (10 - 0) / 10
    expect(linearWarmupDecay(5, 10, 0, 3e-4)).toBe(3e-4 * 0.5);
    expect(linearWarmupDecaySeries(4, 4, 1)).toEqual([0, 0.25, 0.5, 0.75]); // all warm-up
    expect(linearWarmupDecay(4, 4, 4, 1)).toBe(0); // (4 - 4) / max(1, 0)
    expect(linearWarmupDecay(3, 4, 10, 1)).toBe(0.3); // still warming up: 3 / 10
    expect(linearWarmupDecaySeries(0, 0, 1)).toEqual([]);
  });

  it('refuses nonsense with the argument named', () => {
    expect(() => linearWarmupDecay(-1, 10, 2, 1)).toThrow('linearWarmupDecay: step must be an integer >= 0, got -1.');
    expect(() => linearWarmupDecay(0, 10.5, 2, 1)).toThrow(/totalSteps must be an integer >= 0, got 10.5/);
    expect(() => linearWarmupDecaySeries(10, -2, 1)).toThrow(/warmupSteps must be an integer >= 0, got -2/);
    expect(() => linearWarmupDecaySeries(10, 2, NaN)).toThrow(/peak learning rate must be a finite number >= 0, got NaN/);
  });
});

describe('warmupStepsFromRatio (as TrainingArguments.get_warmup_steps: math.ceil(T * ratio))', () => {
  it('rounds up, float quirks included, as Python does', () => {
    expect(warmupStepsFromRatio(25, 0.1)).toBe(3); // ceil(2.5)
    expect(warmupStepsFromRatio(3, 0.1)).toBe(1); // ceil(0.30000000000000004); Math.round would say 0
    expect(warmupStepsFromRatio(100, 0.07)).toBe(8); // 100 * 0.07 = 7.000000000000001 in float64; Python gives 8 too
    expect(warmupStepsFromRatio(50, 0.06)).toBe(3); // 50 * 0.06 = 3.0 exactly
    expect(warmupStepsFromRatio(0, 0.1)).toBe(0);
    expect(warmupStepsFromRatio(10, 0)).toBe(0);
    expect(() => warmupStepsFromRatio(10, 1.5)).toThrow('warmupRatio must be in [0, 1], got 1.5.');
  });
});
