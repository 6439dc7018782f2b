// Step 4: before and after, side by side — accuracy, macro-F1, confusion matrices, per-class P/R/F1, and the
// held-out examples this run fixed and broke, with a browser for the misclassified ones.
import { h, replace, fmtPct } from '../dom';
import type { EvalSummary, TrainResult } from '../../domain';
import type { TrainConfig } from '../../config';
import { PROBE_TEXTS } from '../../guards/probe-set';
import type { AppContext } from '../context';
import { explain, fold, TEXTS } from './explain';
import { suitesCard } from './suites';
import { fixedAndBroken } from '../../train/metrics';
import { isForgetting } from '../../guards/forgetting';
import { driftLimit } from '../drift-limit';

export function confusionTable(e: EvalSummary, labels: string[], caption: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'confusion' },
      h('caption', null, caption),
      h('thead', null, h('tr', null, h('th', null, 'true ↓ / predicted →'), ...labels.map((l) => h('th', { class: 'num' }, l)))),
      h('tbody', null, ...labels.map((l, i) => h('tr', null, h('th', null, l), ...labels.map((_, j) => h('td', { class: `num${i === j ? ' good' : e.confusion[i][j] ? ' bad' : ''}` }, e.confusion[i][j]))))),
    ),
  );
}

export function perClassTable(before: EvalSummary, after: EvalSummary): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      h('caption', null, 'Per label: precision / recall / F1, before → after'),
      h('thead', null, h('tr', null, ...['label', 'support', 'precision', 'recall', 'F1'].map((t) => h('th', { class: t === 'label' ? '' : 'num' }, t)))),
      h(
        'tbody',
        null,
        ...after.perClass.map((a, i) => {
          const b = before.perClass[i];
          return h('tr', null, h('td', null, a.label), h('td', { class: 'num' }, a.support), ...(['precision', 'recall', 'f1'] as const).map((k) => h('td', { class: 'num' }, `${fmtPct(b[k], 0)} → ${fmtPct(a[k], 0)}`)));
        }),
      ),
    ),
  );
}

export function examplesTable(indices: number[], texts: { text: string; label: string }[], pred: number[], labels: string[], caption: string, limit = 20): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      h('caption', null, `${caption} (${indices.length})`),
      h('thead', null, h('tr', null, h('th', null, 'text'), h('th', null, 'true'), h('th', null, 'predicted'))),
      h('tbody', null, ...indices.slice(0, limit).map((i) => h('tr', null, h('td', { class: 'text' }, texts[i].text), h('td', null, texts[i].label), h('td', null, labels[pred[i]])))),
    ),
    indices.length > limit ? h('p', { class: 'muted' }, `…and ${indices.length - limit} more.`) : null,
  );
}

/** Forgetting, next to the accuracy: how far the tuned encoder moved from the base model on general English. */
export function forgettingCard(r: TrainResult): HTMLElement {
  const f = r.forgetting;
  const limit = driftLimit();
  return h(
    'div',
    { class: 'card', attrs: { 'data-testid': 'forgetting' } },
    h('h3', null, 'Forgetting check'),
    h(
      'p',
      { attrs: { 'data-testid': 'forgetting-verdict' } },
      isForgetting(f, limit)
        ? h('span', { class: 'badge bad' }, `Flagged: the drift is above the limit of ${limit}`)
        : h('span', { class: 'badge good' }, `Within the limit of ${limit}`),
      ' (set in Runs, under Advanced).',
    ),
    h(
      'p',
      null,
      `Mean embedding drift on ${PROBE_TEXTS.length} general sentences: ${f.meanDrift.toFixed(4)} (0 = unchanged). `,
      `Agreement with human similarity judgements (Spearman): ${f.spearmanBase.toFixed(3)} before → ${f.spearmanTuned.toFixed(3)} after (${f.spearmanDelta >= 0 ? '+' : ''}${f.spearmanDelta.toFixed(3)}).`,
    ),
    h(
      'p',
      { class: 'muted' },
      r.method === 'head'
        ? 'Head-only training never changes the encoder, so it cannot forget.'
        : r.method === 'lora'
          ? `Detaching the LoRA adapter restores the base model exactly: measured with the adapter detached, the drift is ${f.detachedDrift === undefined ? '—' : f.detachedDrift.toFixed(6)}${f.detachedDrift === 0 ? ' (identical embeddings)' : ''}.`
          : 'Full fine-tuning changes every weight; a lower learning rate, fewer epochs or mixed data keep the drift small.',
    ),
  );
}

/**
 * The bag-of-words baseline beside before and after: what the simplest thing that works scores on the same test
 * examples, and whether the tuned transformer beat it.
 */
export function baselineCard(r: Pick<TrainResult, 'after' | 'baseline'>): HTMLElement {
  const gap = r.after.accuracy - r.baseline.accuracy;
  const verdict =
    gap >= 0.02
      ? `The tuned model beats it by ${(gap * 100).toFixed(1)} points.`
      : gap > -0.02
        ? `The tuned model and the baseline are within 2 points of each other (${gap >= 0 ? '+' : ''}${(gap * 100).toFixed(1)}): on this data, fine-tuning bought nothing a word count could not.`
        : `The baseline beats the tuned model by ${(-gap * 100).toFixed(1)} points: on this data, a word count does better than this fine-tune.`;
  return h(
    'div',
    { class: 'card', attrs: { 'data-testid': 'baseline' } },
    h('h3', null, 'Baseline (bag of words)'),
    h('p', null, h('span', { class: 'big', attrs: { 'data-testid': 'acc-baseline' } }, fmtPct(r.baseline.accuracy)), ' accuracy · macro-F1 ', fmtPct(r.baseline.macroF1)),
    h('p', { attrs: { 'data-testid': 'baseline-verdict' } }, verdict),
    explain('Why a word count?', ...TEXTS.baseline),
  );
}

