import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { TfidfVectorizer, analyze, compareCodePoints, cosineSparse, type SparseRow } from '../../src/baseline/tfidf';
import { fit, objectiveAndGradient } from '../../src/baseline/logreg';
import { bagOfWordsBaseline } from '../../src/train/baseline-eval';
import { trainBagOfWords } from '../../src/baseline/bag-of-words';
import { createRng } from '../../src/util/rng';

// Made by scripts/make_baseline_goldens.py with scikit-learn's TfidfVectorizer and LogisticRegression (no project
// code). The logistic regression goldens are sklearn's lbfgs run to a gradient below 1e-8, i.e. the optimum.
interface GoldenRow {
  indices: number[];
  values: number[];
}
interface GoldenFit {
  coef: number[][];
  intercept: number[];
  objective: number;
  max_abs_gradient: number;
  proba: number[][];
  predict: number[];
  proba_default_tol: number[][];
}
interface Golden {
  versions: Record<string, string>;
  logreg: { C: number };
  train_texts: string[];
  train_labels: number[];
  test_texts: string[];
  vocabulary: Record<string, number>;
  idf: number[];
  train_rows: GoldenRow[];
  test_rows: GoldenRow[];
  multiclass: GoldenFit;
  binary: GoldenFit & { train_index: number[] };
}
const golden: Golden = JSON.parse(readFileSync('test/fixtures/baseline/goldens.json', 'utf8'));
const NUM_CLASSES = 3;

const toRow = (r: GoldenRow): SparseRow => ({ indices: Int32Array.from(r.indices), values: Float64Array.from(r.values) });
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

function expectRowsClose(actual: SparseRow[], expected: GoldenRow[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => {
    expect([...row.indices], `row ${i} columns`).toEqual(expected[i].indices);
    expect(maxAbsDiff(row.values, expected[i].values), `row ${i} values`).toBeLessThan(tol);
  });
}

