// Teaching view: fine-tune the pretrained tabtune-mini and its random-weight twin side by side, same data, same
// settings, each in its own worker, so a class watches what pretraining is worth. Both runs are ordinary runs:
// stored, listed, comparable and resumable like any other.
import { h, replace, fmtPct, fmtDuration } from '../dom';
import { LossChart } from '../charts';
import type { AppContext } from '../context';
import { RunController } from '../run-controller';
import { WorkerClient } from '../worker-client';
import { MODEL_OPTIONS } from '../../model/catalogue';
import { explain } from './explain';

export const COMPARED_MODELS = ['tabtune-mini', 'tabtune-mini-random'] as const;

const TEXT = [
  'Both models have the same architecture, the same tokenizer and the same number of weights; the only difference is that one was pretrained on millions of words of English and the other starts from random numbers.',
  'They are fine-tuned here on the same examples, with the same settings, at the same time. The pretrained model starts from a better "before" (it already places similar texts near each other), and on the held-out split of the same data it usually reaches a better "after": fine-tuning specialises what a model knows, it does not teach it a language from scratch.',
  'Each column also shows the evaluation files of the dataset (for the demo, emails written by hand, which the generator did not make), beside the bag-of-words baseline. There the verdict can change: a small model pretrained on little text may know too little about the kind of text a file holds to beat its twin, and with trainable word embeddings even a random encoder learns which words mark a label. What pretraining is worth is measured on text like the one you will use the model on.',
];

interface Column {
  modelId: string;
  controller: RunController | null;
  client: WorkerClient | null;
  status: HTMLElement;
  progress: HTMLProgressElement;
  numbers: HTMLElement;
  /** The run's scores on the dataset's evaluation files (text the training split is not drawn from). */
  suites: HTMLElement;
  canvas: HTMLCanvasElement;
  chart: LossChart | null;
  lastDraw: number;
}

