// Storage (in the Runs step): what tabtune keeps in this browser, how much room is left, persistence, backup and clean-up.
import { h, replace, fmtNum } from '../dom';
import type { AppContext } from '../context';
import { storageStatus, requestPersistence } from '../../store/storage';
import { listDatasets, deleteDataset } from '../../store/datasets';
import { exportArchive, importArchive } from '../../store/archive';
import { fmtBytes } from '../../model/catalogue';
import { download } from '../export';

export function storagePanel(ctx: AppContext): HTMLElement {
  const usage = h('p', { attrs: { 'data-testid': 'storage-usage', role: 'status' } });
  const list = h('ul', { attrs: { 'data-testid': 'datasets-list' } });
  const message = h('p', { class: 'muted', attrs: { role: 'status' } });
  const file = h('input', { attrs: { type: 'file', accept: '.zip', id: 'archive-input' }, class: 'sr-only' });

  async function render() {
    const s = await storageStatus();
    replace(
      usage,
      s ? `Using ${fmtBytes(s.usage)} of ${fmtBytes(s.quota)} available to this site. ${s.persisted ? 'Storage is persistent: the browser will not evict it.' : 'Storage is not yet persistent: under disk pressure the browser may evict it.'}` : 'This browser does not report storage usage.',
      s && !s.persisted ? h('button', { class: 'secondary', on: { click: async () => { await requestPersistence(); void render(); } } }, 'Keep my data (persistent storage)') : null,
    );
    const datasets = (await listDatasets(ctx.db)).sort((a, b) => b.created - a.created);
    replace(
      list,
      ...datasets.map((d) =>
        h(
          'li',
          null,
          `${d.name} — ${fmtNum(d.total)} examples, version `,
          h('code', null, d.hash.slice(0, 12)),
          ' ',
          h(
            'button',
            {
              class: 'secondary',
              attrs: { 'aria-label': `Delete dataset ${d.name}` },
              on: {
                click: async () => {
                  if (!confirm(`Delete the dataset "${d.name}" and every run trained on it? This cannot be undone.`)) return;
                  await deleteDataset(ctx.db, d.hash, true);
                  replace(message, `Deleted ${d.name}.`);
                  ctx.bus.emit('runs');
                  void render();
                },
              },
            },
            'Delete',
          ),
        ),
      ),
    );
  }

  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    file.value = '';
    if (!f) return;
    try {
      const n = await importArchive(ctx.db, new Uint8Array(await f.arrayBuffer()));
      replace(message, `Imported ${n.datasets} datasets, ${n.runs} runs, ${n.checkpoints} checkpoints, ${n.jobs} jobs and ${n.tunedModels} tuned models from ${f.name} (existing items were kept).`);
      ctx.bus.emit('runs');
      void render();
    } catch (e) {
      replace(message, `${f.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  });

  ctx.bus.on('runs', () => void render());
  ctx.bus.on('dataset', () => void render());
  void render();
  // Folded away at the end of the Runs step: what is kept, and the tools to keep or clear it.
  return h(
    'details',
    { class: 'fold', id: 'storage' },
    h('summary', null, 'Your data in this browser: storage, backup, clean-up'),
    usage,
    list,
    h(
      'div',
      { class: 'row' },
      h('button', { class: 'secondary', on: { click: async () => download(`tabtune-backup-${new Date().toISOString().slice(0, 10)}.zip`, (await exportArchive(ctx.db)) as BlobPart, 'application/zip') } }, 'Back up everything'),
      h('label', { attrs: { for: 'archive-input' }, class: 'button-like' }, h('u', null, 'Restore a backup…')),
      file,
    ),
    message,
  );
}
