// The active dataset's evaluation suite: the pinned test split plus the user's own evaluation files. Every new run
// is scored on all of them; older runs can be scored on a suite added later, from their final checkpoint.
import { h, replace, field, fmtPct } from '../dom';
import type { AppContext } from '../context';
import { importFileInWorker } from '../import-client';
import { addSuite, checkSuite, deleteSuite, listSuites, suiteData } from '../../store/suites';
import { listRuns, updateRun } from '../../store/runs';
import { latestCheckpoint } from '../../store/checkpoints';
import { modelRef } from '../../model/catalogue';
import type { SuiteRecord } from '../../store/db';

export function suitesCard(ctx: AppContext): HTMLElement {
  const list = h('ul', { attrs: { 'data-testid': 'suites' } });
  const out = h('div', { attrs: { role: 'status', 'data-testid': 'suites-message' } });
  const input = h('input', { attrs: { type: 'file', accept: '.jsonl,.csv,.tsv,.json,.txt' } });
  const scoreBtn = h('button', { class: 'secondary', on: { click: () => void scoreEarlierRuns().catch(showError) } }, 'Score earlier runs on every suite');

  function showError(e: unknown) {
    replace(out, h('p', { class: 'bad' }, e instanceof Error ? e.message : String(e)));
  }

  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    input.value = '';
    const ds = ctx.dataset;
    if (!file || !ds) return;
    replace(out, h('p', null, `Reading ${file.name}…`));
    try {
      const res = await importFileInWorker(file, { skipBadLines: false }, () => {});
      if (res.refused || res.errors.length) {
        const errs = res.errors.slice(0, 20).map((e) => h('li', null, `${e.file}:${e.line}: ${e.field ? `${e.field}: ` : ''}${e.message}`));
        return replace(out, h('p', { class: 'bad' }, `${file.name} was not added: ${res.refused ?? `${res.errors.length} errors`}.`), h('ul', { class: 'warnings errors' }, ...errs));
      }
      const check = checkSuite(file.name, res.examples, res.lines, ds.splits.labels, ds.splits.train.map((e) => e.text));
      if (check.errors.length) {
        return replace(
          out,
          h('p', { class: 'bad' }, `${file.name} was not added: ${check.errors.length} example${check.errors.length === 1 ? ' has a label' : 's have labels'} this dataset does not have.`),
          h('ul', { class: 'warnings errors' }, ...check.errors.slice(0, 20).map((e) => h('li', null, `${e.file}:${e.line}: ${e.field}: ${e.message}`))),
        );
      }
      const name = file.name.replace(/\.[^.]+$/, '');
      await addSuite(ctx.db, { id: crypto.randomUUID(), datasetHash: ds.hash, name, sourceFile: file.name, created: Date.now(), examples: res.examples });
      replace(out, h('p', null, `Added "${name}" (${res.examples.length} examples). New runs are scored on it; earlier runs can be scored below.`), check.warnings.length ? h('ul', { class: 'warnings' }, ...check.warnings.map((w) => h('li', null, w))) : null);
      await render();
    } catch (e) {
      showError(e);
    }
  });

  /** Completed runs of this dataset that lack a suite's scores get them from their final checkpoint. */
  async function scoreEarlierRuns() {
    const ds = ctx.dataset;
    if (!ds) return;
    const suites = await listSuites(ctx.db, ds.hash);
    const runs = (await listRuns(ctx.db)).filter((r) => r.datasetHash === ds.hash && r.status === 'completed');
    let scored = 0;
    for (const run of runs) {
      const have = new Set((run.suites ?? []).map((s) => s.suiteId));
      const todo = suites.filter((s) => !have.has(s.id));
      if (!todo.length) continue;
      const ckpt = await latestCheckpoint(ctx.db, run.id);
      if (!ckpt) continue;
      replace(out, h('p', null, `Scoring run ${run.id} on ${todo.length} suite${todo.length === 1 ? '' : 's'}…`));
      const results = await ctx.client.evaluateSuites({ model: modelRef(run.modelId, location.href), labels: run.labels, config: run.config, adapter: ckpt.adapter.slice(0), suites: suiteData(todo), train: ds.splits.train });
      await updateRun(ctx.db, run.id, { suites: [...(run.suites ?? []), ...results] });
      scored += 1;
    }
    replace(out, h('p', null, scored ? `Scored ${scored} earlier run${scored === 1 ? '' : 's'}.` : 'Every completed run is already scored on every suite.'));
    ctx.bus.emit('runs');
  }

  async function render() {
    const ds = ctx.dataset;
    if (!ds) return replace(list, h('li', { class: 'muted' }, 'Pick a dataset first.'));
    const suites = await listSuites(ctx.db, ds.hash);
    const runs = (await listRuns(ctx.db)).filter((r) => r.datasetHash === ds.hash && r.status === 'completed');
    const latest = runs.sort((a, b) => b.created - a.created)[0];
    const scoreOf = (s: SuiteRecord) => latest?.suites?.find((x) => x.suiteId === s.id);
    replace(
      list,
      h('li', null, h('strong', null, 'test split'), ` — ${ds.splits.test.length} examples, pinned to this dataset version`, latest?.after ? ` · latest run ${fmtPct(latest.after.accuracy)} (baseline ${fmtPct(latest.baseline?.accuracy)})` : ''),
      ...suites.map((s) => {
        const sc = scoreOf(s);
        return h(
          'li',
          null,
          h('strong', null, s.name),
          ` — ${s.examples.length} examples from ${s.sourceFile}`,
          sc ? ` · latest run ${fmtPct(sc.before.accuracy)} before → ${fmtPct(sc.after.accuracy)} after (baseline ${fmtPct(sc.baseline?.accuracy)})` : latest ? ' · latest run not scored yet' : '',
          ' ',
          h(
            'button',
            {
              class: 'secondary',
              attrs: { 'aria-label': `Remove evaluation suite ${s.name}` },
              on: {
                click: async () => {
                  if (!confirm(`Remove the evaluation suite "${s.name}"? Runs keep the scores they have, but it no longer counts for promotion.`)) return;
                  await deleteSuite(ctx.db, s.id);
                  await render();
                  ctx.bus.emit('runs');
                },
              },
            },
            'Remove',
          ),
        );
      }),
    );
  }

  ctx.bus.on('dataset', () => void render());
  ctx.bus.on('runs', () => void render());
  void render();
  return h(
    'div',
    { class: 'card' },
    h('h3', null, 'Evaluation suite of this dataset'),
    h('p', { class: 'muted' }, 'Every run is scored on the pinned test split and on each file you add here (hard cases, last month\'s complaints, examples a version once got wrong). A run is promoted only if it holds up on all of them.'),
    list,
    h('div', { class: 'row' }, field('Add an evaluation file', input, 'Chat JSONL, CSV/TSV (text,label) or a JSON array, with this dataset\'s labels.'), scoreBtn),
    out,
  );
}