export function pretrainingPanel(ctx: AppContext): HTMLElement {
  const columns: Column[] = COMPARED_MODELS.map((modelId) => ({
    modelId,
    controller: null,
    client: null,
    status: h('p', { class: 'status', attrs: { role: 'status', 'data-testid': `compare-status-${modelId}` } }, 'Not started.'),
    progress: h('progress', { attrs: { max: 1, value: 0, 'aria-label': `Training progress of ${modelId}` } }),
    numbers: h('p', { attrs: { 'data-testid': `compare-result-${modelId}` } }),
    suites: h('ul', { attrs: { 'data-testid': `compare-suites-${modelId}` } }),
    canvas: h('canvas', { attrs: { 'aria-label': `Training and validation loss of ${modelId} by step`, role: 'img' } }),
    chart: null,
    lastDraw: 0,
  }));
  const startBtn = h('button', { on: { click: () => void start().catch(showError) } }, 'Train both side by side');
  const cancelBtn = h('button', { class: 'secondary', on: { click: () => columns.forEach((c) => c.controller?.cancel()) } }, 'Cancel both');
  const summary = h('p', { attrs: { 'data-testid': 'compare-summary', 'aria-live': 'polite' } });
  const settingsLine = h('p', { class: 'muted' });

  const busy = () => columns.some((c) => c.controller?.busy);

  function showError(e: unknown) {
    replace(summary, h('span', { class: 'bad' }, e instanceof Error ? e.message : String(e)));
  }

  async function start() {
    if (busy() || !ctx.dataset) return;
    replace(summary, 'Starting two workers…');
    // Fresh workers for each comparison, so the page's own Train button and these two never share a model.
    for (const c of columns) c.client?.terminate();
    const config = structuredClone(ctx.settings.config);
    await Promise.all(
      columns.map(async (c) => {
        c.client = new WorkerClient();
        await c.client.init(ctx.settings.backend);
        c.controller = new RunController(ctx, c.client, () => render(c));
        c.chart?.set([], [], null);
      }),
    );
    replace(summary, '');
    for (const c of columns) await c.controller!.start({ modelId: c.modelId, config, notes: `pretraining comparison: ${COMPARED_MODELS.join(' vs ')}` });
    render();
  }

  function render(only?: Column) {
    for (const c of only ? [only] : columns) {
      const live = c.controller?.live;
      if (!live) continue;
      c.status.className = live.phase === 'failed' ? 'status error' : 'status';
      replace(c.status, live.message);
      c.progress.max = Math.max(1, live.totalSteps);
      c.progress.value = live.progress?.step ?? 0;
      const r = live.result;
      replace(
        c.numbers,
        r
          ? `Before ${fmtPct(r.before.accuracy)} → after ${fmtPct(r.after.accuracy)} accuracy (macro-F1 ${fmtPct(r.before.macroF1)} → ${fmtPct(r.after.macroF1)}), ${r.steps} steps in ${fmtDuration(r.seconds * 1000)}.`
          : `step ${live.progress?.step ?? 0} / ${live.totalSteps || '…'}`,
      );
      replace(c.suites, ...(r?.suites ?? []).map((s) => h('li', null, `${s.name}: ${fmtPct(s.before.accuracy)} → ${fmtPct(s.after.accuracy)}${s.baseline ? ` (bag of words ${fmtPct(s.baseline.accuracy)})` : ''}`)));
      const now = performance.now();
      if (now - c.lastDraw > 200 || !c.controller!.busy) {
        c.lastDraw = now;
        c.chart ??= new LossChart(c.canvas);
        c.chart.set(live.train, live.val, live.best, live.totalSteps);
      }
    }
    startBtn.disabled = busy() || !ctx.dataset;
    cancelBtn.disabled = !busy();
    const [pre, rnd] = columns.map((c) => c.controller?.live?.result);
    if (pre && rnd) {
      // Pretrained minus twin, in points, with its sign.
      const gain = (a: number, b: number) => {
        const d = (a - b) * 100;
        return `${d >= 0 ? '+' : ''}${d.toFixed(1)} points`;
      };
      replace(
        summary,
        h('strong', null, 'Result: '),
        `with the same data and settings, the pretrained model ends at ${fmtPct(pre.after.accuracy)} and its random-weight twin at ${fmtPct(rnd.after.accuracy)} (${gain(pre.after.accuracy, rnd.after.accuracy)} for pretraining) on the held-out split`,
        ...(pre.suites ?? []).flatMap((s) => {
          const other = rnd.suites?.find((x) => x.suiteId === s.suiteId);
          if (!other) return [];
          return [`; on ${s.name}, ${fmtPct(s.after.accuracy)} against ${fmtPct(other.after.accuracy)} (${gain(s.after.accuracy, other.after.accuracy)})`];
        }),
        '.',
      );
    }
    // The step rail's line: progress of both runs together, then the two accuracies.
    const lives = columns.map((c) => c.controller?.live);
    const total = lives.reduce((n, l) => n + (l?.totalSteps ?? 0), 0);
    ctx.bus.emit('compare-live', {
      busy: busy(),
      done: total ? lives.reduce((n, l) => n + (l?.progress?.step ?? 0), 0) / total : 0,
      result: pre && rnd ? { pretrained: pre.after.accuracy, random: rnd.after.accuracy } : undefined,
      failed: lives.some((l) => l?.phase === 'failed' || l?.phase === 'cancelled'),
    });
    // Done: free the two workers' memory; the runs and their adapters are stored.
    if (!busy()) for (const c of columns) if (c.controller?.live?.result || c.controller?.live?.phase === 'failed' || c.controller?.live?.phase === 'cancelled') c.client?.terminate();
  }

  function renderSettings() {
    const cfg = ctx.settings.config;
    replace(settingsLine, `Uses the Train step's settings: ${cfg.method}, ${cfg.epochs} epochs, learning rate ${cfg.lr}, batch ${cfg.batchSize}, seed ${cfg.seed}, on the current dataset (${ctx.dataset ? `${ctx.dataset.splits.train.length} training examples` : 'none yet'}).`);
    startBtn.disabled = busy() || !ctx.dataset;
  }
  ctx.bus.on('settings', renderSettings);
  ctx.bus.on('dataset', renderSettings);
  renderSettings();
  cancelBtn.disabled = true;

  const label = (id: string) => MODEL_OPTIONS.find((m) => m.id === id)?.label ?? id;
  return h(
    'section',
    { class: 'step', id: 'pretraining', attrs: { 'aria-labelledby': 'pretraining-h' } },
    h('h2', { id: 'pretraining-h' }, 'Why pretraining matters'),
    explain('What does this show?', ...TEXT),
    settingsLine,
    h('div', { class: 'row' }, startBtn, cancelBtn),
    summary,
    h(
      'div',
      { class: 'grid2' },
      ...columns.map((c) => h('div', { class: 'card', attrs: { 'data-testid': `compare-${c.modelId}` } }, h('h3', null, label(c.modelId)), c.status, c.progress, c.numbers, c.suites, h('div', { class: 'chart' }, c.canvas))),
    ),
  );
}
