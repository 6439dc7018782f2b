// PEFT-compatible adapter files: adapter_config.json + adapter_model.safetensors with PEFT's key names and
// PyTorch's layouts (lora_A [r, in], lora_B [out, r], classifier.weight [labels, hidden]); tfjs keeps kernels
// as [in, out], so every matrix is transposed on the way out. Trainable token rows (trainable-tokens.ts) go out
// as PEFT's `token_adapter.trainable_tokens_delta` (the rows' values, [n, hidden] in both layouts) with their ids
// in adapter_config.json's `trainable_token_indices`, which is how `LoraConfig(trainable_token_indices=…)` saves.
import type { TrainConfig } from '../config';
import type { ModelRef, TrainResult } from '../domain';
import type { EncoderConfig, Pooling, TrainableClassifier } from './types';
import { readSafetensors, transpose2d, writeSafetensors } from './safetensors';
import { checkTokenIndices, tokenIndicesFromMetadata, tokenIndicesMetadata, TOKENS_NAME } from './trainable-tokens';

/** Where PEFT keeps the trainable rows of a BERT or DistilBERT sequence classifier's word embeddings. */
const peftTokensKey = (prefix: string) => `base_model.model.${prefix}embeddings.word_embeddings.token_adapter.trainable_tokens_delta`;

export interface PeftExportInput {
  modelRef: ModelRef;
  modelType: EncoderConfig['modelType'];
  hiddenSize: number;
  config: TrainConfig;
  labels: string[];
  pooling: Pooling;
  /** A checkpoint's safetensors bytes, tabtune's internal names and tfjs layouts. */
  checkpoint: ArrayBuffer;
  result?: TrainResult;
}


export function peftFiles(input: PeftExportInput): Record<string, Uint8Array> {
  if (input.config.method === 'full') throw new Error('A full fine-tuning run has no adapter: export it as a merged model instead.');
  const { tensors, metadata } = readSafetensors(new Uint8Array(input.checkpoint), 'checkpoint');
  const tokenIndices = tokenIndicesFromMetadata(metadata, 'checkpoint');
  const prefix = input.modelType === 'bert' ? 'bert.' : 'distilbert.';
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const [rows, cols] = t.shape;
    if (name === TOKENS_NAME) {
      if (tokenIndices?.length !== rows) throw new Error(`The checkpoint has ${rows} trainable token rows but ${tokenIndices?.length ?? 0} token ids.`);
      out[peftTokensKey(prefix)] = { shape: t.shape, data: t.data };
    } else if (name === 'classifier.kernel') out['base_model.model.classifier.weight'] = { shape: [cols, rows], data: transpose2d(t.data, rows, cols) };
    else if (name === 'classifier.bias') out['base_model.model.classifier.bias'] = { shape: t.shape, data: t.data };
    else if (name.endsWith('.lora_A') || name.endsWith('.lora_B')) {
      out[`base_model.model.${prefix}${name}.weight`] = { shape: [cols, rows], data: transpose2d(t.data, rows, cols) };
    } else throw new Error(`Checkpoint tensor "${name}" has no PEFT equivalent.`);
  }
  const adapterConfig = {
    peft_type: 'LORA',
    task_type: 'SEQ_CLS',
    base_model_name_or_path: input.modelRef.id,
    revision: input.modelRef.revision ?? null,
    r: input.config.method === 'lora' ? input.config.loraR : 0,
    lora_alpha: input.config.loraAlpha,
    lora_dropout: input.config.loraDropout,
    target_modules: input.config.method === 'lora' ? input.config.loraTargets : [],
    modules_to_save: ['classifier'],
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    ...(tokenIndices?.length ? { trainable_token_indices: tokenIndices } : {}),
    label_names: input.labels,
  };
  const tabtune = {
    format: 'tabtune-peft-export/1',
    base_model: input.modelRef.id,
    labels: input.labels,
    pooling: input.pooling,
    // tabtune's head is a single Linear on the pooled vector (no BERT pooler/tanh).
    head: 'linear-on-pooled',
    method: input.config.method,
    config: input.config,
    metrics: input.result ? { before: pick(input.result.before), after: pick(input.result.after) } : undefined,
    adapter_sha256: input.result?.adapterSha256,
  };
  const enc = new TextEncoder();
  return {
    'adapter_config.json': enc.encode(JSON.stringify(adapterConfig, null, 2) + '\n'),
    'adapter_model.safetensors': writeSafetensors(out, { format: 'pt' }),
    'tabtune.json': enc.encode(JSON.stringify(tabtune, null, 2) + '\n'),
  };
}

function pick(e: { accuracy: number; macroF1: number }) {
  return { accuracy: e.accuracy, macro_f1: e.macroF1 };
}

