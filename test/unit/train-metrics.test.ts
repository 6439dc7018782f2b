import { describe, expect, it } from 'vitest';
import { evaluate, fixedAndBroken, pairedDifference } from '../../src/train/metrics';

// Conventions checked here are scikit-learn's: confusion_matrix rows = true, columns = predicted;
// precision_recall_fscore_support(..., labels=range(k), zero_division=0); f1_score(average='macro') averages over
// every given label. F1 = 2tp / (2tp + fp + fn) = 2PR / (P + R).
describe('evaluate', () => {
  it('matches a hand-computed three-class case', () => {
    // true: a a a b b c ; pred: a a b b c c   -> 4 of 6 right
    // confusion rows=true: a:[2,1,0] b:[0,1,1] c:[0,0,1]
    // a: tp 2, predicted 2, support 3 -> P = 2/2 = 1,   R = 2/3, F1 = 4 / (2 + 3) = 0.8
    // b: tp 1, predicted 2, support 2 -> P = 1/2,       R = 1/2, F1 = 2 / (2 + 2) = 0.5
    // c: tp 1, predicted 2, support 1 -> P = 1/2,       R = 1,   F1 = 2 / (2 + 1) = 2/3
    // macro-F1 = (0.8 + 0.5 + 2/3) / 3 = 0.65555...
    const e = evaluate([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], ['a', 'b', 'c']);
    expect(e.accuracy).toBeCloseTo(4 / 6, 12);
    expect(e.confusion).toEqual([[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
    const want = [
      { label: 'a', precision: 1, recall: 2 / 3, f1: 0.8, support: 3 },
      { label: 'b', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
      { label: 'c', precision: 0.5, recall: 1, f1: 2 / 3, support: 1 },
    ];
    e.perClass.forEach((c, i) => {
      expect(c.label).toBe(want[i].label);
      expect(c.support).toBe(want[i].support);
      expect(c.precision).toBeCloseTo(want[i].precision, 12);
      expect(c.recall).toBeCloseTo(want[i].recall, 12);
      expect(c.f1).toBeCloseTo(want[i].f1, 12);
    });
    expect(e.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
  });

  it('scores a class never predicted and a class absent from the truth as 0 (zero_division = 0), and averages over all labels', () => {
    // labels a b c d; true: a a b b c c ; pred: a d b a b b   -> 2 of 6 right
    // confusion rows=true: a:[1,0,0,1] b:[1,1,0,0] c:[0,2,0,0] d:[0,0,0,0]
    // a: tp 1, predicted 2, support 2 -> P = 1/2, R = 1/2, F1 = 2 / 4 = 0.5
    // b: tp 1, predicted 3, support 2 -> P = 1/3, R = 1/2, F1 = 2 / 5 = 0.4
    // c: never predicted: tp 0, predicted 0 -> P = 0/0 := 0, R = 0/2 = 0, F1 = 0
    // d: absent from truth but predicted once: P = 0/1 = 0, R = 0/0 := 0, F1 = 0 / (1 + 0) = 0, support 0
    // macro-F1 = (0.5 + 0.4 + 0 + 0) / 4 = 0.225
    const e = evaluate([0, 0, 1, 1, 2, 2], [0, 3, 1, 0, 1, 1], ['a', 'b', 'c', 'd']);
    expect(e.accuracy).toBeCloseTo(2 / 6, 12);
    expect(e.confusion).toEqual([[1, 0, 0, 1], [1, 1, 0, 0], [0, 2, 0, 0], [0, 0, 0, 0]]);
    expect(e.perClass[0]).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(e.perClass[1].precision).toBeCloseTo(1 / 3, 12);
    expect(e.perClass[1]).toMatchObject({ recall: 0.5, support: 2 });
    expect(e.perClass[1].f1).toBeCloseTo(0.4, 12);
    expect(e.perClass[2]).toEqual({ label: 'c', precision: 0, recall: 0, f1: 0, support: 2 });
    expect(e.perClass[3]).toEqual({ label: 'd', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(e.macroF1).toBeCloseTo(0.225, 12);
  });

  it('counts a label that is nowhere (not true, not predicted) in the macro average, as sklearn with labels= does', () => {
    // a and b perfect (F1 1 each); c appears nowhere: F1 = 0/0 := 0 -> macro = (1 + 1 + 0) / 3 = 2/3
    const e = evaluate([0, 1, 1], [0, 1, 1], ['a', 'b', 'c']);
    expect(e.accuracy).toBe(1);
    expect(e.perClass[2]).toEqual({ label: 'c', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(e.macroF1).toBeCloseTo(2 / 3, 12);
  });

  it('binary case: P, R and F1 of both classes', () => {
    // true: 0 1 1 0 1 1 ; pred: 0 1 0 0 1 0  -> 4 of 6 right
    // class 0: tp 2, predicted 4 (2 right + 2 ones missed), support 2 -> P = 2/4, R = 2/2, F1 = 4 / 6 = 2/3
    // class 1: tp 2, predicted 2, support 4 -> P = 1, R = 2/4, F1 = 4 / 6 = 2/3 ; macro 2/3
    const e = evaluate([0, 1, 1, 0, 1, 1], [0, 1, 0, 0, 1, 0], ['no', 'yes']);
    expect(e.confusion).toEqual([[2, 0], [2, 2]]);
    expect(e.perClass.map((c) => [c.precision, c.recall, c.support])).toEqual([[0.5, 1, 2], [1, 0.5, 4]]);
    expect(e.perClass[0].f1).toBeCloseTo(2 / 3, 12);
    expect(e.perClass[1].f1).toBeCloseTo(2 / 3, 12);
    expect(e.macroF1).toBeCloseTo(2 / 3, 12);
    expect(e.accuracy).toBeCloseTo(4 / 6, 12);
  });

  it('gives NaN accuracy and zero scores on no examples, and names bad input', () => {
    const e = evaluate([], [], ['a', 'b']);
    expect(e.accuracy).toBeNaN();
    expect(e.macroF1).toBe(0);
    expect(e.confusion).toEqual([[0, 0], [0, 0]]);
    expect(() => evaluate([0, 1], [0], ['a', 'b'])).toThrow('evaluate: 2 true labels but 1 predictions.');
    expect(() => evaluate([0, 2], [0, 1], ['a', 'b'])).toThrow('evaluate: yTrue[1] is 2, not a label index in 0..1.');
    expect(() => evaluate([0, 1], [0, 0.5], ['a', 'b'])).toThrow('evaluate: yPred[1] is 0.5, not a label index in 0..1.');
    expect(() => evaluate([], [], [])).toThrow('evaluate: no labels given.');
  });
});

describe('fixedAndBroken', () => {
  it('lists examples fixed (A wrong, B right) and broken (A right, B wrong), in index order', () => {
    // i: true A B
    // 0: 0    1 0  fixed
    // 1: 1    1 0  broken
    // 2: 2    2 2  right in both: neither
    // 3: 0    2 0  fixed
    // 4: 1    0 2  wrong in both (differently): neither
    expect(fixedAndBroken([0, 1, 2, 0, 1], [1, 1, 2, 2, 0], [0, 0, 2, 0, 2])).toEqual({ fixed: [0, 3], broken: [1] });
    expect(fixedAndBroken([], [], [])).toEqual({ fixed: [], broken: [] });
    expect(() => fixedAndBroken([0, 1], [0, 1], [0])).toThrow('fixedAndBroken: 2 true labels, 2 predictions A, 1 predictions B.');
  });
});

describe('pairedDifference', () => {
  it('gives the mean per-example difference and its 95 % paired interval, as computed by hand', () => {
    // A right on 8 of 10, B on 6; differences 0,1,0,0,1,-1,0,0,1,0: mean 0.2, sample variance 3.6 / 9 = 0.4,
    // standard error sqrt(0.4 / 10) = 0.2, half-width 1.96 * 0.2 = 0.392.
    const r = pairedDifference([1, 1, 1, 0, 1, 0, 1, 1, 1, 1], [1, 0, 1, 0, 0, 1, 1, 1, 0, 1]);
    expect(r.n).toBe(10);
    expect(r.difference).toBeCloseTo(0.2, 12);
    expect(r.low).toBeCloseTo(-0.192, 12);
    expect(r.high).toBeCloseTo(0.592, 12);
  });

  it('takes shares of seeds that got an example right', () => {
    // Differences 0, 2/3, -2/3: mean 0, variance (4/9 + 4/9) / 2 = 4/9, standard error sqrt(4/27).
    const r = pairedDifference([1, 2 / 3, 1 / 3], [1, 0, 1]);
    expect(r.difference).toBeCloseTo(0, 12);
    expect(r.high).toBeCloseTo(1.96 * Math.sqrt(4 / 27), 12);
    expect(r.low).toBeCloseTo(-1.96 * Math.sqrt(4 / 27), 12);
  });

  it('gives identical scorers a difference of exactly nothing, with no spread', () => {
    expect(pairedDifference([1, 0, 1, 1], [1, 0, 1, 1])).toEqual({ difference: 0, low: 0, high: 0, n: 4 });
  });

  it('refuses lists of different lengths or too short', () => {
    expect(() => pairedDifference([1, 0], [1])).toThrow('pairedDifference: 2 and 1 scores; needs two equal lists of at least 2.');
    expect(() => pairedDifference([1], [1])).toThrow('at least 2');
  });
});
