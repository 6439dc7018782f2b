// Step 5: type a text, see the base model's and the tuned model's answers side by side.
import { h, field, replace, fmtPct } from '../dom';
import type { AppContext } from '../context';
import { explain, TEXTS } from './explain';
import { modelRef } from '../../model/catalogue';
import { latestCheckpoint } from '../../store/checkpoints';

export function playgroundPanel(ctx: AppContext): HTMLElement {
  const text = h('textarea', { attrs: { rows: 3 } });
  text.value = 'Hello, my parcel has not arrived yet and the tracking page shows nothing. Can you help?';
  const out = h('div', { class: 'grid2', attrs: { 'data-testid': 'playground-out' } });
  const btn = h('button', { on: { click: () => void run() } }, 'Predict');

  function bars(title: string, labels: string[], probs: number[]) {
    const best = probs.indexOf(Math.max(...probs));
    return h(
      'div',
      { class: 'card' },
      h('h3', null, title),
      h('p', null, 'Answer: ', h('strong', null, labels[best])),
      h('ul', null, ...labels.map((l, i) => h('li', null, h('meter', { attrs: { min: 0, max: 1, value: probs[i], 'aria-label': `${l} probability` } }), ` ${l} ${fmtPct(probs[i])}`))),
    );
  }

  async function run() {
    const ds = ctx.dataset;
    const live = ctx.runs.live;
    if (!ds) return;
    btn.disabled = true;
    try {
      const model = modelRef(ctx.settings.modelId, location.href);
      const config = live?.config ?? ctx.settings.config;
      const base = await ctx.client.predict({ model, labels: ds.splits.labels, text: text.value, config });
      const ckpt = live?.result ? await latestCheckpoint(ctx.db, live.runId) : undefined;
      const tuned = ckpt ? await ctx.client.predict({ model, labels: ds.splits.labels, text: text.value, config, adapter: ckpt.adapter }) : null;
      replace(out, bars('Base model (zero-shot)', ds.splits.labels, base), tuned ? bars('Tuned model (this run)', ds.splits.labels, tuned) : h('p', { class: 'muted' }, 'Train a run to compare the tuned model.'));
    } catch (e) {
      replace(out, h('p', { class: 'status error' }, e instanceof Error ? e.message : String(e)));
    } finally {
      btn.disabled = false;
    }
  }

  return h(
    'section',
    { class: 'step', id: 'play', attrs: { 'aria-labelledby': 'play-h' } },
    h('h2', { id: 'play-h' }, h('span', { class: 'num' }, '5'), 'Try it'),
    explain('What is this?', ...TEXTS.play),
    field('Text to classify', text),
    h('div', { class: 'row' }, btn),
    out,
  );
}