/** Node: writes the PEFT folder (the CLI's `train --out`). */
export async function writeAdapterFolder(dir: string, input: PeftExportInput): Promise<void> {
  const fsName = 'node:fs/promises';
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
  await fs.mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(peftFiles(input))) await fs.writeFile(`${dir}/${name}`, bytes);
}

export interface ImportedAdapter {
  /** tabtune checkpoint bytes (internal names, tfjs layouts) for createClassifier's trainable variables. */
  checkpoint: Uint8Array;
  method: 'lora' | 'head';
  r: number;
  alpha: number;
  targets: string[];
  labels: string[];
  /** The vocabulary ids whose embedding rows the adapter trained, ascending (absent: none). */
  tokenIndices?: number[];
}

/**
 * Reads a PEFT adapter (adapter_config.json + adapter_model.safetensors) against a base model and turns it into a
 * tabtune checkpoint. Refuses a mismatch, naming what differs: model type, target modules, tensor shapes.
 */
export function importPeftAdapter(files: Record<string, Uint8Array>, base: { config: EncoderConfig; id: string }): ImportedAdapter {
  const dec = new TextDecoder();
  if (!files['adapter_config.json']) throw new Error('adapter_config.json is missing: this is not a PEFT adapter folder.');
  if (!files['adapter_model.safetensors']) throw new Error('adapter_model.safetensors is missing (older .bin adapters are not supported).');
  const cfg = JSON.parse(dec.decode(files['adapter_config.json']));
  if (cfg.peft_type !== 'LORA') throw new Error(`adapter_config.json: peft_type "${cfg.peft_type}" is not supported; only LORA.`);
  const meta = files['tabtune.json'] ? JSON.parse(dec.decode(files['tabtune.json'])) : {};
  const { tensors } = readSafetensors(files['adapter_model.safetensors'], 'adapter_model.safetensors');
  const names = Object.keys(tensors);
  const prefix = base.config.modelType === 'bert' ? 'bert.' : 'distilbert.';
  const foreign = names.find((n) => /lora_[AB]\.weight$/.test(n) && !n.startsWith(`base_model.model.${prefix}`));
  if (foreign) throw new Error(`adapter_model.safetensors: "${foreign}" is not a ${base.config.modelType} module; this adapter was trained on another architecture than ${base.id} (${base.config.modelType}).`);
  const head = tensors['base_model.model.classifier.weight'];
  const bias = tensors['base_model.model.classifier.bias'];
  if (!head || !bias) throw new Error('adapter_model.safetensors has no classifier.weight / classifier.bias (modules_to_save: ["classifier"]).');
  if (head.shape[1] !== base.config.hiddenSize) {
    throw new Error(`classifier.weight is [${head.shape.join(', ')}]: it expects hidden size ${head.shape[1]}, but ${base.id} has ${base.config.hiddenSize}.`);
  }
  const labels: string[] = cfg.label_names ?? meta.labels ?? Array.from({ length: head.shape[0] }, (_, i) => `label_${i}`);
  if (labels.length !== head.shape[0]) throw new Error(`adapter_config.json names ${labels.length} labels but the classifier has ${head.shape[0]} outputs.`);
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const m = /^base_model\.model\.(?:bert\.|distilbert\.)(.+\.lora_[AB])\.weight$/.exec(name);
    if (!m) continue;
    const [rows, cols] = t.shape;
    if (name.includes('lora_A') && rows !== cfg.r) throw new Error(`${name} is [${t.shape.join(', ')}] but adapter_config.json says r = ${cfg.r}.`);
    out[m[1]] = { shape: [cols, rows], data: transpose2d(t.data, rows, cols) };
  }
  out['classifier.kernel'] = { shape: [head.shape[1], head.shape[0]], data: transpose2d(head.data, head.shape[0], head.shape[1]) };
  out['classifier.bias'] = { shape: bias.shape, data: bias.data };
  const tokenIndices = importTokens(cfg.trainable_token_indices, tensors[peftTokensKey(prefix)], base, out);
  const lora = cfg.r > 0 && cfg.target_modules?.length;
  if (tokenIndices && !lora) throw new Error('adapter_config.json trains token embeddings without LoRA layers (r 0 or no target_modules); tabtune trains tokens beside LoRA only.');
  return {
    checkpoint: writeSafetensors(out, tokenIndicesMetadata(tokenIndices)),
    tokenIndices,
    method: lora ? 'lora' : 'head',
    r: cfg.r || 1,
    alpha: cfg.lora_alpha ?? 1,
    targets: cfg.target_modules ?? [],
    labels,
  };
}

/**
 * PEFT's trainable tokens of the input embeddings, put in ascending id order (PEFT keeps the order it was given) into
 * `out` under tabtune's name. `indices` is adapter_config.json's `trainable_token_indices`: a list, or a one-entry
 * object naming the embedding layer.
 */
