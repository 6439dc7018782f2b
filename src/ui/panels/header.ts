// Top bar: what tabtune is, and which compute backend runs the training and why (with an override).
import { h, replace } from '../dom';
import { BACKENDS, label, type BackendName } from '../../runtime/backend';
import type { AppContext } from '../context';

export function headerView(ctx: AppContext): HTMLElement {
  const status = h('span', { attrs: { 'data-testid': 'backend-status', role: 'status', 'aria-live': 'polite' } }, 'Detecting WebGPU…');
  const select = h(
    'select',
    { id: 'backend-select', attrs: { 'aria-label': 'Compute backend' } },
    h('option', { attrs: { value: '' } }, 'automatic'),
    ...BACKENDS.map((b) => h('option', { attrs: { value: b } }, label(b))),
  );
  select.value = ctx.settings.backend ?? '';
  select.addEventListener('change', () => {
    // The worker's backend is fixed at start-up (tfjs cannot move live variables between backends), so reload.
    ctx.settings.backend = (select.value || null) as BackendName | null;
    ctx.saveSettings();
    location.reload();
  });
  ctx.bus.on('backend', () => replace(status, ctx.backend?.reason ?? 'No backend'));
  return h(
    'header',
    { class: 'top' },
    h('h1', null, 'tabtune'),
    h('span', { class: 'tagline' }, 'Fine-tune a transformer in this tab. Nothing leaves your machine.'),
    h('div', { class: 'backend' }, h('span', null, 'Compute: '), status, select),
  );
}