describe('TfidfVectorizer against sklearn', () => {
  const vectorizer = new TfidfVectorizer().fit(golden.train_texts);

  it('learns the same vocabulary, column for column', () => {
    expect(Object.fromEntries(vectorizer.vocabulary)).toEqual(golden.vocabulary);
    // Column order is code point order: fullwidth letters (U+FF..) before mathematical bold (U+1D4..).
    const terms = vectorizer.terms();
    expect(terms.indexOf('ｏｒｄｅｒ')).toBeLessThan(terms.indexOf('𝐛𝐨𝐥𝐝'));
  });

  it('learns the same idf within 1e-9', () => {
    expect(maxAbsDiff(vectorizer.idf, golden.idf)).toBeLessThan(1e-9);
  });

  it('transforms train and test texts to the same rows within 1e-9', () => {
    expectRowsClose(new TfidfVectorizer().fitTransform(golden.train_texts), golden.train_rows, 1e-9);
    expectRowsClose(vectorizer.transform(golden.test_texts), golden.test_rows, 1e-9);
  });

  it('drops unseen words and gives an all-zero row for 1-character tokens', () => {
    const [unseen, oneChar] = vectorizer.transform([golden.test_texts[0], golden.test_texts[1]]);
    expect(golden.test_texts[0]).toContain('zeppelin');
    expect(vectorizer.vocabulary.has('zeppelin')).toBe(false);
    expect(unseen.indices.length).toBeGreaterThan(0);
    expect(oneChar.indices.length).toBe(0);
  });

  it('tokenizes like (?u)\\b\\w\\w+\\b and joins consecutive tokens into bigrams', () => {
    expect(analyze('Great👍deal: a B_c 42 x ÉTÉ 東京')).toEqual(['great', 'deal', 'b_c', '42', 'été', '東京', 'great deal', 'deal b_c', 'b_c 42', '42 été', 'été 東京']);
    // A combining accent is not a word character in Python's re either: decomposed "café" splits.
    expect(analyze('cafe\u0301')).toEqual(['cafe']);
    expect(analyze('a ! 1')).toEqual([]);
  });

  it('sorts terms by code point, as Python does', () => {
    const terms = ['𝐛', 'ｂ', 'b', 'bb', 'b a'];
    expect(terms.sort(compareCodePoints)).toEqual(['b', 'b a', 'bb', 'ｂ', '𝐛']);
  });

  it('matches a 2-document corpus worked out by hand', () => {
    // docs: "apple banana apple", "banana cherry"; n = 2
    // terms (code point order): apple, apple banana, banana, banana apple, banana cherry, cherry
    // df: banana 2, every other term 1
    // idf = ln((1 + n) / (1 + df)) + 1:  df 1 -> ln(3/2) + 1 = 1.4054651081081644;  df 2 -> ln(3/3) + 1 = 1
    // doc 0 counts: apple 2, apple banana 1, banana 1, banana apple 1
    //   sublinear tf: apple 1 + ln 2 = 1.6931471805599454, the others 1
    //   tf * idf: apple 1.6931471805599454 * 1.4054651081081644 = 2.3796592851687173,
    //             apple banana 1.4054651081081644, banana 1, banana apple 1.4054651081081644
    //   squares: 2.3796592851687173^2 = 5.6627783134896905, 1.4054651081081644^2 = 1.9753321701094941
    //   norm = sqrt(5.6627783134896905 + 2 * 1.9753321701094941 + 1) = sqrt(10.61344265370868) = 3.2578279042498055
    //   row: 2.3796592851687173 / 3.2578279042498055 = 0.7304435209927678,
    //        1.4054651081081644 / 3.2578279042498055 = 0.4314117103223128 (twice), 1 / 3.2578279042498055 = 0.3069529850534798
    // doc 1 counts: banana 1, banana cherry 1, cherry 1 -> tf * idf: 1, 1.4054651081081644, 1.4054651081081644
    //   norm = sqrt(1 + 2 * 1.9753321701094941) = sqrt(4.950664340218989) = 2.2250088404810864
    //   row: 1 / 2.2250088404810864 = 0.4494364165239821, 1.4054651081081644 / 2.2250088404810864 = 0.6316672017376245 (twice)
    // cosine: "banana" is the only shared column: 0.3069529850534798 * 0.4494364165239821 = 0.1379558496437754
    const v = new TfidfVectorizer();
    const [d0, d1] = v.fitTransform(['apple banana apple', 'banana cherry']);
    expect(v.terms()).toEqual(['apple', 'apple banana', 'banana', 'banana apple', 'banana cherry', 'cherry']);
    const idf1 = 1.4054651081081644;
    expect(maxAbsDiff(v.idf, [idf1, idf1, 1, idf1, idf1, idf1])).toBeLessThan(1e-15);
    expect([...d0.indices]).toEqual([0, 1, 2, 3]);
    expect(maxAbsDiff(d0.values, [0.7304435209927678, 0.4314117103223128, 0.3069529850534798, 0.4314117103223128])).toBeLessThan(1e-15);
    expect([...d1.indices]).toEqual([2, 4, 5]);
    expect(maxAbsDiff(d1.values, [0.4494364165239821, 0.6316672017376245, 0.6316672017376245])).toBeLessThan(1e-15);
    expect(cosineSparse(d0, d1)).toBeCloseTo(0.1379558496437754, 15);
  });

  it('cosineSparse: 1 with itself, 0 with disjoint or empty rows, scale-free', () => {
    const rows = vectorizer.transform(golden.test_texts);
    expect(cosineSparse(rows[0], rows[0])).toBeCloseTo(1, 12);
    expect(cosineSparse(rows[0], rows[1])).toBe(0);
    const a: SparseRow = { indices: Int32Array.of(0, 2), values: Float64Array.of(3, 4) };
    const b: SparseRow = { indices: Int32Array.of(1, 3), values: Float64Array.of(1, 1) };
    const c: SparseRow = { indices: Int32Array.of(2, 3), values: Float64Array.of(10, 0) };
    expect(cosineSparse(a, b)).toBe(0);
    expect(cosineSparse(a, c)).toBeCloseTo(4 / 5, 15);
  });

  it('refuses a corpus with no word of two or more characters, as sklearn does', () => {
    expect(() => new TfidfVectorizer().fit(['a b c', '! ?'])).toThrow(/empty vocabulary/);
  });
});

