// In step 6: the jobs queue (src/ui/page-jobs.ts) — every job on this page's database, what each is doing, and its
// event log as the jobs API records it. The page's runs and jobs a script made through the library share it.
import { h, replace, fmtNum } from '../dom';
import type { AppContext } from '../context';
import type { FineTuningJob, JobEvent, JobStatus } from '../../jobs/types';
import { isWaiting } from '../page-jobs';

/** Jobs listed, newest first: older ones are in the runs table and the library's jobs.list(). */
const SHOWN = 20;
/** Redraws at most this often while a job logs a step: the log is read back from IndexedDB each time. */
const REDRAW_MS = 700;

const BADGE: Record<JobStatus, string> = {
  validating_files: 'warn',
  queued: 'warn',
  running: 'warn',
  paused: 'warn',
  succeeded: 'good',
  failed: 'bad',
  cancelled: 'warn',
};

export function queueView(ctx: AppContext): HTMLElement {
  const table = h('table', { attrs: { 'data-testid': 'job-queue' } });
  const message = h('p', { class: 'muted', attrs: { role: 'status' } });
  let timer: ReturnType<typeof setTimeout> | null = null;
  let drawing: Promise<void> | null = null;

  const act = (what: string, fn: () => Promise<unknown>) => () =>
    void fn().catch((e: unknown) => replace(message, `${what} failed: ${e instanceof Error ? e.message : String(e)}`));

  async function logOf(job: FineTuningJob): Promise<HTMLElement> {
    const events = await ctx.jobs.events(job.id);
    return h(
      'ol',
      { class: 'event-log', attrs: { 'data-testid': `events-${job.id}` } },
      ...events.map((e: JobEvent) =>
        h('li', { class: e.level === 'info' ? '' : e.level === 'warn' ? 'warn' : 'bad' }, h('small', { class: 'muted' }, `${new Date(e.created_at * 1000).toLocaleTimeString()} `), e.message),
      ),
    );
  }

  /** The event-log folds on the page, by job: a redraw opens its new ones as the user left these. */
  let shown = new Map<string, HTMLDetailsElement>();

  async function draw(): Promise<void> {
    const jobs = (await ctx.jobs.list()).sort((a, b) => b.tabtune.created_at_ms - a.tabtune.created_at_ms).slice(0, SHOWN);
    // The logs of the folds open now are read before the table is rebuilt, so that an open log does not blink.
    const read = new Map(await Promise.all(jobs.filter((j) => shown.get(j.id)?.open).map(async (j) => [j.id, await logOf(j)] as const)));
    // No await from here to the table's replacement: a fold the user opened or closed while the reads above waited
    // shows it in its `open` property already (its toggle event comes later), and its new fold takes it from there.
    const before = shown;
    shown = new Map();
    const waiting = jobs.filter(isWaiting).length;
    const rows = jobs.map((job) => {
      const log = h('details', { class: 'fold' }, h('summary', null, 'Event log'));
      shown.set(job.id, log);
      log.open = before.get(job.id)?.open === true;
      const ol = read.get(job.id);
      if (log.open && ol) log.append(ol);
      // Opening a fold, by a click or just above, fires a toggle: its log is read then, unless it is already there.
      log.addEventListener('toggle', () => {
        if (log.open && log.children.length < 2) {
          void logOf(job).then((fresh) => {
            if (log.children.length < 2) log.append(fresh);
          });
        }
      });
      const s = job.status;
      const steps = job.tabtune.total_steps ? `${fmtNum(job.tabtune.step ?? 0)} / ${fmtNum(job.tabtune.total_steps)}` : '—';
      return h(
        'tr',
        null,
        h('td', null, h('code', { title: job.id }, job.id.slice(-8)), job.fine_tuned_model ? h('br') : null, job.fine_tuned_model ? h('small', { class: 'muted', title: job.fine_tuned_model }, 'ft: model ready') : null),
        h('td', null, h('span', { class: `badge ${BADGE[s]}` }, s.replace('_', ' ')), job.error ? h('br') : null, job.error ? h('small', { class: 'bad' }, job.error.message) : null),
        h('td', null, job.model, h('br'), h('small', { class: 'muted' }, `${job.method.type}, ${job.hyperparameters.n_epochs} ep`)),
        h('td', { class: 'num' }, steps),
        h(
          'td',
          null,
          s === 'running' || s === 'queued' ? h('button', { class: 'secondary', on: { click: act('Pause', () => ctx.jobs.pause(job.id)) } }, 'Pause') : null,
          s === 'paused' ? h('button', { class: 'secondary', on: { click: act('Resume', () => ctx.jobs.resume(job.id)) } }, 'Resume') : null,
          ['running', 'queued', 'paused', 'validating_files'].includes(s) ? h('button', { class: 'secondary', on: { click: act('Cancel', () => ctx.jobs.cancel(job.id)) } }, 'Cancel') : null,
        ),
        h('td', null, log),
      );
    });
    replace(
      table,
      h('caption', null, jobs.length ? `${jobs.length} job${jobs.length === 1 ? '' : 's'}${waiting ? `, ${waiting} waiting` : ''}: one trains at a time, the others wait their turn` : 'No jobs yet: Train adds one.'),
      h('thead', null, h('tr', null, ...['job', 'status', 'model', 'steps', 'actions', 'log'].map((t) => h('th', null, t)))),
      h('tbody', null, ...rows),
    );
  }

  function redraw(): void {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      // One draw at a time: a slow read must not let an older list overwrite a newer one.
      drawing = (drawing ?? Promise.resolve()).then(draw).catch((e: unknown) => replace(message, String(e)));
    }, REDRAW_MS);
  }

  ctx.bus.on('jobs', redraw);
  ctx.bus.on('runs', redraw);
  redraw();
  return h('div', { attrs: { 'data-testid': 'queue' } }, h('h3', null, 'Queue and event logs'), message, h('div', { class: 'table-wrap' }, table));
}
