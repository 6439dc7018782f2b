// Step 3: method, hyperparameters, Train / Pause / Resume / Cancel, progress and live curves.
import { h, field, replace, fmtDuration, fmtNum } from '../dom';
import { LossChart, LrChart } from '../charts';
import { TRAIN_CONFIG_HELP, type TrainConfig } from '../../config';
import type { Method } from '../../model/types';
import type { AppContext } from '../context';
import { explain, fold, TEXTS } from './explain';
import { overfitRisk } from '../../guards/overfit';
import { label as backendLabel } from '../../runtime/backend';
import { listDatasets } from '../../store/datasets';
import { describeRunSize, runSize } from '../run-size';

const METHODS: { value: Method; title: string; sentence: string }[] = [
  { value: 'lora', title: 'LoRA', sentence: 'Small low-rank adapters beside the attention weights, plus the head: most of full fine-tuning\'s gain for a fraction of the parameters.' },
  { value: 'head', title: 'Head only', sentence: 'Only the final classifier trains on top of the frozen model: fastest, cannot forget, learns least.' },
  { value: 'full', title: 'Full fine-tuning', sentence: 'Every weight trains: the most capacity, the most memory, and the biggest risk of overfitting and forgetting.' },
];

type NumKey = { [K in keyof TrainConfig]: TrainConfig[K] extends number ? K : never }[keyof TrainConfig];
type BooleanSetting = { [K in keyof TrainConfig]: TrainConfig[K] extends boolean ? K : never }[keyof TrainConfig];
/** `essential`: shown with the method and the Train button; the others are folded under "Advanced". */
const NUM_FIELDS: { key: NumKey; label: string; step: string; min: number; max?: number; essential?: boolean; loraOnly?: boolean; mitigation?: boolean }[] = [
  { key: 'epochs', label: 'Epochs', step: '1', min: 1, max: 100, essential: true },
  { key: 'lr', label: 'Learning rate', step: 'any', min: 0, essential: true },
  { key: 'batchSize', label: 'Batch size', step: '1', min: 1, max: 256 },
  { key: 'maxLen', label: 'Max tokens', step: '1', min: 8, max: 512 },
  { key: 'warmupRatio', label: 'Warm-up share', step: '0.01', min: 0, max: 1 },
  { key: 'weightDecay', label: 'Weight decay', step: 'any', min: 0 },
  { key: 'maxGradNorm', label: 'Gradient clip', step: 'any', min: 0 },
  { key: 'seed', label: 'Seed', step: '1', min: 0 },
  { key: 'loraR', label: 'LoRA rank r', step: '1', min: 1, max: 256, loraOnly: true },
  { key: 'loraAlpha', label: 'LoRA alpha', step: 'any', min: 0, loraOnly: true },
  { key: 'loraDropout', label: 'LoRA dropout', step: '0.05', min: 0, max: 0.9, loraOnly: true },
  { key: 'patience', label: 'Patience', step: '1', min: 1, max: 20 },
  { key: 'rehearsal', label: 'Rehearsal weight', step: '0.1', min: 0, max: 10, mitigation: true },
  { key: 'mixShare', label: 'Mixed-data share', step: '0.05', min: 0, max: 1, mitigation: true },
];

/** The forgetting mitigations, one sentence each (issue: shown next to the controls that turn them on). */
const MITIGATIONS = [
  'Lower learning rate: smaller steps move the base model less.',
  'Fewer epochs: less time to drift away from what the base model knew.',
  'Rehearsal: each step also pulls the embeddings of 32 everyday sentences back to where the base model put them.',
  'Mixed data: examples from an earlier dataset with the same labels are trained on again, so that skill is kept.',
  'LoRA: the base weights never change, so detaching the adapter restores the base model exactly (the forgetting check shows it).',
];

