// The project's real-text checks, as far as the test tier can afford them: the hand-written sets are well formed,
// and the figures that need no fine-tuning are computed and reported (the bag-of-words baseline on both tasks,
// the zero-shot accuracy and the sentence-similarity correlation of the bundled tabtune-mini). The fine-tuned
// figures take minutes each: `npx tsx scripts/checks/realtext.ts` computes them, and the model card reports them.
// No figure here is asserted beyond what no noise can move: these are deterministic, and the assertions are the
// fixtures' shape and what any working classifier must reach (well above chance).
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { useBackend } from '../../src/runtime/tf-node';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { EMAIL_LABELS } from '../../src/data/synth';
import { EMAIL_CHECKS, bagOfWordsAccuracy, bagOfWordsRight, emailTask, fortuneFolds, labelsOf, readJsonl, stsFigures, stsPairs, zeroShotAccuracy } from '../../scripts/checks/tasks';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

describe('real-text check sets', () => {
  for (const file of Object.values(EMAIL_CHECKS)) {
    it(`hand-written emails (${file}): at least 150, every label within 10 % of a quarter, no duplicates, none generated`, () => {
      const { train, test } = emailTask(2000, file);
      expect(test.length).toBeGreaterThanOrEqual(150);
      for (const l of EMAIL_LABELS) {
        const n = test.filter((e) => e.label === l).length;
        expect(n).toBeGreaterThanOrEqual(0.9 * test.length / 4);
        expect(n).toBeLessThanOrEqual(1.1 * test.length / 4);
      }
      expect(new Set(test.map((e) => e.text)).size).toBe(test.length);
      const generated = new Set(train.map((e) => e.text));
      expect(test.filter((e) => generated.has(e.text))).toEqual([]);
    });
  }

  it('no two hand-written sets share an email', () => {
    const seen = new Map<string, string>();
    const shared: string[] = [];
    for (const file of Object.values(EMAIL_CHECKS)) {
      for (const e of readJsonl(file)) {
        const key = e.text.trim().toLowerCase();
        if (seen.has(key) && seen.get(key) !== file) shared.push(`${seen.get(key)} and ${file}: ${e.text.slice(0, 60)}`);
        seen.set(key, file);
      }
    }
    expect(shared).toEqual([]);
  });

  it('fortunes: five topics, 140 quotes each, every quote in exactly one test fold', () => {
    const folds = fortuneFolds(5);
    const all = folds.flatMap((f) => f.test);
    expect(all.length).toBe(700);
    expect(labelsOf(all)).toEqual(['computers', 'food', 'law', 'politics', 'sports']);
    for (const f of folds) expect(f.train.length + f.test.length).toBe(700);
  });

  it('graded pairs: 260, scores 0 to 5, every band of one point used', () => {
    const pairs = stsPairs();
    expect(pairs.length).toBe(260);
    for (const p of pairs) {
      expect(p.score).toBeGreaterThanOrEqual(0);
      expect(p.score).toBeLessThanOrEqual(5);
    }
    for (let band = 0; band < 5; band++) expect(pairs.filter((p) => p.score >= band && p.score < band + 1).length).toBeGreaterThan(30);
  });
});

describe('real-text figures (reported)', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    await useBackend('cpu');
    model = await loadModel({ id: 'tabtune-mini', url: resolve('public/models/tabtune-mini') });
  });

  for (const file of Object.values(EMAIL_CHECKS)) {
    it(`bag-of-words baseline on hand-written emails (${file}), trained on the generated ones`, () => {
      const { train, test } = emailTask(2000, file);
      const acc = bagOfWordsAccuracy(train, test);
      console.log(`real-text check: TF-IDF + logistic regression on ${test.length} hand-written emails (${file}): ${pct(acc)}`);
      expect(acc).toBeGreaterThan(0.5); // chance is 25 %
      // The per-email scores realtext.ts pairs with the fine-tuned model's are the same baseline's, email by email.
      const right = bagOfWordsRight(train, test);
      expect(right).toHaveLength(test.length);
      expect(right.every((x) => x === 0 || x === 1)).toBe(true);
      expect(right.filter((x) => x === 1).length).toBe(Math.round(acc * test.length));
    });
  }

  it('bag-of-words baseline on fortunes topics, 5-fold', () => {
    const folds = fortuneFolds(5);
    const acc = folds.reduce((s, f) => s + bagOfWordsAccuracy(f.train, f.test) * f.test.length, 0) / 700;
    console.log(`real-text check: TF-IDF + logistic regression on 700 fortunes (5 topics, 5-fold): ${pct(acc)}`);
    expect(acc).toBeGreaterThan(0.4); // chance is 20 %
  });

  it('tabtune-mini zero-shot on hand-written emails', async () => {
    const { test } = emailTask();
    const acc = await zeroShotAccuracy(model, test, labelsOf(test));
    console.log(`real-text check: tabtune-mini zero-shot on hand-written emails: ${pct(acc)}`);
    expect(acc).toBeGreaterThanOrEqual(0);
  }, 300_000);

  it('tabtune-mini sentence similarity against TF-IDF cosine on the graded pairs', async () => {
    const s = await stsFigures(model);
    console.log(`real-text check: Spearman on ${s.pairs} graded pairs: tabtune-mini mean-pooled ${s.meanPooledSpearman.toFixed(3)}, TF-IDF cosine ${s.tfidfSpearman.toFixed(3)}`);
    expect(s.tfidfSpearman).toBeGreaterThan(0.3);
    expect(Number.isFinite(s.meanPooledSpearman)).toBe(true);
  }, 300_000);
});
