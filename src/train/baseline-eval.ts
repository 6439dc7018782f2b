// The bag-of-words baseline beside every result: TF-IDF + logistic regression (src/baseline/bag-of-words.ts)
// trained on a run's own training split and scored on exactly the examples the tuned model is scored on, so
// before / after / baseline are three readings of one test set. Seconds, even for a few thousand examples.
import type { EvalSummary, Example } from '../domain';
import { trainBagOfWords } from '../baseline/bag-of-words';
import { evaluate, labelIndices } from './metrics';

export interface BaselineScorer {
  /** Scores examples whose labels are all in the run's label list. */
  score(examples: Example[]): EvalSummary;
  seconds: number;
  vocabularySize: number;
}

export function bagOfWordsBaseline(train: Example[], labels: string[]): BaselineScorer {
  const model = trainBagOfWords(train.map((e) => e.text), labelIndices(train, labels), labels.length);
  return {
    seconds: model.seconds,
    vocabularySize: model.vocabularySize,
    score(examples) {
      const truth = labelIndices(examples, labels);
      const probs = model.predictProba(examples.map((e) => e.text)).map((row) => Array.from(row));
      // First maximum on ties, as the model's own predict (and numpy's argmax): one vectorising pass, not two.
      const predictions = probs.map((row) => row.indexOf(Math.max(...row)));
      const m = evaluate(truth, predictions, labels);
      return { accuracy: m.accuracy, macroF1: m.macroF1, confusion: m.confusion, perClass: m.perClass, predictions, probs };
    },
  };
}
