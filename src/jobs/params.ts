// A create request checked and resolved into the training configuration the engine runs, before anything is
// written: every refusal names its parameter and the range it accepts.
import { defaultConfigFor, type TrainConfig } from '../config';
import type { Method } from '../domain';
import { TabtuneError } from './errors';
import type { Hyperparameters, HyperparametersInput, JobCreateParams, LoraParams } from './types';

type NumericKey = 'lr' | 'weightDecay' | 'beta1' | 'beta2' | 'eps' | 'warmupRatio' | 'maxGradNorm' | 'maxLen' | 'lossReadEvery' | 'checkpointEvery' | 'patience' | 'rehearsal';

/**
 * The settings `tabtune.config` may set, with the ranges the loop accepts. The hosted fields (method, n_epochs,
 * batch_size, seed, method.lora) are not repeated here, so a request cannot say one thing twice; mixing in an
 * earlier dataset is done to the training file before it is uploaded, so it is not a setting of the run.
 */
const CONFIG_RANGES: Record<NumericKey, { min: number; max: number; integer?: boolean; above?: boolean }> = {
  lr: { min: 0, max: 1, above: true },
  weightDecay: { min: 0, max: 1 },
  beta1: { min: 0, max: 1, above: false },
  beta2: { min: 0, max: 1 },
  eps: { min: 0, max: 1, above: true },
  warmupRatio: { min: 0, max: 1 },
  maxGradNorm: { min: 0, max: 1e6 },
  maxLen: { min: 8, max: 512, integer: true },
  lossReadEvery: { min: 1, max: 1e6, integer: true },
  checkpointEvery: { min: 0, max: 1e6, integer: true },
  patience: { min: 1, max: 100, integer: true },
  rehearsal: { min: 0, max: 100 },
};

function configOverrides(p: JobCreateParams, multiplierGiven: boolean): Partial<TrainConfig> {
  const raw = p.tabtune?.config;
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TabtuneError('invalid_hyperparameters', 'tabtune.config must be an object of training settings.', 'tabtune.config');
  const out: Partial<TrainConfig> = {};
  for (const [key, value] of Object.entries(raw)) {
    const param = `tabtune.config.${key}`;
    if (key === 'earlyStopping' || key === 'trainTokens' || key === 'readWhole') {
      if (typeof value !== 'boolean') throw new TabtuneError('invalid_hyperparameters', `${param} must be true or false, not ${JSON.stringify(value)}.`, param);
      out[key] = value;
      continue;
    }
    const range = CONFIG_RANGES[key as NumericKey];
    if (!range) {
      const hosted: Record<string, string> = { method: 'method.type', epochs: 'hyperparameters.n_epochs', batchSize: 'hyperparameters.batch_size', seed: 'seed', loraR: 'method.lora.r', loraAlpha: 'method.lora.alpha', loraDropout: 'method.lora.dropout', loraTargets: 'method.lora.target_modules' };
      const hint = hosted[key] ? ` Set it with ${hosted[key]}.` : key === 'mixShare' || key === 'mixFrom' ? ' Mix the examples into the training file before uploading it.' : ` Known: ${[...Object.keys(CONFIG_RANGES), 'earlyStopping', 'trainTokens', 'readWhole'].join(', ')}.`;
      throw new TabtuneError('invalid_hyperparameters', `tabtune.config cannot set "${key}".${hint}`, param);
    }
    const bad = typeof value !== 'number' || !Number.isFinite(value) || value > range.max || (range.above ? value <= range.min : value < range.min) || (range.integer && !Number.isInteger(value));
    if (bad) {
      const what = `${range.integer ? 'an integer' : 'a number'} ${range.above ? 'above' : 'from'} ${range.min} ${range.above ? 'and at most' : 'to'} ${range.max}`;
      throw new TabtuneError('invalid_hyperparameters', `${param} must be ${what}, not ${JSON.stringify(value)}.`, param);
    }
    (out[key as NumericKey] as number) = value as number;
  }
  if (out.lr !== undefined && multiplierGiven) throw new TabtuneError('invalid_hyperparameters', 'Give either hyperparameters.learning_rate_multiplier or tabtune.config.lr, not both.', 'tabtune.config.lr');
  return out;
}

export const LIMITS = {
  n_epochs: { min: 1, max: 50 },
  batch_size: { min: 1, max: 256 },
  learning_rate_multiplier: { min: 0, max: 10 }, // exclusive minimum
  lora_r: { min: 1, max: 256 },
  suffix: 64,
  idempotency_key: 256,
} as const;

const METHODS: Method[] = ['lora', 'head', 'full'];

function integerIn(value: unknown, param: string, min: number, max: number, code: 'invalid_hyperparameters' | 'invalid_method' | 'invalid_seed'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TabtuneError(code, `${param} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}.`, param);
  }
  return value;
}

export interface ResolvedParams {
  config: TrainConfig;
  hyperparameters: Hyperparameters;
  method: { type: Method; lora?: Required<LoraParams> };
  suffix: string | null;
  seed: number;
}