describe('multinomial logistic regression against sklearn', () => {
  const C = golden.logreg.C;
  const numFeatures = golden.idf.length;
  const trainRows = golden.train_rows.map(toRow);
  const testRows = golden.test_rows.map(toRow);

  it('uses the objective sklearn minimises: same value and a zero gradient at sklearn\'s optimum', () => {
    const K = NUM_CLASSES;
    const params = new Float64Array((numFeatures + 1) * K);
    golden.multiclass.coef.forEach((w, k) => w.forEach((v, j) => (params[j * K + k] = v)));
    golden.multiclass.intercept.forEach((b, k) => (params[numFeatures * K + k] = b));
    const grad = new Float64Array(params.length);
    const f = objectiveAndGradient({ rows: trainRows, labels: golden.train_labels, numClasses: K, numFeatures, C }, params, grad);
    expect(Math.abs(f - golden.multiclass.objective) / golden.multiclass.objective).toBeLessThan(1e-12);
    expect(maxAbsDiff(grad, new Float64Array(grad.length))).toBeLessThan(1e-7);
  });

  it('reaches sklearn\'s optimum: objective within 1e-6 relative, probabilities within 1e-4, same classes', () => {
    const model = fit(trainRows, golden.train_labels, NUM_CLASSES, { C, maxIter: 1000, numFeatures });
    const g = golden.multiclass;
    console.log(
      `baseline logreg: ${model.iterations} L-BFGS iterations, converged ${model.converged}, objective ${model.objective} ` +
        `(sklearn ${g.objective}), |grad| ${model.gradientNorm.toExponential(2)}`,
    );
    expect(model.converged).toBe(true);
    expect(Math.abs(model.objective - g.objective) / g.objective).toBeLessThan(1e-6);
    const proba = model.predictProba(testRows);
    proba.forEach((p, i) => {
      expect(maxAbsDiff(p, g.proba[i]), `test text ${i}`).toBeLessThan(1e-4);
      expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    });
    expect(model.predict(testRows)).toEqual(g.predict);
    // The weights themselves are unique (strictly convex in W; intercepts centred like sklearn's).
    model.coef.forEach((w, k) => expect(maxAbsDiff(w, g.coef[k]), `coef row ${k}`).toBeLessThan(1e-4));
    expect(maxAbsDiff(model.intercept, g.intercept)).toBeLessThan(1e-4);
    // The text with no known word scores on the intercepts alone.
    const z = model.intercept.map(Math.exp);
    const sum = z.reduce((s, v) => s + v, 0);
    expect(maxAbsDiff(proba[1], z.map((v) => v / sum))).toBeLessThan(1e-12);
  });

  it('two classes: a 2-way softmax gives sklearn\'s binary multinomial fit', () => {
    const g = golden.binary;
    const rows = g.train_index.map((i) => trainRows[i]);
    const labels = g.train_index.map((i) => golden.train_labels[i]);
    const model = fit(rows, labels, 2, { C, maxIter: 1000, numFeatures });
    expect(Math.abs(model.objective - g.objective) / g.objective).toBeLessThan(1e-6);
    model.predictProba(testRows).forEach((p, i) => expect(maxAbsDiff(p, g.proba[i]), `test text ${i}`).toBeLessThan(1e-4));
    expect(model.predict(testRows)).toEqual(g.predict);
    // sklearn keeps one row for two classes: class 1's, whose class-0 twin is its negative.
    expect(maxAbsDiff(model.coef[1], g.coef[0])).toBeLessThan(1e-4);
    expect(maxAbsDiff(model.coef[0], g.coef[0].map((v) => -v))).toBeLessThan(1e-4);
    expect(Math.abs(model.intercept[1] - g.intercept[0])).toBeLessThan(1e-4);
  });

  it('rejects labels outside 0..numClasses-1', () => {
    expect(() => fit(trainRows, golden.train_labels, 2)).toThrow(/label \d+ is 2/);
    expect(() => fit(trainRows, golden.train_labels, 3, { numFeatures: 5 })).toThrow(/numFeatures is 5/);
  });
});

