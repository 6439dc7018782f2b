// Step 2: pick the base model — bundled (offline) or from the hub — with its size, memory and cache state.
import { h, field, replace, fmtNum } from '../dom';
import type { AppContext } from '../context';
import { explain, TEXTS } from './explain';
import { MODEL_OPTIONS, estimateTrainingBytes, fmtBytes, modelRef, type ModelOption } from '../../model/catalogue';
import { isModelAtHand } from '../../model/cache';
import { modelDefaults } from '../../config';
import { runSize } from '../run-size';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** What the [MASK] card says about the selected model, with its model card's figures. */
function maskSentence(m: ModelOption | null): string {
  const intro = 'A pretrained model learned its English by filling in hidden words. Hide one with [MASK] and see its guesses.';
  const acc = m?.maskAccuracy;
  if (!acc) return intro;
  if (m.twinOf) return `${intro} This is the random-weight twin: it knows nothing, and its guesses are right ${pct(acc.heldOut)} of the time on held-out text (always guessing the most frequent token: ${pct(acc.mostFrequent)}).`;
  return `${intro} ${m.label.split(' (')[0]} is small and saw little text, so it mostly knows which words are common and which go together: its guesses are right ${pct(acc.heldOut)} of the time on held-out text, against ${pct(acc.mostFrequent)} for always guessing the most frequent token.`;
}