/**
 * Hyperparameters left out or 'auto' take the model's defaults (src/config.ts); the learning rate is the model's
 * default times the multiplier. Jobs train exactly n_epochs, as the hosted services do: no early stopping unless
 * tabtune.config asks for it (the page does when its user ticks it), which also makes a paused job end with the
 * weights of an uninterrupted one (early stopping's best epoch is not part of a checkpoint).
 */
export function resolveParams(p: JobCreateParams): ResolvedParams {
  const defaults = defaultConfigFor(p.model);
  const h: HyperparametersInput = p.hyperparameters ?? {};
  if (typeof h !== 'object' || h === null) throw new TabtuneError('invalid_hyperparameters', 'hyperparameters must be an object.', 'hyperparameters');
  const known = ['n_epochs', 'batch_size', 'learning_rate_multiplier'];
  for (const k of Object.keys(h)) if (!known.includes(k)) throw new TabtuneError('invalid_hyperparameters', `Unknown hyperparameter "${k}"; known: ${known.join(', ')}.`, `hyperparameters.${k}`);
  const auto = (v: unknown) => v === undefined || v === 'auto';
  const epochs = auto(h.n_epochs) ? defaults.epochs : integerIn(h.n_epochs, 'hyperparameters.n_epochs', LIMITS.n_epochs.min, LIMITS.n_epochs.max, 'invalid_hyperparameters');
  const batchSize = auto(h.batch_size) ? defaults.batchSize : integerIn(h.batch_size, 'hyperparameters.batch_size', LIMITS.batch_size.min, LIMITS.batch_size.max, 'invalid_hyperparameters');
  let multiplier = 1;
  if (!auto(h.learning_rate_multiplier)) {
    const m = h.learning_rate_multiplier;
    if (typeof m !== 'number' || !Number.isFinite(m) || m <= LIMITS.learning_rate_multiplier.min || m > LIMITS.learning_rate_multiplier.max) {
      throw new TabtuneError('invalid_hyperparameters', `hyperparameters.learning_rate_multiplier must be a number above 0 and at most ${LIMITS.learning_rate_multiplier.max}, not ${JSON.stringify(m)}.`, 'hyperparameters.learning_rate_multiplier');
    }
    multiplier = m;
  }

  const type = p.method?.type ?? defaults.method;
  if (!METHODS.includes(type)) throw new TabtuneError('invalid_method', `method.type must be one of ${METHODS.join(', ')}, not ${JSON.stringify(type)}.`, 'method.type');
  const l: LoraParams = p.method?.lora ?? {};
  if (p.method?.lora && type !== 'lora') throw new TabtuneError('invalid_method', `method.lora is only for method.type "lora", not "${type}".`, 'method.lora');
  const r = l.r === undefined ? defaults.loraR : integerIn(l.r, 'method.lora.r', LIMITS.lora_r.min, LIMITS.lora_r.max, 'invalid_method');
  const alpha = l.alpha ?? defaults.loraAlpha;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0) throw new TabtuneError('invalid_method', `method.lora.alpha must be a positive number, not ${JSON.stringify(alpha)}.`, 'method.lora.alpha');
  const dropout = l.dropout ?? defaults.loraDropout;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new TabtuneError('invalid_method', `method.lora.dropout must be at least 0 and below 1, not ${JSON.stringify(dropout)}.`, 'method.lora.dropout');
  const targets = l.target_modules ?? defaults.loraTargets;
  if (!Array.isArray(targets) || !targets.length || targets.some((t) => typeof t !== 'string' || !t)) {
    throw new TabtuneError('invalid_method', 'method.lora.target_modules must be a non-empty list of module names (PEFT names: query, key, value, dense…).', 'method.lora.target_modules');
  }

  const seed = p.seed === undefined ? defaults.seed : integerIn(p.seed, 'seed', 0, 2 ** 31 - 1, 'invalid_seed');
  const suffix = p.suffix ?? null;
  if (suffix !== null && (typeof suffix !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(suffix))) {
    throw new TabtuneError('invalid_suffix', `suffix must be 1 to ${LIMITS.suffix} letters, digits, "-" or "_" (it becomes part of the model name), not ${JSON.stringify(suffix)}.`, 'suffix');
  }

  const overrides = configOverrides(p, !auto(h.learning_rate_multiplier));
  const config: TrainConfig = {
    ...defaults,
    earlyStopping: false,
    ...overrides,
    method: type,
    epochs,
    batchSize,
    lr: defaults.lr * multiplier,
    seed,
    loraR: r,
    loraAlpha: alpha,
    loraDropout: dropout,
    loraTargets: [...targets],
  };
  if (overrides.lr !== undefined) config.lr = overrides.lr;
  return {
    config,
    // The multiplier a given absolute rate amounts to, so the hosted field stays true.
    hyperparameters: { n_epochs: epochs, batch_size: batchSize, learning_rate_multiplier: overrides.lr !== undefined ? overrides.lr / defaults.lr : multiplier },
    method: type === 'lora' ? { type, lora: { r, alpha, dropout, target_modules: [...targets] } } : { type },
    suffix,
    seed,
  };
}

/** The model name a succeeded job publishes, in the hosted services' pattern. */
export function fineTunedModelName(base: string, suffix: string | null, jobId: string): string {
  return `ft:${base}:local:${suffix ?? ''}:${jobId}`;
}