describe('trainBagOfWords', () => {
  it('uses nothing a worker lacks: no DOM, no Node-only module', () => {
    for (const file of ['tfidf', 'logreg', 'bag-of-words']) {
      const source = readFileSync(`src/baseline/${file}.ts`, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // code, not comments
      expect(source, file).not.toMatch(/from '(node:|fs|path|os)|require\(|\b(document|window|process|Buffer)\b/);
      for (const [, from] of source.matchAll(/from '([^']+)'/g)) expect(from, `${file} imports ${from}`).toMatch(/^\.\/(tfidf|logreg)$/);
    }
  });

  it('texts in, sklearn\'s probabilities out', () => {
    const model = trainBagOfWords(golden.train_texts, golden.train_labels, NUM_CLASSES);
    expect(model.vocabularySize).toBe(golden.idf.length);
    model.predictProba(golden.test_texts).forEach((p, i) => expect(maxAbsDiff(p, golden.multiclass.proba[i]), `test text ${i}`).toBeLessThan(1e-4));
    expect(model.predict(golden.test_texts)).toEqual(golden.multiclass.predict);
    // sklearn's own default tol stops close enough that the same tolerance holds against it.
    model.predictProba(golden.test_texts).forEach((p, i) => expect(maxAbsDiff(p, golden.multiclass.proba_default_tol[i])).toBeLessThan(1e-4));
  });

  it('trains 2,000 texts of about 40 words (time printed, not asserted)', () => {
    // Four classes over a 3,000-word vocabulary; each class prefers its own 300 words, so the task is learnable
    // but not trivial, and the bigram vocabulary is large, as with real text.
    const rng = createRng(7);
    const words = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}x`);
    const makeText = (label: number) => {
      const length = 30 + rng.int(21);
      const out: string[] = [];
      for (let t = 0; t < length; t++) out.push(rng.next() < 0.3 ? words[label * 300 + rng.int(300)] : words[Math.floor(3000 * rng.next() ** 2)]);
      return out.join(' ');
    };
    const labels = Array.from({ length: 2000 }, (_, i) => i % 4);
    const texts = labels.map(makeText);
    const heldLabels = Array.from({ length: 400 }, (_, i) => i % 4);
    const held = heldLabels.map(makeText);
    const model = trainBagOfWords(texts, labels, 4);
    const predicted = model.predict(held);
    const accuracy = predicted.filter((p, i) => p === heldLabels[i]).length / held.length;
    console.log(`baseline: 2000 texts, ${model.vocabularySize} terms, trained in ${model.seconds.toFixed(2)} s, held-out accuracy ${accuracy.toFixed(3)}`);
    expect(accuracy).toBeGreaterThan(0.8);
  });
});

describe('the baseline beside a run (src/train/baseline-eval.ts)', () => {
  const train = [
    { text: 'pay the invoice now', label: 'invoice' },
    { text: 'invoice attached, amount due', label: 'invoice' },
    { text: 'your parcel has shipped', label: 'order' },
    { text: 'order shipped today, tracking inside', label: 'order' },
  ];
  const labels = ['invoice', 'order'];

  it("scores examples in the run's label order, with the metrics of src/train/metrics.ts", () => {
    const b = bagOfWordsBaseline(train, labels);
    // Labels are given in the run's order, so index 1 is "order" even when it comes first in the data.
    const reversed = bagOfWordsBaseline([...train].reverse(), labels);
    const test = [
      { text: 'the invoice amount is due', label: 'invoice' },
      { text: 'shipped, tracking number below', label: 'order' },
      { text: 'invoice for your shipped order', label: 'order' },
    ];
    const s = b.score(test);
    expect(s.predictions.slice(0, 2)).toEqual([0, 1]);
    expect(reversed.score(test).predictions.slice(0, 2)).toEqual([0, 1]);
    const correct = s.predictions.filter((p, i) => labels[p] === test[i].label).length;
    expect(s.accuracy).toBe(correct / 3);
    expect(s.confusion.flat().reduce((a, x) => a + x, 0)).toBe(3);
    expect(s.probs.map((row) => row.length)).toEqual([2, 2, 2]);
    s.probs.forEach((row) => expect(row[0] + row[1]).toBeCloseTo(1, 12));
    expect(s.perClass.map((c) => c.support)).toEqual([1, 2]);
  });

  it('names an example whose label the run does not have', () => {
    expect(() => bagOfWordsBaseline([...train, { text: 'win a prize', label: 'spam' }], labels)).toThrow('Example 5 has label "spam", which is not one of: invoice, order.');
    expect(() => bagOfWordsBaseline(train, labels).score([{ text: 'x', label: 'spam' }])).toThrow('Example 1 has label "spam"');
  });
});
