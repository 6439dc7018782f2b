// Classification metrics with scikit-learn's conventions (a 0/0 precision or recall counts as 0).
export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  accuracy: number;
  macroF1: number;
  /** rows = true label, columns = predicted label */
  confusion: number[][];
  perClass: ClassMetrics[];
}

export function evaluate(yTrue: number[], yPred: number[], labels: string[]): Evaluation {
  if (yTrue.length !== yPred.length) throw new Error(`evaluate: ${yTrue.length} true labels but ${yPred.length} predictions.`);
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  yTrue.forEach((t, i) => {
    confusion[t][yPred[i]] += 1;
    if (t === yPred[i]) correct += 1;
  });
  const perClass = labels.map((label, c) => {
    const tp = confusion[c][c];
    const predicted = confusion.reduce((s, row) => s + row[c], 0);
    const support = confusion[c].reduce((s, x) => s + x, 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { label, precision, recall, f1, support };
  });
  return {
    accuracy: yTrue.length ? correct / yTrue.length : NaN,
    macroF1: perClass.reduce((s, c) => s + c.f1, 0) / Math.max(1, k),
    confusion,
    perClass,
  };
}

/** Examples fixed (A wrong, B right) and broken (A right, B wrong) going from predictions A to predictions B. */
export function fixedAndBroken(yTrue: number[], predA: number[], predB: number[]): { fixed: number[]; broken: number[] } {
  const fixed: number[] = [];
  const broken: number[] = [];
  yTrue.forEach((t, i) => {
    if (predA[i] !== t && predB[i] === t) fixed.push(i);
    if (predA[i] === t && predB[i] !== t) broken.push(i);
  });
  return { fixed, broken };
}
