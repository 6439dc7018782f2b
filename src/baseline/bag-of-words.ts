// The bag-of-words baseline every fine-tune should beat: TF-IDF over word 1-2-grams and multinomial logistic
// regression, both with scikit-learn's defaults as a practitioner would write them (see tfidf.ts and logreg.ts),
// so the figure shown beside a fine-tuned model is the one sklearn would print. Pure computation: no DOM, no Node.
import { TfidfVectorizer } from './tfidf';
import { fit } from './logreg';

export interface BagOfWordsModel {
  predict(texts: string[]): number[];
  /** One probability per class, per text. */
  predictProba(texts: string[]): Float64Array[];
  vocabularySize: number;
  /** Wall-clock seconds the training took (vectorizing and fitting). */
  seconds: number;
}

/** sklearn's LogisticRegression defaults that the baseline keeps. */
const C = 1.0;
const MAX_ITER = 1000;

export function trainBagOfWords(trainTexts: string[], trainLabels: number[], numClasses: number): BagOfWordsModel {
  if (trainTexts.length !== trainLabels.length) throw new Error(`trainBagOfWords: ${trainTexts.length} texts but ${trainLabels.length} labels.`);
  const start = performance.now();
  const vectorizer = new TfidfVectorizer();
  const rows = vectorizer.fitTransform(trainTexts);
  const model = fit(rows, trainLabels, numClasses, { C, maxIter: MAX_ITER, numFeatures: vectorizer.vocabulary.size });
  const seconds = (performance.now() - start) / 1000;
  return {
    predict: (texts) => model.predict(vectorizer.transform(texts)),
    predictProba: (texts) => model.predictProba(vectorizer.transform(texts)),
    vocabularySize: vectorizer.vocabulary.size,
    seconds,
  };
}
