// The "what is happening" texts: one short explanation per step, for newcomers and for teaching.
import { h } from '../dom';

export function explain(title: string, ...paragraphs: string[]): HTMLElement {
  return h('details', { class: 'explain' }, h('summary', null, title), ...paragraphs.map((p) => h('p', null, p)));
}

export const TEXTS = {
  data: [
    'A classifier learns from labelled examples: each email comes with the right answer (invoice, order, support or spam).',
    'The data is split three ways: training examples the model learns from, validation examples that watch for overfitting during training, and test examples kept aside to measure accuracy before and after — the same test examples for every run on this dataset version.',
    'Under about 500 examples a model tends to memorise instead of learning; 5,000–50,000 is the usual sweet spot, and synthetic data (like the built-in generator) is standard practice.',
  ],
  model: [
    'The model turns text into tokens (word pieces such as "ship" + "##ped") and each token into a vector; its layers mix the vectors until one vector stands for the whole text.',
    'The base model stays frozen: its pretrained weights do not change. What trains is small — a classifier head on top, and with LoRA a low-rank update beside some weight matrices.',
  ],
  train: [
    'Each step shows the model a batch of examples, measures how wrong it is (the loss), and nudges the trainable weights to be less wrong. The loss falls as the model fits the task.',
    'LoRA adds to a frozen weight matrix W a product B·A of two thin matrices (rank r); only A and B train, a tiny share of the model. B starts at zero, so at step 0 the model is exactly the base model.',
    'Overfitting: when the validation loss turns up while the training loss keeps falling, the model is memorising the training examples. The best epoch is marked on the curve.',
    'Forgetting: strong updates can wipe out what the base model knew. A low learning rate and few epochs keep the model close to its base; detaching a LoRA adapter restores the base model exactly.',
  ],
  evaluate: [
    '"Before" is the untrained base model answering zero-shot: it picks the label whose name is closest in meaning to the text. "After" is the tuned model, on the very same held-out test examples.',
    'Accuracy counts correct answers; macro-F1 averages each label\'s balance of precision (how often a predicted label is right) and recall (how many of a label\'s examples are found), so a rare label counts as much as a common one.',
  ],
  baseline: [
    'The baseline counts words: TF-IDF weighs each word and word pair by how telling it is, and a logistic regression learns which words point to which label. It trains in seconds on the same training examples and is scored on the same test examples.',
    'It is the first thing practitioners try, and the bar a fine-tuned transformer has to clear. When the tuned model does not beat it, the labels follow keywords the words alone give away, or the base model knows too little about this kind of text: a larger base model, more varied training data, or simply the word count are the honest options.',
  ],
  play: ['Type any text and compare what the base model and the tuned model answer, with their probabilities.'],
  runs: ['Every run is a version: its data hash, model, settings and results are kept, so you can say which version fixed which examples — and which it broke.'],
};

/** Settings and detail beyond a step's essentials, folded away under them (a <details>, closed at first). */
export function fold(title: string, ...children: (Node | null)[]): HTMLDetailsElement {
  return h('details', { class: 'fold' }, h('summary', null, title), ...children);
}
