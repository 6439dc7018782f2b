// Classification metrics with scikit-learn's conventions: a 0/0 precision, recall or F1 counts as 0
// (zero_division=0), and macro-F1 averages over every label given, including labels absent from the data
// (sklearn's f1_score(y_true, y_pred, labels=range(k), average='macro', zero_division=0)).
export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of examples whose true label is this one. */
  support: number;
}

export interface Evaluation {
  /** Share of exact matches; NaN when there are no examples (as sklearn's accuracy_score on empty input). */
  accuracy: number;
  macroF1: number;
  /** rows = true label, columns = predicted label */
  confusion: number[][];
  perClass: ClassMetrics[];
}

/** Each example's label as an index into `labels`; an example whose label is not there is named (1-based). */
export function labelIndices(examples: readonly { label: string }[], labels: readonly string[]): number[] {
  const index = new Map(labels.map((l, i) => [l, i]));
  return examples.map((e, i) => {
    const y = index.get(e.label);
    if (y === undefined) throw new Error(`Example ${i + 1} has label "${e.label}", which is not one of: ${labels.join(', ')}.`);
    return y;
  });
}

/** yTrue and yPred hold label indices into `labels`. */
export function evaluate(yTrue: number[], yPred: number[], labels: string[]): Evaluation {
  if (yTrue.length !== yPred.length) throw new Error(`evaluate: ${yTrue.length} true labels but ${yPred.length} predictions.`);
  const k = labels.length;
  if (k === 0) throw new Error('evaluate: no labels given.');
  checkIndices('yTrue', yTrue, k);
  checkIndices('yPred', yPred, k);
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  yTrue.forEach((t, i) => {
    confusion[t][yPred[i]] += 1;
    if (t === yPred[i]) correct += 1;
  });
  const perClass = labels.map((label, c) => {
    const tp = confusion[c][c];
    const predicted = confusion.reduce((s, row) => s + row[c], 0); // tp + fp
    const support = confusion[c].reduce((s, x) => s + x, 0); // tp + fn
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    // sklearn's form 2tp / (2tp + fp + fn): equal to 2PR/(P+R), and 0 (not NaN) when the class is nowhere.
    const f1 = predicted + support ? (2 * tp) / (predicted + support) : 0;
    return { label, precision, recall, f1, support };
  });
  return {
    accuracy: yTrue.length ? correct / yTrue.length : NaN,
    macroF1: perClass.reduce((s, c) => s + c.f1, 0) / k,
    confusion,
    perClass,
  };
}

/** Examples fixed (A wrong, B right) and broken (A right, B wrong) going from predictions A to predictions B. */
export function fixedAndBroken(yTrue: number[], predA: number[], predB: number[]): { fixed: number[]; broken: number[] } {
  if (predA.length !== yTrue.length || predB.length !== yTrue.length) {
    throw new Error(`fixedAndBroken: ${yTrue.length} true labels, ${predA.length} predictions A, ${predB.length} predictions B.`);
  }
  const fixed: number[] = [];
  const broken: number[] = [];
  yTrue.forEach((t, i) => {
    if (predA[i] !== t && predB[i] === t) fixed.push(i);
    if (predA[i] === t && predB[i] !== t) broken.push(i);
  });
  return { fixed, broken };
}

/**
 * How much better scorer A is than scorer B on the same examples, with a 95 % interval: the mean of the per-example
 * differences a[i] - b[i] ± 1.96 standard errors (the paired interval, normal approximation). Each entry is an
 * example's score in [0, 1]: 1 or 0 for right or wrong, or a share of runs (several seeds) that got it right. Pairing
 * matters: two classifiers right and wrong on mostly the same examples differ less by chance than two independent
 * accuracies would, so the interval is narrower than theirs.
 */
export function pairedDifference(a: number[], b: number[]): { difference: number; low: number; high: number; n: number } {
  if (a.length !== b.length || a.length < 2) throw new Error(`pairedDifference: ${a.length} and ${b.length} scores; needs two equal lists of at least 2.`);
  const n = a.length;
  const d = a.map((x, i) => x - b[i]);
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const variance = d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  const half = 1.96 * Math.sqrt(variance / n);
  return { difference: mean, low: mean - half, high: mean + half, n };
}

function checkIndices(field: 'yTrue' | 'yPred', ys: number[], k: number): void {
  ys.forEach((y, i) => {
    if (!Number.isInteger(y) || y < 0 || y >= k) {
      throw new Error(`evaluate: ${field}[${i}] is ${y}, not a label index in 0..${k - 1}.`);
    }
  });
}