function importTokens(indices: unknown, rows: { shape: number[]; data: Float32Array } | undefined, base: { config: EncoderConfig; id: string }, out: Record<string, { shape: number[]; data: Float32Array }>): number[] | undefined {
  if (indices === undefined || indices === null) {
    if (rows) throw new Error('adapter_model.safetensors holds trainable token rows but adapter_config.json has no trainable_token_indices.');
    return undefined;
  }
  let list: unknown = indices;
  if (typeof indices === 'object' && !Array.isArray(indices)) {
    const entries = Object.entries(indices as Record<string, unknown>);
    if (entries.length !== 1 || !/(^|\.)word_embeddings$/.test(entries[0][0])) {
      throw new Error(`adapter_config.json: trainable_token_indices names ${entries.map(([k]) => k).join(', ') || 'no layer'}; tabtune trains tokens of the input embeddings (word_embeddings) only.`);
    }
    list = entries[0][1];
  }
  if (!Array.isArray(list)) throw new Error('adapter_config.json: trainable_token_indices must be a list of token ids.');
  if (!rows) throw new Error('adapter_config.json names trainable_token_indices but adapter_model.safetensors has no token_adapter.trainable_tokens_delta.');
  const H = base.config.hiddenSize;
  if (rows.shape[0] !== list.length || rows.shape[1] !== H) {
    throw new Error(`token_adapter.trainable_tokens_delta is [${rows.shape.join(', ')}] but adapter_config.json names ${list.length} tokens and ${base.id} has hidden size ${H}.`);
  }
  const order = list.map((_, i) => i).sort((a, b) => (list as number[])[a] - (list as number[])[b]);
  const sorted = order.map((i) => (list as number[])[i]);
  checkTokenIndices(sorted, base.config.vocabSize, 'adapter_config.json trainable_token_indices');
  const data = new Float32Array(list.length * H);
  order.forEach((src, i) => data.set(rows.data.subarray(src * H, src * H + H), i * H));
  out[TOKENS_NAME] = { shape: [list.length, H], data };
  return sorted;
}

/** Refuses an adapter trained on other labels than the dataset's, naming the labels missing on either side. */
export function checkAdapterLabels(adapterLabels: string[], labels: string[]): void {
  const missing = labels.filter((l) => !adapterLabels.includes(l));
  const extra = adapterLabels.filter((l) => !labels.includes(l));
  if (missing.length || extra.length) {
    throw new Error(`The adapter's labels (${adapterLabels.join(', ')}) differ from this dataset's (${labels.join(', ')})${missing.length ? `; missing: ${missing.join(', ')}` : ''}${extra.length ? `; not in the dataset: ${extra.join(', ')}` : ''}.`);
  }
}

/**
 * The imported adapter as checkpoint bytes for `model` (a classifier built from the adapter's own settings), its
 * head's outputs put in the dataset's label order so label i means the same in both. Every adapter matrix must
 * have a home in the base model, and every adapted layer its matrices, in the shapes the model has.
 */
export function adapterCheckpointFor(adapter: ImportedAdapter, labels: string[], model: Pick<TrainableClassifier, 'trainable' | 'trainableNames'>, baseId: string): Uint8Array {
  const { tensors } = readSafetensors(adapter.checkpoint, 'adapter');
  const order = labels.map((l) => adapter.labels.indexOf(l));
  const k = tensors['classifier.kernel'];
  const [H, n] = k.shape;
  const kernel = new Float32Array(H * n);
  for (let h = 0; h < H; h++) order.forEach((src, j) => (kernel[h * n + j] = k.data[h * n + src]));
  tensors['classifier.kernel'] = { ...k, data: kernel };
  tensors['classifier.bias'] = { ...tensors['classifier.bias'], data: Float32Array.from(order.map((src) => tensors['classifier.bias'].data[src])) };
  const names = model.trainableNames();
  const missing = names.filter((nm) => !tensors[nm]);
  const extra = Object.keys(tensors).filter((nm) => !names.includes(nm));
  if (missing.length || extra.length) {
    throw new Error(`The adapter does not fit ${baseId}: ${extra.length ? `no such layer for ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ` (+${extra.length - 3})` : ''}` : ''}${extra.length && missing.length ? '; ' : ''}${missing.length ? `missing ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` (+${missing.length - 3})` : ''}` : ''}.`);
  }
  names.forEach((nm, i) => {
    const want = model.trainable[i].shape;
    const got = tensors[nm].shape;
    if (want.join('x') !== got.join('x')) throw new Error(`Adapter tensor ${nm} is [${got.join(', ')}] (tfjs layout) but ${baseId} needs [${want.join(', ')}].`);
  });
  return writeSafetensors(Object.fromEntries(names.map((nm) => [nm, { shape: tensors[nm].shape, data: tensors[nm].data }])), tokenIndicesMetadata(adapter.tokenIndices));
}
