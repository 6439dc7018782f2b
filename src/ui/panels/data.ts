// Step 1: the built-in email demo (size, seed) or an imported file (drag and drop or picker): a preview of the
// first rows, the label distribution, and the warnings that teach. The dataset is stored before training.
import { h, field, replace, fmtNum } from '../dom';
import { BarChart } from '../charts';
import type { AppContext } from '../context';
import { explain, fold, TEXTS } from './explain';
import { generateEmails, EMAIL_INSTRUCTION, toChatJsonl } from '../../data/synth';
import { toCsv } from '../../data/export';
import { download } from '../export';
import { importFileInWorker } from '../import-client';
import { activateDataset, SPLIT_SEED } from '../dataset-loader';
import { validateDataset } from '../../data/validate';
import { splitDataset } from '../../data/split';
import { modelRef } from '../../model/catalogue';
import { isModelAtHand } from '../../model/cache';
import type { Example } from '../../domain';
import type { ImportError } from '../../data/import';

export function dataPanel(ctx: AppContext): HTMLElement {
  const count = h('input', { attrs: { type: 'range', min: 200, max: 20000, step: 100 } });
  const countOut = h('output', { attrs: { for: 'demo-count' } });
  const seed = h('input', { attrs: { type: 'number', min: 0, step: 1 } });
  count.id = 'demo-count';
  count.value = String(ctx.settings.demoCount);
  seed.value = String(ctx.settings.demoSeed);
  const useDemo = h('button', { on: { click: () => void loadDemo() } }, 'Use the demo emails');
  const current = () => (ctx.dataset ? [...ctx.dataset.splits.train, ...ctx.dataset.splits.validation, ...ctx.dataset.splits.test] : []);
  const exportJsonl = h('button', { class: 'secondary', on: { click: () => ctx.dataset && download(`${slug(ctx.dataset.name)}.jsonl`, toChatJsonl(current(), ctx.dataset.instruction ?? EMAIL_INSTRUCTION), 'application/jsonl') } }, 'Export JSONL');
  const exportCsv = h('button', { class: 'secondary', on: { click: () => ctx.dataset && download(`${slug(ctx.dataset.name)}.csv`, toCsv(current()), 'text/csv') } }, 'Export CSV');
  const fileInput = h('input', { attrs: { type: 'file', accept: '.jsonl,.json,.csv,.tsv,.txt' } });
  const skipBad = h('input', { attrs: { type: 'checkbox', id: 'skip-bad' } });
  const drop = h('div', { class: 'drop', attrs: { 'data-testid': 'drop-zone' } }, 'Drop a chat JSONL, CSV/TSV or JSON file here, or ', h('label', { attrs: { for: 'file-input' } }, h('u', null, 'choose one')), '.');
  fileInput.id = 'file-input';
  fileInput.className = 'sr-only';
  const status = h('p', { class: 'status', attrs: { role: 'status', 'aria-live': 'polite', 'data-testid': 'dataset-summary' } }, 'No dataset yet.');
  const importProgress = h('progress', { attrs: { max: 1, value: 0, 'aria-label': 'Import progress' }, style: { display: 'none' } });
  const errors = h('div', { attrs: { 'data-testid': 'import-errors' } });
  const warnings = h('ul', { class: 'warnings', attrs: { 'data-testid': 'warnings' } });
  const preview = h('div', { class: 'table-wrap', attrs: { 'data-testid': 'preview' } });
  const chartCanvas = h('canvas', { attrs: { role: 'img', 'aria-label': 'Examples per label' } });
  let chart: BarChart | null = null;

  const syncCount = () => replace(countOut, `${fmtNum(Number(count.value))} emails`);
  count.addEventListener('input', syncCount);
  count.addEventListener('change', () => {
    ctx.settings.demoCount = Number(count.value);
    ctx.saveSettings();
  });
  seed.addEventListener('change', () => {
    ctx.settings.demoSeed = Math.max(0, Math.round(Number(seed.value) || 0));
    ctx.saveSettings();
  });
  syncCount();

  async function loadDemo() {
    replace(errors);
    replace(status, 'Generating the demo emails…');
    const examples = generateEmails({ count: ctx.settings.demoCount, seed: ctx.settings.demoSeed });
    await use(examples, { name: `demo emails (${ctx.settings.demoCount}, seed ${ctx.settings.demoSeed})`, sourceFile: 'built-in generator', format: 'generated', instruction: EMAIL_INSTRUCTION });
  }

  async function importFile(file: File) {
    replace(errors);
    importProgress.style.display = '';
    replace(status, `Reading ${file.name}…`);
    try {
      const res = await importFileInWorker(file, { skipBadLines: skipBad.checked }, (done, total) => {
        importProgress.max = Math.max(1, total);
        importProgress.value = done;
      });
      if (res.refused) {
        replace(status, `${file.name} was not stored: ${res.refused}`);
        showErrors(file.name, res.errors);
        return;
      }
      if (res.errors.length && !skipBad.checked) {
        replace(status, `${file.name} has ${res.errors.length} error${res.errors.length === 1 ? '' : 's'}; nothing was stored. Fix them, or tick "Skip bad lines".`);
        showErrors(file.name, res.errors);
        return;
      }
      if (res.skipped) showErrors(file.name, res.errors, `${res.skipped} bad line${res.skipped === 1 ? ' was' : 's were'} skipped:`);
      await use(res.examples, { name: file.name, sourceFile: file.name, format: res.format, instruction: res.instruction });
    } catch (e) {
      replace(status, `${file.name} could not be read: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      importProgress.style.display = 'none';
    }
  }

  function showErrors(file: string, list: ImportError[], title?: string) {
    // Grouped by message, counted, with the first lines of each: readable even with thousands of errors.
    const groups = new Map<string, number[]>();
    for (const e of list) {
      const key = `${e.field ? `${e.field}: ` : ''}${e.message}`;
      groups.set(key, [...(groups.get(key) ?? []), e.line]);
    }
    replace(
      errors,
      title ? h('p', null, title) : null,
      h('ul', { class: 'warnings errors' }, ...[...groups].map(([msg, lines]) => h('li', null, `${file}: ${msg} — ${lines.length} line${lines.length === 1 ? '' : 's'} (${lines.slice(0, 8).map((l) => `line ${l}`).join(', ')}${lines.length > 8 ? ', …' : ''})`))),
    );
  }

  let shown: Example[] = [];
  let refine = 0;
  // Token counts depend on the texts and the tokenizer only: a settings change (max tokens) re-checks them
  // without asking the worker to tokenise every text again.
  let counted: { examples: Example[]; modelId: string; byText: Map<string, number>; split: ReturnType<typeof splitDataset> } | null = null;
  /** The word-count estimate of "too long" replaced by the selected model's own tokenizer, when it is at hand
   * (bundled or cached: counting must not start a 100 MB download). */
  async function refineWarnings() {
    const examples = shown;
    const modelId = ctx.settings.modelId;
    if (counted?.examples !== examples || counted.modelId !== modelId) {
      if (!examples.length || !(await isModelAtHand(modelId))) return;
      const ticket = ++refine;
      const counts = await ctx.client.countTokens(modelRef(modelId, location.href), examples.map((e) => e.text)).catch(() => null);
      if (!counts || ticket !== refine || examples !== shown) return;
      counted = { examples, modelId, byText: new Map(examples.map((e, i) => [e.text, counts[i]])), split: splitDataset(examples, { seed: SPLIT_SEED }) };
    }
    const { byText, split } = counted;
    const report = validateDataset(examples, { maxLen: ctx.settings.config.maxLen, countTokens: (t) => byText.get(t) ?? 0, splits: split });
    replace(warnings, ...report.warnings.map((w) => h('li', null, h('strong', null, w.message), ' ', w.why)));
  }
  ctx.bus.on('model', () => void refineWarnings());
  ctx.bus.on('settings', () => void refineWarnings());

  async function use(examples: Example[], meta: { name: string; sourceFile: string; format: string; instruction?: string }) {
    const { dataset, report } = await activateDataset(ctx, examples, meta);
    shown = examples;
    const labels = dataset.splits.labels;
    const counts = labels.map((l) => examples.filter((e) => e.label === l).length);
    replace(
      status,
      `${meta.name}: ${fmtNum(examples.length)} examples, ${labels.length} labels — ${dataset.splits.train.length} train / ${dataset.splits.validation.length} validation / ${dataset.splits.test.length} test. Version `,
      h('code', { title: dataset.hash }, dataset.hash.slice(0, 12)),
      '.',
    );
    replace(warnings, ...report.warnings.map((w) => h('li', null, h('strong', null, w.message), ' ', w.why)));
    replace(
      preview,
      h(
        'table',
        null,
        h('caption', null, 'First rows'),
        h('thead', null, h('tr', null, h('th', null, '#'), h('th', null, 'text'), h('th', null, 'label'))),
        h('tbody', null, ...examples.slice(0, 8).map((e, i) => h('tr', null, h('td', { class: 'num' }, i + 1), h('td', { class: 'text' }, h('div', { class: 'clamp' }, e.text)), h('td', null, e.label)))),
      ),
    );
    chart ??= new BarChart(chartCanvas, 'examples');
    chart.set(labels, counts);
    void refineWarnings();
  }

  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) void importFile(f);
    fileInput.value = '';
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) void importFile(f);
  });

  // The page opens ready to train: the demo dataset from the URL's settings.
  queueMicrotask(() => void loadDemo());

  return h(
    'section',
    { class: 'step', id: 'data', attrs: { 'aria-labelledby': 'data-h' } },
    h('h2', { id: 'data-h' }, h('span', { class: 'num' }, '1'), 'Data'),
    explain('What is the data for?', ...TEXTS.data),
    h('div', { class: 'row' }, field('Demo size', count), countOut, useDemo),
    h('div', { class: 'row' }, drop, fileInput),
    fold(
      'Advanced: demo seed, bad lines, export',
      h('div', { class: 'row' }, field('Demo seed', seed), h('label', { attrs: { for: 'skip-bad' } }, skipBad, ' Skip bad lines when importing'), exportJsonl, exportCsv),
    ),
    importProgress,
    status,
    errors,
    warnings,
    h('div', { class: 'grid2' }, preview, h('div', { class: 'chart small' }, chartCanvas)),
  );
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'dataset';
}