export function modelPanel(ctx: AppContext): HTMLElement {
  const select = h('select', { id: 'model-select' });
  const known = MODEL_OPTIONS.some((m) => m.id === ctx.settings.modelId);
  for (const m of MODEL_OPTIONS) select.append(h('option', { attrs: { value: m.id } }, m.label));
  select.append(h('option', { attrs: { value: '__custom' } }, 'Another hub model…'));
  const custom = h('input', { attrs: { type: 'text', placeholder: 'owner/model-name', spellcheck: false } });
  const customField = field('Hub model id', custom, 'Any BERT or DistilBERT model on the hub with model.safetensors and tokenizer.json.');
  select.value = known ? ctx.settings.modelId : '__custom';
  if (!known) custom.value = ctx.settings.modelId;
  const info = h('div', { class: 'card', attrs: { 'data-testid': 'model-info' } });
  // What pretraining taught the model, asked directly: its guesses for a blanked-out word.
  const maskInput = h('input', { attrs: { type: 'text', spellcheck: false }, style: { minWidth: '18rem' } });
  maskInput.value = 'The [MASK] States of America.';
  const maskOut = h('div', { attrs: { 'data-testid': 'mask-fill', 'aria-live': 'polite' } });
  const maskBtn = h('button', { class: 'secondary', on: { click: () => void askMask() } }, 'Fill in [MASK]');
  const maskAbout = h('p', { class: 'muted', attrs: { 'data-testid': 'mask-about' } });
  const maskCard = h(
    'div',
    { class: 'card' },
    h('h3', null, 'What does the base model already know?'),
    maskAbout,
    h('div', { class: 'row' }, field('Sentence with [MASK]', maskInput), maskBtn),
    maskOut,
  );
  async function askMask() {
    const text = maskInput.value;
    if (!text.includes('[MASK]')) return replace(maskOut, h('p', { class: 'bad' }, 'Put [MASK] where a word should be guessed.'));
    replace(maskOut, h('p', { class: 'muted' }, 'Asking the model…'));
    try {
      const fills = await ctx.client.fillMask(modelRef(ctx.settings.modelId, location.href), text);
      replace(maskOut, ...fills.map((f) => h('p', null, `[MASK] → `, ...f.top.flatMap((t, i) => [i ? ', ' : '', h('strong', null, t.token), ` ${(t.probability * 100).toFixed(1)} %`]))));
    } catch (e) {
      replace(maskOut, h('p', { class: 'bad' }, e instanceof Error ? e.message : String(e)));
    }
  }

  const download = h('progress', { attrs: { max: 1, value: 0, 'aria-label': 'Model download progress' }, style: { display: 'none' } });
  const downloadText = h('p', { class: 'muted', attrs: { role: 'status' } });

  function current(): ModelOption | null {
    return MODEL_OPTIONS.find((m) => m.id === ctx.settings.modelId) ?? null;
  }

  // render awaits the worker; a newer render supersedes an older one still waiting.
  let renderTicket = 0;
  async function render() {
    const ticket = ++renderTicket;
    customField.style.display = select.value === '__custom' ? '' : 'none';
    const m = current();
    maskCard.hidden = !m?.fillsMasks;
    replace(maskAbout, maskSentence(m));
    replace(maskOut);
    const cfg = ctx.settings.config;
    if (!m) {
      replace(info, h('p', null, `${ctx.settings.modelId}: a hub model; its size is read from its files when it loads.`));
    } else {
      // The worker's count for this model, dataset and settings (src/ui/run-size.ts); without a dataset, a rough one
      // (square adapted layers, a 4-label head, no embedding rows).
      const size = await runSize(ctx);
      const cached = await isModelAtHand(m.id);
      if (ticket !== renderTicket) return;
      const trainable = size?.total ?? (cfg.method === 'full' ? m.params : cfg.method === 'lora' ? 2 * cfg.loraR * m.hidden * m.layers * cfg.loraTargets.length : 0) + m.hidden * 4 + 4;
      replace(
        info,
        h('p', null, m.description),
        h(
          'ul',
          null,
          h('li', null, m.bundled ? 'Bundled with tabtune: works offline.' : `Download ${fmtBytes(m.downloadBytes)} from the Hugging Face hub, once; then cached in this browser.`),
          m.params ? h('li', null, `${fmtNum(m.params)} parameters, ${m.layers} layers, hidden size ${m.hidden}.`) : h('li', null, `${m.layers} layers, hidden size ${m.hidden}.`),
          m.params ? h('li', null, `Estimated memory to train (${cfg.method}, batch ${cfg.batchSize}, ${cfg.maxLen} tokens): ${fmtBytes(estimateTrainingBytes(m, trainable, cfg.batchSize, cfg.maxLen))}.`) : null,
          h('li', { attrs: { 'data-testid': 'model-cached' } }, m.bundled ? 'Always available.' : cached ? 'Cached in this browser: available offline.' : navigator.onLine ? 'Not cached yet.' : 'Not cached, and this browser is offline: pick a bundled model.'),
        ),
      );
    }
  }

  select.addEventListener('change', () => {
    if (select.value !== '__custom') {
      ctx.settings.modelId = select.value;
      // The picked model's row of the defaults table (the CLI uses the same one); the other settings stay.
      Object.assign(ctx.settings.config, modelDefaults(select.value));
      ctx.saveSettings();
      ctx.bus.emit('model');
    }
    void render();
  });
  custom.addEventListener('change', () => {
    const id = custom.value.trim();
    if (!/^[\w.-]+\/[\w.-]+$/.test(id)) {
      custom.setCustomValidity('A hub id looks like owner/model-name.');
      custom.reportValidity();
      return;
    }
    custom.setCustomValidity('');
    ctx.settings.modelId = id;
    ctx.saveSettings();
    ctx.bus.emit('model');
    void render();
  });
  ctx.client.on((m) => {
    if (m.type !== 'download') return;
    download.style.display = '';
    download.max = Math.max(1, m.total);
    download.value = m.loaded;
    replace(downloadText, `Downloading ${m.file}: ${fmtBytes(m.loaded)} of ${fmtBytes(m.total)}`);
    if (m.loaded >= m.total) replace(downloadText, `${m.file} downloaded and cached.`);
  });
  ctx.bus.on('settings', () => void render());
  ctx.bus.on('dataset', () => void render());
  void render();
  return h(
    'section',
    { class: 'step', id: 'model', attrs: { 'aria-labelledby': 'model-h' } },
    h('h2', { id: 'model-h' }, h('span', { class: 'num' }, '2'), 'Model'),
    explain('What is a pretrained model?', ...TEXTS.model),
    h('div', { class: 'row' }, field('Base model', select), customField),
    info,
    maskCard,
    download,
    downloadText,
  );
}
