// The real-text checks' data and the figures that need no fine-tuning: shared by scripts/checks/realtext.ts (the
// full check, with fine-tuning) and test/unit/realtext-checks.test.ts (the figures the test tier reports).
import { readFileSync } from 'node:fs';
import { importText } from '../../src/data/import';
import { splitDataset } from '../../src/data/split';
import { generateEmails } from '../../src/data/synth';
import type { Example } from '../../src/domain';
import type { LoadedModel } from '../../src/model/load';
import { embedTexts, zeroShot } from '../../src/model/zeroshot';
import { bagOfWordsBaseline } from '../../src/train/baseline-eval';
import { readText } from '../../src/train/evaluate';
import { TfidfVectorizer, cosineSparse } from '../../src/baseline/tfidf';
import { cosine, spearman } from '../../src/guards/forgetting';

export const FIXTURES = 'test/fixtures/realtext';
/** The demo's hand-written suite, shipped with the page (src/data/demo-suite.ts). */
export const HANDWRITTEN_EMAILS = 'src/data/handwritten-emails.jsonl';
/** A second set of 200 emails written for the project without sight of the generator or of the first set
 * (test/fixtures/realtext/handwritten-emails-2.md): the check on which generator changes are judged. */
export const HANDWRITTEN_EMAILS_2 = `${FIXTURES}/handwritten-emails-2.jsonl`;
/** A third set of 640, written by four writers on the same terms as the second, each leaning to another part of the
 * world and of mail (test/fixtures/realtext/handwritten-emails-3.md): three times the second set, which narrows the
 * 95 % interval of a lead over the bag of words from about ±5 points to about ±3. */
export const HANDWRITTEN_EMAILS_3 = `${FIXTURES}/handwritten-emails-3.jsonl`;
/** Each email check by its name in realtext.ts's --only and in its report: the hand-written set it is scored on. */
export const EMAIL_CHECKS = { emails: HANDWRITTEN_EMAILS, emails2: HANDWRITTEN_EMAILS_2, emails3: HANDWRITTEN_EMAILS_3 } as const;

export function readJsonl(file: string): Example[] {
  const res = importText(readFileSync(file, 'utf8'), { file });
  if (res.refused || res.errors.length) throw new Error(`${file}: ${res.refused ?? res.errors.map((e) => `${e.line}: ${e.message}`).join('; ')}`);
  return res.examples;
}

/** The email task: the page's built-in generated emails to learn from, hand-written ones to be scored on. */
export function emailTask(count = 2000, testFile = HANDWRITTEN_EMAILS): { train: Example[]; test: Example[] } {
  return { train: generateEmails({ count, seed: 0 }), test: readJsonl(testFile) };
}

/** The fortunes topic task, as k folds: every quote is in exactly one test fold. */
export function fortuneFolds(k = 5): { train: Example[]; test: Example[] }[] {
  const all = readJsonl(`${FIXTURES}/fortunes-topics.jsonl`);
  return Array.from({ length: k }, (_, f) => ({ train: all.filter((_, i) => i % k !== f), test: all.filter((_, i) => i % k === f) }));
}

export function stsPairs(): { a: string; b: string; score: number }[] {
  return readFileSync(`${FIXTURES}/sts-pairs.tsv`, 'utf8').trim().split('\n').slice(1).map((l) => {
    const [score, a, b] = l.split('\t');
    return { a, b, score: Number(score) };
  });
}

export function labelsOf(...sets: Example[][]): string[] {
  return [...new Set(sets.flat().map((e) => e.label))].sort();
}

/** The training split a fine-tune learns from (the CLI's split when --eval is given; validation only steers early
 * stopping), so the baseline learns from exactly the same examples. */
export function trainSplit(train: Example[], seed = 0) {
  return splitDataset(train, { seed, testFraction: 0 });
}

/** Accuracy of TF-IDF + logistic regression trained on the fine-tune's training split (the baseline every run shows). */
export function bagOfWordsAccuracy(train: Example[], test: Example[]): number {
  return bagOfWordsBaseline(trainSplit(train).train, labelsOf(train, test)).score(test).accuracy;
}

/** The same baseline, 1 for each test example it labels right and 0 for each it gets wrong (for paired comparisons). */
export function bagOfWordsRight(train: Example[], test: Example[]): number[] {
  const labels = labelsOf(train, test);
  return rightOf(bagOfWordsBaseline(trainSplit(train).train, labels).score(test).predictions, labels, test);
}

/** 1 where a predicted label index names the example's label, else 0. */
export function rightOf(predictions: number[], labels: string[], test: Example[]): number[] {
  if (predictions.length !== test.length) throw new Error(`rightOf: ${predictions.length} predictions for ${test.length} examples.`);
  return predictions.map((p, i) => (labels[p] === test[i].label ? 1 : 0));
}

/** Zero-shot accuracy: each text goes to the label whose name its mean-pooled embedding is closest to; a text longer
 * than maxLen is read whole in windows, as the app's runs read it. */
export async function zeroShotAccuracy(model: LoadedModel, test: Example[], labels: string[], maxLen = 64): Promise<number> {
  const texts = test.map((e) => readText(model, e.text, { maxLen, readWhole: true }));
  const { predictions } = await zeroShot(model, texts, labels, { batchSize: 32, maxLen });
  return predictions.filter((p, i) => labels[p] === test[i].label).length / test.length;
}

/** Spearman correlation with the hand-written judgements: the model's mean-pooled cosine, and TF-IDF cosine fitted
 * on the pairs' own sentences (a similarity baseline that needs no other text). */
export async function stsFigures(model: LoadedModel): Promise<{ pairs: number; meanPooledSpearman: number; tfidfSpearman: number }> {
  const pairs = stsPairs();
  const gold = pairs.map((p) => p.score);
  const emb = (texts: string[]) => embedTexts(model, texts.map((t) => model.tokenizer.encode(t, 128)), { batchSize: 32, maxLen: 128 });
  const ea = await emb(pairs.map((p) => p.a));
  const eb = await emb(pairs.map((p) => p.b));
  const vec = new TfidfVectorizer();
  vec.fit(pairs.flatMap((p) => [p.a, p.b]));
  const ta = vec.transform(pairs.map((p) => p.a));
  const tb = vec.transform(pairs.map((p) => p.b));
  return {
    pairs: pairs.length,
    meanPooledSpearman: spearman(ea.map((e, i) => cosine(e, eb[i])), gold),
    tfidfSpearman: spearman(ta.map((r, i) => cosineSparse(r, tb[i])), gold),
  };
}
