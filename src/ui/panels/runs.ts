// Step 6: every run is a version. List, resume, compare, delete, export.
import { DEFAULT_DRIFT_LIMIT, isForgetting } from '../../guards/forgetting';
import { DRIFT_KEY, driftLimit } from '../drift-limit';
import { h, replace, field, fmtPct, fmtDuration } from '../dom';
import type { AppContext } from '../context';
import { explain, fold, TEXTS } from './explain';
import { listRuns, deleteRun, type RunRecord } from '../../store/runs';
import { listCheckpoints } from '../../store/checkpoints';
import { fixedAndBroken } from '../../train/metrics';
import { examplesTable } from './evaluate';
import { exportRunZip, exportBiggerMachineZip, importAdapterZip } from '../export';
import { promote, changeLog } from '../../store/versions';
import { listSuites } from '../../store/suites';
import { queueView } from './queue';


export function runsPanel(ctx: AppContext): HTMLElement {
  const limit = h('input', { attrs: { type: 'number', min: 0, max: 2, step: 0.01 } });
  limit.value = String(driftLimit());
  limit.addEventListener('change', () => {
    localStorage.setItem(DRIFT_KEY, String(Math.max(0, Number(limit.value) || DEFAULT_DRIFT_LIMIT)));
    ctx.bus.emit('runs');
  });
  const table = h('table', { attrs: { 'data-testid': 'runs-table' } });
  const compareOut = h('div', { attrs: { 'data-testid': 'compare' } });
  /** The two runs compareOut shows the examples of, older first, as "id id". */
  let comparedPair = '';
  const selected = new Set<string>();
  const history = h('div', { attrs: { 'data-testid': 'version-history' } });
  const adapterInput = h('input', { attrs: { type: 'file', accept: '.zip', 'aria-label': 'Import a PEFT adapter (zip)' } });
  adapterInput.addEventListener('change', async () => {
    const f = adapterInput.files?.[0];
    adapterInput.value = '';
    if (!f) return;
    replace(message, `Evaluating ${f.name} on the test split…`);
    try {
      await importAdapterZip(ctx, f);
      replace(message, `${f.name} imported as a run: compare it with the others below.`);
      ctx.bus.emit('runs');
    } catch (e) {
      replace(message, `${f.name} was not imported: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
  const tol = h('input', { attrs: { type: 'number', min: 0, max: 100, step: 0.5 } });
  tol.value = '1';
  const message = h('p', { class: 'muted', attrs: { role: 'status' } });

  async function render() {
    const runs = (await listRuns(ctx.db)).sort((a, b) => b.created - a.created);
    const counts = await Promise.all(runs.map((r) => listCheckpoints(ctx.db, r.id).then((c) => c.length)));
    const limitNow = driftLimit(); // read once per redraw, not per row
    replace(
      table,
      h('caption', null, runs.length ? `${runs.length} run${runs.length === 1 ? '' : 's'} stored in this browser` : 'No runs yet.'),
      h('thead', null, h('tr', null, ...['compare', 'date', 'status', 'dataset', 'model', 'method', 'before', 'after', 'baseline', 'time', 'adapter', 'actions'].map((t) => h('th', null, t)))),
      h(
        'tbody',
        null,
        ...runs.map((r, i) => {
          const box = h('input', { attrs: { type: 'checkbox', 'aria-label': `Select run from ${new Date(r.created).toLocaleString()} for comparison` } });
          box.checked = selected.has(r.id);
          box.addEventListener('change', () => {
            if (box.checked) selected.add(r.id);
            else selected.delete(r.id);
            void renderCompare(runs);
          });
          // A job's run is steered through its job (the queue below); a run from before jobs resumes from its checkpoint.
          const canResume = !r.jobId && ['interrupted', 'cancelled', 'paused'].includes(r.status) && counts[i] > 0 && !ctx.runs.busy;
          const jobAction = (label: string, fn: (id: string) => Promise<unknown>) =>
            h('button', { class: 'secondary', attrs: { 'aria-label': `${label} run from ${new Date(r.created).toLocaleString()}` }, on: { click: () => void fn(r.jobId!).catch((e) => replace(message, String(e))) } }, label);
          return h(
            'tr',
            null,
            h('td', null, box),
            h('td', null, new Date(r.created).toLocaleString()),
            h('td', null, h('span', { class: `badge ${r.status === 'completed' ? 'good' : r.status === 'failed' ? 'bad' : 'warn'}` }, r.status), counts[i] ? ` · ${counts[i]} checkpoint${counts[i] === 1 ? '' : 's'}` : ''),
            h('td', null, `${r.datasetName ?? ''} `, h('code', { title: r.datasetHash }, r.datasetHash.slice(0, 8))),
            h('td', null, r.modelId),
            h('td', null, r.method + (r.method === 'lora' ? ` r=${r.config.loraR}` : ''), h('br'), h('small', { class: 'muted' }, `lr ${r.config.lr}, ${r.config.epochs} ep, seed ${r.seed}`)),
            h('td', { class: 'num' }, fmtPct(r.before?.accuracy)),
            h(
              'td',
              { class: 'num' },
              fmtPct(r.after?.accuracy),
              r.forgetting && isForgetting(r.forgetting, limitNow)
                ? h('span', { class: 'badge bad', title: `Embedding drift ${r.forgetting.meanDrift.toFixed(3)} is above your limit of ${limitNow}` }, ' forgetting')
                : null,
            ),
            h('td', { class: 'num', title: 'TF-IDF + logistic regression on the same splits' }, fmtPct(r.baseline?.accuracy)),
            h('td', { class: 'num' }, fmtDuration(r.elapsedMs)),
            h('td', null, r.adapterSha256 ? h('code', { title: r.adapterSha256 }, r.adapterSha256.slice(0, 10)) : '—'),
            h(
              'td',
              null,
              canResume ? h('button', { on: { click: () => void ctx.runs.resumeStored(r.id).catch((e) => replace(message, String(e))) } }, 'Resume') : null,
              r.jobId && r.status === 'paused' ? jobAction('Resume', (id) => ctx.jobs.resume(id)) : null,
              r.jobId && ['queued', 'running', 'paused'].includes(r.status) ? jobAction('Cancel', (id) => ctx.jobs.cancel(id)) : null,
              r.status === 'completed' && !r.promotedAt
                ? h('button', { class: 'secondary', attrs: { 'aria-label': `Promote run from ${new Date(r.created).toLocaleString()}` }, on: { click: () => void tryPromote(r) } }, 'Promote')
                : r.promotedAt
                  ? h('span', { class: 'badge good' }, 'promoted')
                  : null,
              ' ',
              h('button', { class: 'secondary', attrs: { 'aria-label': `Export run from ${new Date(r.created).toLocaleString()}` }, on: { click: () => void exportRunZip(ctx.db, r).catch((e) => replace(message, String(e))) } }, 'Export'),
              ' ',
              h('button', { class: 'secondary', title: 'A zip with train.py for transformers + peft under accelerate, the same settings and the pinned splits', on: { click: async () => exportBiggerMachineZip(r, await ctx.loadSplits(r.datasetHash)).catch((e) => replace(message, String(e))) } }, 'Bigger machine…'),
              ' ',
              h(
                'button',
                {
                  class: 'secondary',
                  attrs: { 'aria-label': `Delete run from ${new Date(r.created).toLocaleString()}` },
                  on: {
                    click: async () => {
                      if ((ctx.runs.live?.runId === r.id && ctx.runs.busy) || (r.jobId && ['queued', 'running', 'paused'].includes(r.status))) return replace(message, 'Cancel the run before deleting it.');
                      if (!confirm(`Delete this run (${r.method} on ${r.modelId}) and its checkpoints? This cannot be undone.`)) return;
                      await deleteRun(ctx.db, r.id);
                      if (r.jobId) await ctx.jobs.forgetModel(r.jobId);
                      selected.delete(r.id);
                      ctx.bus.emit('runs');
                    },
                  },
                },
                'Delete',
              ),
            ),
          );
        }),
      ),
    );
    await renderCompare(runs);
    await renderHistory(runs);
  }

  async function tryPromote(r: RunRecord) {
    const tolerance = Number(tol.value) / 100;
    const d = await promote(ctx.db, r.id, tolerance);
    if (d.ok) replace(message, `Promoted: this run is now the current version of its dataset.`);
    else {
      const splits = await ctx.loadSplits(r.datasetHash);
      // The broken examples' texts come from the suite they were broken on.
      const first = d.regressions[0];
      const suiteTexts = first && first.suite !== 'test split' ? (await listSuites(ctx.db, r.datasetHash)).find((s) => `suite "${s.name}"` === first.suite)?.examples : splits.test;
      replace(
        message,
        h('strong', null, 'Not promoted. '),
        ...d.regressions.map((g) => `On the ${g.suite}, ${g.metric} falls from ${fmtPct(g.promoted)} to ${fmtPct(g.candidate)} (tolerance ${tol.value} points). `),
        d.missing.length ? `Not evaluated on: ${d.missing.join(', ')}. ` : '',
        d.regressions[0]?.broken.length
          ? h('span', null, `Examples the current version gets right and this run gets wrong: `, ...d.regressions[0].broken.slice(0, 5).map((i) => h('q', null, suiteTexts?.[i]?.text.slice(0, 80) ?? `#${i}`)), d.regressions[0].broken.length > 5 ? ` and ${d.regressions[0].broken.length - 5} more.` : '')
          : null,
      );
    }
    ctx.bus.emit('runs');
  }

  async function renderHistory(runs: RunRecord[]) {
    const hashes = [...new Set(runs.filter((r) => r.promotedAt).map((r) => r.datasetHash))];
    const blocks = await Promise.all(
      hashes.map(async (hash) => {
        const log = await changeLog(ctx.db, hash);
        return h('div', { class: 'card' }, h('h3', null, `Versions of dataset ${hash.slice(0, 12)}`), h('ol', null, ...log.map((e) => h('li', null, h('strong', null, e.summary), ` — ${new Date(e.date).toLocaleString()}: `, e.changes.join('; ')))));
      }),
    );
    replace(history, ...blocks);
  }

  async function renderCompare(runs: RunRecord[]) {
    const picked = runs.filter((r) => selected.has(r.id));
    if (picked.length !== 2) return replace(compareOut, h('p', { class: 'muted' }, 'Tick two runs to compare them.'));
    const [a, b] = picked.sort((x, y) => x.created - y.created);
    if (!a.after || !b.after) return replace(compareOut, h('p', null, 'Both runs need to be completed to compare them.'));
    if (a.datasetHash !== b.datasetHash) return replace(compareOut, h('p', null, 'These runs used different dataset versions, so their test examples differ: compare metrics only.'), metricDeltas(a, b));
    const splits = await ctx.loadSplits(a.datasetHash);
    const labels = b.after.perClass.map((c) => c.label);
    const truth = splits.test.map((e) => labels.indexOf(e.label));
    const { fixed, broken } = fixedAndBroken(truth, a.after.predictions, b.after.predictions);
    const examples = fold(
      `The examples: ${fixed.length} fixed and ${broken.length} broken by the newer run`,
      h('div', { class: 'grid2' }, examplesTable(fixed, splits.test, b.after.predictions, labels, 'Fixed by the newer run', 8), examplesTable(broken, splits.test, b.after.predictions, labels, 'Broken by the newer run', 8)),
    );
    // Every change to the runs redraws this (a queued job starting or ending): the same pair's examples stay open
    // if the user had opened them.
    const pair = `${a.id} ${b.id}`;
    examples.open = comparedPair === pair && compareOut.querySelector('details')?.open === true;
    comparedPair = pair;
    replace(compareOut, h('h3', null, `Older run (${new Date(a.created).toLocaleString()}) → newer run (${new Date(b.created).toLocaleString()})`), metricDeltas(a, b), examples);
  }

  function metricDeltas(a: RunRecord, b: RunRecord): HTMLElement {
    const row = (name: string, x: number, y: number) => h('tr', null, h('td', null, name), h('td', { class: 'num' }, fmtPct(x)), h('td', { class: 'num' }, fmtPct(y)), h('td', { class: `num ${y >= x ? 'good' : 'bad'}` }, `${y >= x ? '+' : ''}${((y - x) * 100).toFixed(1)} points`));
    return h(
      'table',
      { attrs: { 'data-testid': 'compare-metrics' } },
      h('thead', null, h('tr', null, h('th', null, 'metric'), h('th', null, 'older'), h('th', null, 'newer'), h('th', null, 'change'))),
      h(
        'tbody',
        null,
        row('accuracy', a.after!.accuracy, b.after!.accuracy),
        row('macro-F1', a.after!.macroF1, b.after!.macroF1),
        a.baseline && b.baseline ? row('accuracy above the bag-of-words baseline', a.after!.accuracy - a.baseline.accuracy, b.after!.accuracy - b.baseline.accuracy) : null,
      ),
    );
  }


  ctx.bus.on('runs', () => void render());
  void render();
  return h(
    'section',
    { class: 'step', id: 'runs', attrs: { 'aria-labelledby': 'runs-h' } },
    h('h2', { id: 'runs-h' }, h('span', { class: 'num' }, '6'), 'Runs'),
    explain('Why keep every version?', ...TEXTS.runs),
    message,
    h('div', { class: 'table-wrap' }, table),
    queueView(ctx),
    compareOut,
    history,
    fold(
      'Advanced: forgetting limit, promotion tolerance, import an adapter',
      h(
        'div',
        { class: 'row' },
        field('Flag forgetting when embedding drift exceeds', limit, 'Runs whose tuned encoder moved further than this from the base model (mean 1 − cosine on general sentences) are flagged.'),
        field('Promotion tolerance (accuracy points)', tol, 'A run is promoted only if it is no worse than the current version by more than this on every evaluation suite (Evaluate step: your own evaluation files).'),
        field('Import a PEFT adapter (zip) as a run', adapterInput, 'An adapter trained elsewhere (transformers + peft, or exported by tabtune) for the selected model; it is evaluated on this dataset\'s test split.'),
      ),
    ),
  );
}