/** Every suite of the run (the test split first), before / after / baseline side by side. */
export function suitesTable(r: Pick<TrainResult, 'before' | 'after' | 'baseline' | 'suites'>, testCount: number): HTMLElement {
  const rows: { name: string; n: number; before: EvalSummary; after: EvalSummary; baseline?: EvalSummary }[] = [
    { name: 'test split', n: testCount, before: r.before, after: r.after, baseline: r.baseline },
    ...(r.suites ?? []).map((s) => ({ name: s.name, n: s.after.predictions.length, before: s.before, after: s.after, baseline: s.baseline })),
  ];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { attrs: { 'data-testid': 'suite-scores' } },
      h('caption', null, 'Accuracy on every evaluation suite'),
      h('thead', null, h('tr', null, ...['suite', 'examples', 'before', 'after', 'baseline'].map((t) => h('th', { class: t === 'suite' ? '' : 'num' }, t)))),
      h('tbody', null, ...rows.map((x) => h('tr', null, h('td', null, x.name), h('td', { class: 'num' }, x.n), h('td', { class: 'num' }, fmtPct(x.before.accuracy)), h('td', { class: 'num' }, fmtPct(x.after.accuracy)), h('td', { class: 'num' }, fmtPct(x.baseline?.accuracy))))),
    ),
  );
}

/** How "before", "after" and the suites read a text longer than training did (src/model/windows.ts). */
function readingNote(c: TrainConfig): HTMLElement {
  return h(
    'p',
    { class: 'muted', attrs: { 'data-testid': 'eval-reading' } },
    c.readWhole
      ? `Training read the first ${c.maxLen} tokens of each text; these scores read every text whole, a longer one in overlapping windows of ${c.maxLen} tokens whose predictions are averaged.`
      : `These scores read the first ${c.maxLen} tokens of each text, as training did; the rest of a longer text is not seen.`,
  );
}

export function evaluatePanel(ctx: AppContext): HTMLElement {
  const body = h('div', { attrs: { 'data-testid': 'evaluation' } }, h('p', { class: 'muted' }, 'Train a run to see its accuracy before and after.'));
  let page = 0;
  function render() {
    const r = ctx.runs.live?.result;
    const test = ctx.dataset?.splits.test;
    if (!r || !test) return;
    const labels = r.after.perClass.map((c) => c.label);
    const truth = test.map((e) => labels.indexOf(e.label));
    const { fixed, broken } = fixedAndBroken(truth, r.before.predictions, r.after.predictions);
    const wrong = r.after.predictions.flatMap((p, i) => (p !== truth[i] ? [i] : []));
    const pageSize = 10;
    const pages = Math.max(1, Math.ceil(wrong.length / pageSize));
    page = Math.min(page, pages - 1);
    const browser = h('div', null);
    const drawBrowser = () =>
      replace(
        browser,
        examplesTable(wrong.slice(page * pageSize, (page + 1) * pageSize), test, r.after.predictions, labels, `Misclassified after training, page ${page + 1} of ${pages}`, pageSize),
        h(
          'div',
          { class: 'row' },
          h('button', { class: 'secondary', on: { click: () => { page = Math.max(0, page - 1); drawBrowser(); } } }, 'Previous page'),
          h('button', { class: 'secondary', on: { click: () => { page = Math.min(pages - 1, page + 1); drawBrowser(); } } }, 'Next page'),
        ),
      );
    drawBrowser();
    const delta = r.after.accuracy - r.before.accuracy;
    replace(
      body,
      h(
        'div',
        { class: 'grid2' },
        h('div', { class: 'card' }, h('h3', null, 'Before (zero-shot base model)'), h('p', null, h('span', { class: 'big', attrs: { 'data-testid': 'acc-before' } }, fmtPct(r.before.accuracy)), ' accuracy · macro-F1 ', fmtPct(r.before.macroF1)), confusionTable(r.before, labels, 'Confusion matrix before')),
        h('div', { class: 'card' }, h('h3', null, 'After (tuned)'), h('p', null, h('span', { class: 'big', attrs: { 'data-testid': 'acc-after' } }, fmtPct(r.after.accuracy)), ' accuracy · macro-F1 ', fmtPct(r.after.macroF1), ' ', h('span', { class: `badge ${delta >= 0 ? 'good' : 'bad'}` }, `${delta >= 0 ? '+' : ''}${(delta * 100).toFixed(1)} points`)), confusionTable(r.after, labels, 'Confusion matrix after')),
      ),
      readingNote(ctx.runs.live!.config),
      baselineCard(r),
      suitesTable(r, test.length),
      fold(
        `More: forgetting check, per-label scores, ${fixed.length} fixed and ${broken.length} broken examples, ${wrong.length} misclassified`,
        forgettingCard(r),
        perClassTable(r.before, r.after),
        h('div', { class: 'grid2' }, examplesTable(fixed, test, r.after.predictions, labels, 'Fixed by this run (wrong before, right after)', 8), examplesTable(broken, test, r.after.predictions, labels, 'Broken by this run (right before, wrong after)', 8)),
        browser,
      ),
    );
  }
  ctx.bus.on('run-live', () => {
    if (ctx.runs.live?.phase === 'finished') render();
  });
  return h(
    'section',
    { class: 'step', id: 'evaluate', attrs: { 'aria-labelledby': 'eval-h' } },
    h('h2', { id: 'eval-h' }, h('span', { class: 'num' }, '4'), 'Evaluate'),
    explain('What do these numbers mean?', ...TEXTS.evaluate),
    body,
    fold('Your own evaluation files (hard cases, real emails): scored with every run', suitesCard(ctx)),
  );
}