export function trainPanel(ctx: AppContext): HTMLElement {
  const cfg = ctx.settings.config;
  const methodGroup = h('fieldset', { class: 'methods' }, h('legend', null, 'Method'));
  const methodHelp = h('p', { class: 'muted', attrs: { 'data-testid': 'method-help' } });
  for (const m of METHODS) {
    const input = h('input', { attrs: { type: 'radio', name: 'method', value: m.value, id: `method-${m.value}` } });
    input.checked = cfg.method === m.value;
    input.addEventListener('change', () => {
      cfg.method = m.value;
      ctx.saveSettings();
      renderSettings();
    });
    methodGroup.append(h('label', { attrs: { for: `method-${m.value}` }, title: m.sentence }, input, ` ${m.title} `));
  }

  const numInputs = new Map<NumKey, HTMLInputElement>();
  const loraFields: HTMLElement[] = [];
  const essentials = h('div', { class: 'row' });
  const fields = h('div', { class: 'row' });
  const mitigationFields = h('div', { class: 'row' });
  for (const f of NUM_FIELDS) {
    const input = h('input', { attrs: { type: 'number', step: f.step, min: f.min, max: f.max, inputmode: 'decimal' } });
    input.value = String(cfg[f.key]);
    input.addEventListener('change', () => {
      const v = Number(input.value);
      if (!Number.isFinite(v) || v < f.min || (f.max !== undefined && v > f.max)) {
        input.setCustomValidity(`${f.label} must be between ${f.min} and ${f.max ?? '∞'}.`);
        input.reportValidity();
        return;
      }
      input.setCustomValidity('');
      (cfg[f.key] as number) = v;
      ctx.saveSettings();
      renderSettings();
    });
    numInputs.set(f.key, input);
    const wrap = field(f.label, input, TRAIN_CONFIG_HELP[f.key]);
    if (f.loraOnly) loraFields.push(wrap);
    (f.essential ? essentials : f.mitigation ? mitigationFields : fields).append(wrap);
  }
  const targets = h('input', { attrs: { type: 'text' } });
  targets.value = cfg.loraTargets.join(', ');
  targets.addEventListener('change', () => {
    cfg.loraTargets = targets.value.split(',').map((s) => s.trim()).filter(Boolean);
    ctx.saveSettings();
  });
  const targetsField = field('LoRA target modules', targets, TRAIN_CONFIG_HELP.loraTargets);
  loraFields.push(targetsField);
  fields.append(targetsField);
  // A checkbox bound to one on/off setting: ticking it saves the settings.
  const toggles: [HTMLInputElement, BooleanSetting][] = [];
  const toggle = (key: BooleanSetting, id: string, text: string) => {
    const input = h('input', { attrs: { type: 'checkbox', id } });
    input.checked = cfg[key];
    input.addEventListener('change', () => {
      cfg[key] = input.checked;
      ctx.saveSettings();
    });
    toggles.push([input, key]);
    return h('div', { class: 'field' }, h('label', { attrs: { for: id }, title: TRAIN_CONFIG_HELP[key] }, input, ` ${text}`));
  };
  const tokensField = toggle('trainTokens', 'train-tokens', "Train the embeddings of your data's words");
  loraFields.push(tokensField);
  essentials.append(tokensField);
  fields.append(toggle('earlyStopping', 'early-stopping', 'Early stopping (keep the best epoch)'));
  fields.append(toggle('readWhole', 'read-whole', 'Read long texts whole when evaluating and predicting'));

  // Mixed data: an earlier stored dataset whose labels this one has.
  const mixSelect = h('select', { id: 'mix-from' });
  mixSelect.addEventListener('change', () => {
    cfg.mixFrom = mixSelect.value;
    ctx.saveSettings();
  });
  mitigationFields.append(field('Mix in earlier dataset', mixSelect, TRAIN_CONFIG_HELP.mixFrom));
  async function renderMixOptions() {
    const current = ctx.dataset;
    const others = (await listDatasets(ctx.db)).filter((d) => d.hash !== current?.hash).sort((a, b) => b.created - a.created);
    const fits = (labels: string[]) => !current || labels.some((l) => current.splits.labels.includes(l));
    replace(
      mixSelect,
      h('option', { attrs: { value: '' } }, 'none'),
      ...others.map((d) => h('option', { attrs: { value: d.hash, disabled: !fits(d.labels) } }, `${d.name} (${d.total} examples; ${d.labels.join(', ')})${fits(d.labels) ? '' : ' — no shared labels'}`)),
    );
    mixSelect.value = others.some((d) => d.hash === cfg.mixFrom) ? cfg.mixFrom : '';
  }
  const mitigations = h(
    'div',
    { attrs: { 'data-testid': 'mitigations' } },
    h('h3', null, 'Against forgetting'),
    h('ul', null, ...MITIGATIONS.map((m) => h('li', null, m))),
    mitigationFields,
  );

  const risk = h('ul', { class: 'warnings', attrs: { 'data-testid': 'risk' } });
  const trainBtn = h('button', { on: { click: () => void ctx.runs.start().catch(showError) } }, 'Train');
  const pauseBtn = h('button', { class: 'secondary', on: { click: () => ctx.runs.pause() } }, 'Pause');
  const resumeBtn = h('button', { class: 'secondary', on: { click: () => ctx.runs.resume() } }, 'Resume');
  const cancelBtn = h('button', { class: 'secondary', on: { click: () => ctx.runs.cancel() } }, 'Cancel');
  const retryBtn = h('button', { class: 'secondary', on: { click: () => void ctx.runs.retryStorage() } }, 'Retry saving');
  const status = h('p', { class: 'status', attrs: { 'data-testid': 'run-status', role: 'status', 'aria-live': 'polite' } }, 'Ready. Press Train to start.');
  const waiting = h('p', { class: 'muted', attrs: { 'data-testid': 'queue-waiting' } });
  async function renderWaiting() {
    const n = await ctx.jobs.waiting();
    replace(waiting, n ? `${n} more run${n === 1 ? '' : 's'} waiting in the queue (the Runs step lists them, with Pause and Cancel).` : '');
  }
  const progress = h('progress', { attrs: { max: 1, value: 0, 'aria-label': 'Training progress' } });
  const stats = h('div', { class: 'stats', attrs: { 'data-testid': 'run-stats' } });
  const overfit = h('ul', { class: 'warnings', attrs: { 'data-testid': 'overfit' } });
  const lossCanvas = h('canvas', { attrs: { 'aria-label': 'Training and validation loss by step', role: 'img' } });
  const lrCanvas = h('canvas', { attrs: { 'aria-label': 'Learning-rate schedule by step', role: 'img' } });
  // Shown from the first run on (an empty chart is only a blank square).
  const charts = h('div', { class: 'grid2' }, h('div', { class: 'chart' }, lossCanvas), h('div', { class: 'chart' }, lrCanvas));
  charts.hidden = true;
  let lossChart: LossChart | null = null;
  let lrChart: LrChart | null = null;

  function showError(e: unknown) {
    status.className = 'status error';
    replace(status, e instanceof Error ? e.message : String(e));
  }

  // What the next run with these settings trains (src/ui/run-size.ts), and the overfitting risk it carries.
  const sizeLine = h('p', { class: 'muted', attrs: { 'data-testid': 'run-size' } });
  let sizeTicket = 0;
  function renderSettings() {
    replace(methodHelp, METHODS.find((m) => m.value === cfg.method)!.sentence);
    loraFields.forEach((f) => (f.style.display = cfg.method === 'lora' ? '' : 'none'));
    const ticket = ++sizeTicket;
    void runSize(ctx).then((size) => {
      if (ticket !== sizeTicket) return;
      replace(sizeLine, size ? describeRunSize(size) : '');
      const n = ctx.dataset?.splits.train.length ?? 0;
      const w = n ? overfitRisk(n, size?.total ?? estimateTrainable(cfg), cfg.epochs, cfg.method, size?.tokens ?? 0) : null;
      replace(risk, w ? h('li', null, h('strong', null, 'Overfitting risk: '), w.message, w.suggestions.length ? ` What helps: ${w.suggestions.join('; ')}.` : '') : null);
    });
  }

  // Where the worker cannot count (a hub model not downloaded yet), a rough figure from the method.
  function estimateTrainable(c: TrainConfig): number {
    return c.method === 'head' ? 1000 : c.method === 'lora' ? 20_000 : 5_000_000;
  }

  let lastDraw = 0;
  function renderLive() {
    const live = ctx.runs.live;
    const busy = ctx.runs.busy;
    // With a queue, Train while a run trains adds the new run to the queue (the Runs step lists it).
    trainBtn.disabled = !ctx.dataset || (busy && !ctx.runs.queues);
    trainBtn.title = busy && ctx.runs.queues ? 'Adds a run with these settings to the queue: it starts when this one ends.' : '';
    pauseBtn.disabled = live?.phase !== 'training';
    resumeBtn.disabled = live?.phase !== 'paused';
    cancelBtn.disabled = !busy && live?.phase !== 'queued';
    retryBtn.hidden = !live?.storageProblem;
    if (!live) return;
    charts.hidden = false;
    status.className = live.phase === 'failed' ? 'status error' : 'status';
    replace(status, live.message);
    const p = live.progress;
    progress.max = Math.max(1, live.totalSteps);
    progress.value = p?.step ?? 0;
    const eta = p && p.step > 0 ? (p.elapsedMs / p.step) * (live.totalSteps - p.step) : NaN;
    replace(
      stats,
      h('span', null, `step ${p?.step ?? 0} / ${live.totalSteps || '…'}`),
      h('span', null, `elapsed ${fmtDuration(p?.elapsedMs ?? 0)}`),
      h('span', null, `ETA ${fmtDuration(eta)}`),
      h('span', null, `${(p?.examplesPerSec ?? 0).toFixed(1)} examples/s`),
      h('span', null, `${fmtNum(Math.round(p?.tokensPerSec ?? 0))} tokens/s`),
      live.trainableParams !== undefined && live.totalParams
        ? h('span', null, `trainable ${fmtNum(live.trainableParams)} of ${fmtNum(live.totalParams)} parameters (${((100 * live.trainableParams) / live.totalParams).toFixed(2)} %)`)
        : null,
      h('span', null, `backend ${ctx.backend ? backendLabel(ctx.backend.backend) : '…'}`),
    );
    replace(overfit, live.overfit ? h('li', null, live.overfit) : null, live.storageProblem ? h('li', { class: 'bad' }, live.storageProblem) : null);
    // Charts redraw at most 5 times a second: drawing is the page's main cost while training.
    const now = performance.now();
    if (now - lastDraw > 200 || !busy) {
      lastDraw = now;
      lossChart ??= new LossChart(lossCanvas);
      lrChart ??= new LrChart(lrCanvas);
      lossChart.set(live.train, live.val, live.best, live.totalSteps);
      lrChart.set(live.lr);
    }
  }

  // Another step (the Model step applies a model's defaults) may change any setting: show the values the next run
  // will use.
  ctx.bus.on('settings', () => {
    for (const [key, input] of numInputs) if (document.activeElement !== input) input.value = String(cfg[key]);
    if (document.activeElement !== targets) targets.value = cfg.loraTargets.join(', ');
    for (const [input, key] of toggles) input.checked = cfg[key];
    for (const input of methodGroup.querySelectorAll<HTMLInputElement>('input[name=method]')) input.checked = input.value === cfg.method;
    renderSettings();
  });
  ctx.bus.on('run-live', renderLive);
  ctx.bus.on('jobs', () => void renderWaiting());
  ctx.bus.on('dataset', () => {
    renderSettings();
    renderLive();
    void renderMixOptions();
  });
  void renderMixOptions();
  renderSettings();
  renderLive();

  return h(
    'section',
    { class: 'step', id: 'train', attrs: { 'aria-labelledby': 'train-h' } },
    h('h2', { id: 'train-h' }, h('span', { class: 'num' }, '3'), 'Train'),
    explain('What is happening?', ...TEXTS.train),
    methodGroup,
    methodHelp,
    essentials,
    sizeLine,
    fold('Advanced: batch, tokens, schedule, seed, LoRA, early stopping, against forgetting', fields, mitigations),
    risk,
    h('div', { class: 'row' }, trainBtn, pauseBtn, resumeBtn, cancelBtn, retryBtn),
    status,
    waiting,
    progress,
    stats,
    overfit,
    charts,
  );
}
