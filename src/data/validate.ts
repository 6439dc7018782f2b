// Warnings that teach: each says what is risky in the data and, in one sentence, why it matters.
import type { Example } from '../domain';
import type { DatasetSplit } from './split';

export type WarningKind = 'too-few' | 'rare-class' | 'imbalance' | 'duplicates' | 'near-duplicates' | 'conflicting-labels' | 'truncated' | 'leakage';

export interface DataWarning {
  kind: WarningKind;
  message: string;
  why: string;
  count?: number;
  /** A few example texts or labels that show the problem. */
  examples?: string[];
}

export interface ValidationReport {
  total: number;
  labels: { label: string; count: number }[];
  warnings: DataWarning[];
  tokenCount: 'tokenizer' | 'whitespace estimate';
}

export interface ValidateOptions {
  maxLen?: number;
  /** Exact token count (with [CLS]/[SEP]); without it, words × 1.3 + 2 estimates it. */
  countTokens?: (text: string) => number;
  splits?: DatasetSplit;
}

/** Lowercase, digits and punctuation removed, whitespace collapsed: "Order #123 shipped!" ~ "order shipped". */
export function normaliseText(t: string): string {
  return t.toLowerCase().replace(/[\p{P}\p{S}\d]+/gu, ' ').replace(/\s+/g, ' ').trim();
}

export function validateDataset(examples: Example[], opts: ValidateOptions = {}): ValidationReport {
  const maxLen = opts.maxLen ?? 128;
  const warnings: DataWarning[] = [];
  const counts = new Map<string, number>();
  for (const e of examples) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  const labels = [...counts].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1));
  const n = examples.length;

  if (n < 500) {
    warnings.push({
      kind: 'too-few',
      message: `Only ${n} examples. Use the built-in generator or add more data: 5,000–50,000 is the usual sweet spot.`,
      why: 'With fewer than about 500 examples a model tends to memorise them instead of learning the task (overfitting).',
      count: n,
    });
  }
  const rare = labels.filter((l) => l.count < 10 || l.count < 0.01 * n);
  if (rare.length) {
    warnings.push({
      kind: 'rare-class',
      message: `Very few examples for ${rare.map((l) => `"${l.label}" (${l.count})`).join(', ')}.`,
      why: 'A label seen only a handful of times is rarely learned, and its accuracy on the test split is measured on almost nothing.',
      count: rare.length,
      examples: rare.map((l) => l.label),
    });
  }
  if (labels.length >= 2) {
    const ratio = labels[0].count / labels[labels.length - 1].count;
    if (ratio > 5) {
      warnings.push({
        kind: 'imbalance',
        message: `Imbalanced labels: "${labels[0].label}" has ${ratio.toFixed(1)}× as many examples as "${labels[labels.length - 1].label}".`,
        why: 'A model can score well by mostly predicting the big class; watch macro-F1, not just accuracy, or balance the data.',
        count: Math.round(ratio),
      });
    }
  }

  const exact = new Map<string, number[]>();
  const near = new Map<string, number[]>();
  examples.forEach((e, i) => {
    exact.set(e.text, [...(exact.get(e.text) ?? []), i]);
    const k = normaliseText(e.text);
    near.set(k, [...(near.get(k) ?? []), i]);
  });
  const exactDupes = [...exact.values()].filter((g) => g.length > 1);
  if (exactDupes.length) {
    const extra = exactDupes.reduce((s, g) => s + g.length - 1, 0);
    warnings.push({
      kind: 'duplicates',
      message: `${extra} exact duplicate${extra === 1 ? '' : 's'} (${exactDupes.length} text${exactDupes.length === 1 ? '' : 's'} repeated).`,
      why: 'Duplicates weigh some examples more than others and, split across train and test, make accuracy look better than it is.',
      count: extra,
      examples: exactDupes.slice(0, 3).map((g) => examples[g[0]].text.slice(0, 80)),
    });
  }
  const nearOnly = [...near.values()].filter((g) => g.length > 1 && new Set(g.map((i) => examples[i].text)).size > 1);
  if (nearOnly.length) {
    const extra = nearOnly.reduce((s, g) => s + g.length - 1, 0);
    warnings.push({
      kind: 'near-duplicates',
      message: `${extra} near-duplicate${extra === 1 ? '' : 's'}: texts equal once case, digits and punctuation are ignored.`,
      why: 'Near-duplicates (templates with different numbers) teach the template, and across splits they leak answers into the test.',
      count: extra,
      examples: nearOnly.slice(0, 3).map((g) => examples[g[0]].text.slice(0, 80)),
    });
  }
  const conflicts = [...exact.values()].filter((g) => new Set(g.map((i) => examples[i].label)).size > 1);
  if (conflicts.length) {
    warnings.push({
      kind: 'conflicting-labels',
      message: `${conflicts.length} text${conflicts.length === 1 ? ' appears' : 's appear'} with different labels.`,
      why: 'The same input with two answers cannot be learned; one of the labels is likely a mistake.',
      count: conflicts.length,
      examples: conflicts.slice(0, 3).map((g) => `${examples[g[0]].text.slice(0, 60)} → ${[...new Set(g.map((i) => examples[i].label))].join(' / ')}`),
    });
  }

  const count = opts.countTokens ?? ((t: string) => Math.ceil((t.match(/\S+/g)?.length ?? 0) * 1.3) + 2);
  const long = examples.filter((e) => count(e.text) > maxLen).length;
  if (long) {
    warnings.push({
      kind: 'truncated',
      message: `${long} text${long === 1 ? ' is' : 's are'} longer than ${maxLen} tokens${opts.countTokens ? '' : ' (estimated from word counts)'} and will be cut for training.`,
      why: 'Training never sees what comes after the cut, so a label decided by the end of a long text cannot be learned. Evaluation and prediction read such texts whole when "Read long texts whole" is on (the default).',
      count: long,
    });
  }

  if (opts.splits) {
    const where = new Map<string, Set<string>>();
    for (const s of ['train', 'validation', 'test'] as const) for (const e of opts.splits[s]) {
      const k = normaliseText(e.text);
      if (!where.has(k)) where.set(k, new Set());
      where.get(k)!.add(s);
    }
    const leaked = [...where.values()].filter((s) => s.size > 1).length;
    if (leaked) {
      warnings.push({
        kind: 'leakage',
        message: `${leaked} text${leaked === 1 ? ' appears' : 's appear'} (after normalising) in more than one of train / validation / test.`,
        why: 'The model is then tested on examples it trained on, so the measured accuracy overstates how it does on new text.',
        count: leaked,
      });
    }
  }
  return { total: n, labels, warnings, tokenCount: opts.countTokens ? 'tokenizer' : 'whitespace estimate' };
}
