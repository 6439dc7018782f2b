// The page's settings live in the URL, so a teacher can share a link that opens with the same dataset, model
// and hyperparameters. Only values that differ from the defaults are written, to keep links short.
import { DEFAULT_MODEL_ID, DEFAULT_TRAIN_CONFIG, DEMO_DATASET, defaultConfigFor, type TrainConfig } from '../config';
import { parseBackendParam, type BackendName } from '../runtime/backend';

export interface PageSettings {
  /** Size of the built-in demo dataset, and its seed. */
  demoCount: number;
  demoSeed: number;
  modelId: string;
  backend: BackendName | null;
  config: TrainConfig;
}

// The page opens on the bundled, pretrained tabtune-mini: it works offline on first open and fine-tuning it is
// real fine-tuning. Its row of MODEL_DEFAULTS (src/config.ts) is the page's default settings, as it is the CLI's.
export { DEFAULT_MODEL_ID };
export const DEFAULT_PAGE_SETTINGS: PageSettings = {
  demoCount: DEMO_DATASET.count,
  demoSeed: DEMO_DATASET.seed,
  modelId: DEFAULT_MODEL_ID,
  backend: null,
  config: defaultConfigFor(DEFAULT_MODEL_ID),
};

const NUMERIC_KEYS = Object.entries(DEFAULT_TRAIN_CONFIG)
  .filter(([, v]) => typeof v === 'number')
  .map(([k]) => k as keyof TrainConfig);

export function settingsFromUrl(search: string, defaults: PageSettings = DEFAULT_PAGE_SETTINGS): PageSettings {
  const q = new URLSearchParams(search);
  const num = (key: string, fallback: number, min: number, max: number) => {
    const raw = q.get(key);
    const v = raw === null ? NaN : Number(raw);
    return Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback;
  };
  const config: TrainConfig = { ...defaults.config, loraTargets: [...defaults.config.loraTargets] };
  for (const key of NUMERIC_KEYS) {
    const raw = q.get(key);
    if (raw === null) continue;
    const v = Number(raw);
    if (Number.isFinite(v)) (config as unknown as Record<string, number>)[key] = v;
  }
  const method = q.get('method');
  if (method === 'head' || method === 'lora' || method === 'full') config.method = method;
  const es = q.get('earlyStopping');
  if (es === '1' || es === '0') config.earlyStopping = es === '1';
  const tt = q.get('trainTokens');
  if (tt === '1' || tt === '0') config.trainTokens = tt === '1';
  const rw = q.get('readWhole');
  if (rw === '1' || rw === '0') config.readWhole = rw === '1';
  const targets = q.get('loraTargets');
  if (targets) config.loraTargets = targets.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    demoCount: Math.round(num('n', defaults.demoCount, 100, 50_000)),
    demoSeed: Math.round(num('dataSeed', defaults.demoSeed, 0, 2 ** 31 - 1)),
    modelId: q.get('model') || defaults.modelId,
    backend: parseBackendParam(q.get('backend')),
    config,
  };
}

export function settingsToQuery(s: PageSettings, defaults: PageSettings = DEFAULT_PAGE_SETTINGS): string {
  const q = new URLSearchParams();
  if (s.demoCount !== defaults.demoCount) q.set('n', String(s.demoCount));
  if (s.demoSeed !== defaults.demoSeed) q.set('dataSeed', String(s.demoSeed));
  if (s.modelId !== defaults.modelId) q.set('model', s.modelId);
  if (s.backend) q.set('backend', s.backend);
  if (s.config.method !== defaults.config.method) q.set('method', s.config.method);
  for (const key of NUMERIC_KEYS) {
    const v = s.config[key] as number;
    if (v !== defaults.config[key]) q.set(key, String(v));
  }
  if (s.config.earlyStopping !== defaults.config.earlyStopping) q.set('earlyStopping', s.config.earlyStopping ? '1' : '0');
  if (s.config.trainTokens !== defaults.config.trainTokens) q.set('trainTokens', s.config.trainTokens ? '1' : '0');
  if (s.config.readWhole !== defaults.config.readWhole) q.set('readWhole', s.config.readWhole ? '1' : '0');
  if (s.config.loraTargets.join(',') !== defaults.config.loraTargets.join(',')) q.set('loraTargets', s.config.loraTargets.join(','));
  const text = q.toString();
  return text ? `?${text}` : '';
}

/** The page's steps, in the order of the step rail (src/ui/flow.ts); the URL names the one in view. */
export const STEP_IDS = ['data', 'model', 'train', 'evaluate', 'play', 'runs', 'pretraining'] as const;
export type StepId = (typeof STEP_IDS)[number];
export const FIRST_STEP: StepId = 'data';

export function isStepId(s: string | null | undefined): s is StepId {
  return !!s && (STEP_IDS as readonly string[]).includes(s);
}

/** The step a URL opens on: `?step=train`, else a `#train` anchor, else the first step. */
export function stepFromUrl(search: string, hash = ''): StepId {
  const q = new URLSearchParams(search).get('step');
  if (isStepId(q)) return q;
  const anchor = hash.replace(/^#/, '');
  return isStepId(anchor) ? anchor : FIRST_STEP;
}

/** The page's query: the settings that differ from the defaults, then the step (left out on the first step). */
export function pageQuery(s: PageSettings, step: StepId, defaults: PageSettings = DEFAULT_PAGE_SETTINGS): string {
  const q = new URLSearchParams(settingsToQuery(s, defaults));
  if (step !== FIRST_STEP) q.set('step', step);
  const text = q.toString();
  return text ? `?${text}` : '';
}
