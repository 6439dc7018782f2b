// Loads a BERT-family model in the hub's own formats — config.json, model.safetensors, tokenizer.json — from a
// folder the app serves, a local directory (Node), or a hub id. Hub downloads go through transformers.js's
// hub client (progress, Cache Storage in the browser), so a second open works offline.
import type { ModelRef } from '../domain';
import type { EncoderConfig, ModelType, Pooling } from './types';
import { readSafetensors, type NamedTensor, type TensorMap } from './safetensors';
import { createTokenizer, type TextTokenizer } from './tokenizer';

export type ProgressFn = (file: string, loaded: number, total: number) => void;

export interface LoadedModel {
  id: string;
  revision: string;
  config: EncoderConfig;
  /** Tensors under canonical names (no `bert.` / `distilbert.` prefix), float32, PyTorch layouts. */
  weights: TensorMap;
  tokenizer: TextTokenizer;
  pooling: Pooling;
  /** config.json as published, for exports. */
  rawConfig: Record<string, unknown>;
  rawTokenizer: { json: unknown; config: Record<string, unknown> };
  /** Lazily created device copies of the frozen weights, shared by every classifier on this model. */
  device?: unknown;
}

export const SUPPORTED_MODEL_TYPES: ModelType[] = ['bert', 'distilbert'];

export class ModelFormatError extends Error {}

/** config.json → EncoderConfig, normalising BERT and DistilBERT names; refuses other architectures by name. */
export function parseConfig(raw: Record<string, unknown>, file = 'config.json'): EncoderConfig {
  const type = raw.model_type as string | undefined;
  if (type !== 'bert' && type !== 'distilbert') {
    throw new ModelFormatError(`${file}: model_type "${type ?? '(missing)'}" is not supported; tabtune supports ${SUPPORTED_MODEL_TYPES.join(' and ')} (BERT, MiniLM, sentence-transformers, BGE-small, DistilBERT).`);
  }
  const num = (key: string, fallback?: number) => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelFormatError(`${file}: field "${key}" must be a number (got ${JSON.stringify(raw[key])}).`);
    return v;
  };
  const act = (raw.hidden_act ?? raw.activation ?? 'gelu') as string;
  if (act !== 'gelu') throw new ModelFormatError(`${file}: activation "${act}" is not supported; tabtune implements the exact (erf) "gelu".`);
  if (type === 'bert') {
    return {
      modelType: 'bert',
      vocabSize: num('vocab_size'),
      hiddenSize: num('hidden_size'),
      numLayers: num('num_hidden_layers'),
      numHeads: num('num_attention_heads'),
      intermediateSize: num('intermediate_size'),
      maxPositions: num('max_position_embeddings'),
      typeVocabSize: num('type_vocab_size', 2),
      layerNormEps: num('layer_norm_eps', 1e-12),
      padTokenId: num('pad_token_id', 0),
    };
  }
  return {
    modelType: 'distilbert',
    vocabSize: num('vocab_size'),
    hiddenSize: num('dim'),
    numLayers: num('n_layers'),
    numHeads: num('n_heads'),
    intermediateSize: num('hidden_dim'),
    maxPositions: num('max_position_embeddings'),
    typeVocabSize: 0,
    // DistilBERT's LayerNorms are built with eps 1e-12 in transformers, whatever the config says.
    layerNormEps: 1e-12,
    padTokenId: num('pad_token_id', 0),
  };
}

/** Every tensor the encoder needs, with its PyTorch shape. */
export function expectedTensors(c: EncoderConfig): Record<string, number[]> {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const out: Record<string, number[]> = {
    'embeddings.word_embeddings.weight': [c.vocabSize, H],
    'embeddings.position_embeddings.weight': [c.maxPositions, H],
    'embeddings.LayerNorm.weight': [H],
    'embeddings.LayerNorm.bias': [H],
  };
  if (c.modelType === 'bert') out['embeddings.token_type_embeddings.weight'] = [c.typeVocabSize, H];
  for (let i = 0; i < c.numLayers; i++) {
    for (const [name, shape] of Object.entries(layerTensorShapes(c))) out[layerPrefix(c, i) + name] = shape;
  }
  void I;
  return out;
}

export function layerPrefix(c: EncoderConfig, i: number): string {
  return c.modelType === 'bert' ? `encoder.layer.${i}.` : `transformer.layer.${i}.`;
}

function layerTensorShapes(c: EncoderConfig): Record<string, number[]> {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  const lin = (name: string, o: number, i: number) => ({ [`${name}.weight`]: [o, i], [`${name}.bias`]: [o] });
  const ln = (name: string) => ({ [`${name}.weight`]: [H], [`${name}.bias`]: [H] });
  if (c.modelType === 'bert') {
    return {
      ...lin('attention.self.query', H, H),
      ...lin('attention.self.key', H, H),
      ...lin('attention.self.value', H, H),
      ...lin('attention.output.dense', H, H),
      ...ln('attention.output.LayerNorm'),
      ...lin('intermediate.dense', I, H),
      ...lin('output.dense', H, I),
      ...ln('output.LayerNorm'),
    };
  }
  return {
    ...lin('attention.q_lin', H, H),
    ...lin('attention.k_lin', H, H),
    ...lin('attention.v_lin', H, H),
    ...lin('attention.out_lin', H, H),
    ...ln('sa_layer_norm'),
    ...lin('ffn.lin1', I, H),
    ...lin('ffn.lin2', H, I),
    ...ln('output_layer_norm'),
  };
}

/**
 * Hub checkpoints name tensors with or without the architecture prefix (`bert.`, `distilbert.`), and old BERT
 * checkpoints call LayerNorm parameters gamma/beta: map them all to one canonical naming, then check every
 * expected tensor is there with the right shape.
 */
export function canonicalWeights(c: EncoderConfig, tensors: TensorMap, file = 'model.safetensors'): TensorMap {
  const prefix = c.modelType === 'bert' ? 'bert.' : 'distilbert.';
  const out: TensorMap = {};
  for (const [name, t] of Object.entries(tensors)) {
    let n = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    n = n.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
    out[n] = t;
  }
  for (const [name, shape] of Object.entries(expectedTensors(c))) {
    const t = out[name];
    if (!t) throw new ModelFormatError(`${file}: tensor "${name}" (or "${prefix}${name}") is missing; expected shape [${shape.join(', ')}].`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFormatError(`${file}: tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] from config.json.`);
    }
  }
  return out;
}

/** sentence-transformers models are trained for mean pooling; everything else uses [CLS]. */
export function choosePooling(id: string, files: { modules?: unknown; sentenceConfig?: unknown; pooling?: { pooling_mode_mean_tokens?: boolean; pooling_mode_cls_token?: boolean } }): Pooling {
  if (files.pooling?.pooling_mode_cls_token) return 'cls';
  if (files.pooling?.pooling_mode_mean_tokens) return 'mean';
  if (files.modules || files.sentenceConfig || id.startsWith('sentence-transformers/')) return 'mean';
  return 'cls';
}

export interface FileSource {
  text(file: string, optional?: boolean): Promise<string | null>;
  bytes(file: string): Promise<Uint8Array>;
}

export async function loadModel(ref: ModelRef, onProgress?: ProgressFn): Promise<LoadedModel> {
  const src = ref.url ? await folderSource(ref.url, onProgress) : await hubSource(ref, onProgress);
  const rawConfig = JSON.parse((await src.text('config.json'))!) as Record<string, unknown>;
  const config = parseConfig(rawConfig);
  const tokJson = JSON.parse((await src.text('tokenizer.json'))!);
  const tokConfigText = await src.text('tokenizer_config.json', true);
  const tokConfig = tokConfigText ? (JSON.parse(tokConfigText) as Record<string, unknown>) : {};
  const [modules, sentenceConfig, pooling] = await Promise.all([
    src.text('modules.json', true),
    src.text('sentence_bert_config.json', true),
    src.text('1_Pooling/config.json', true),
  ]);
  const { tensors } = readSafetensors(await src.bytes('model.safetensors'));
  const weights = canonicalWeights(config, tensors);
  const tokenizer = createTokenizer(tokJson, tokConfig, config.modelType);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new ModelFormatError(`tokenizer.json has ${tokenizer.vocabSize} tokens but config.json's vocab_size is ${config.vocabSize}.`);
  }
  return {
    id: ref.id,
    revision: ref.revision ?? 'bundled',
    config,
    weights,
    tokenizer,
    pooling: choosePooling(ref.id, { modules, sentenceConfig, pooling: pooling ? JSON.parse(pooling) : undefined }),
    rawConfig,
    rawTokenizer: { json: tokJson, config: tokConfig },
  };
}

/** A folder: an http(s) URL (the app's own public/models) or, in Node, a directory path. */
async function folderSource(base: string, onProgress?: ProgressFn): Promise<FileSource> {
  if (/^https?:/.test(base)) {
    const url = (f: string) => `${base.replace(/\/$/, '')}/${f}`;
    const get = async (f: string, optional: boolean) => {
      const r = await fetch(url(f));
      // A dev server may answer a missing file with index.html: only a non-HTML 200 counts as the file.
      if (!r.ok || (r.headers.get('content-type') ?? '').includes('text/html')) {
        if (optional) return null;
        throw new ModelFormatError(`${url(f)}: ${r.ok ? 'got an HTML page instead of the file' : `HTTP ${r.status}`}.`);
      }
      return r;
    };
    return {
      text: async (f, optional = false) => (await get(f, optional))?.text() ?? null,
      bytes: (f) => retryNetwork(() => get(f, false).then((r) => readWithProgress(r!, f, onProgress))),
    };
  }
  const fsName = 'node:fs/promises';
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
  const path = (f: string) => `${base.replace(/\/$/, '')}/${f}`;
  const read = async (f: string) => {
    try {
      return await fs.readFile(path(f));
    } catch (e) {
      throw new ModelFormatError(`${path(f)}: ${(e as Error).message}`);
    }
  };
  return {
    text: async (f, optional = false) => {
      const b = await read(f).catch((e) => {
        if (optional) return null;
        throw e;
      });
      return b ? new TextDecoder().decode(b) : null;
    },
    bytes: async (f) => {
      const b = await read(f);
      onProgress?.(f, b.byteLength, b.byteLength);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    },
  };
}

/**
 * Runs a download again when the network, not the file, failed (fetch's TypeError). Chromium failed one of two
 * simultaneous reads of the same 13 MB weights file with "network error" when the page's side-by-side comparison
 * started both models at once (test/e2e/app.test.ts); the retry then reads it whole. A bad file (HTTP error, wrong
 * content) is a ModelFormatError and fails at once.
 */
export async function retryNetwork<T>(read: () => Promise<T>, attempts = 3, waitMs = 500): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await read();
    } catch (e) {
      if (!(e instanceof TypeError) || i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, waitMs * i));
    }
  }
}

async function readWithProgress(r: Response, file: string, onProgress?: ProgressFn): Promise<Uint8Array> {
  const total = Number(r.headers.get('content-length') ?? 0);
  if (!r.body || !onProgress) return new Uint8Array(await r.arrayBuffer());
  const reader = r.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress(file, loaded, Math.max(total, loaded));
  }
  const out = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/** The hub through transformers.js's client: `{host}/{id}/resolve/{revision}/{file}`, cached in Cache Storage. */
async function hubSource(ref: ModelRef, onProgress?: ProgressFn): Promise<FileSource> {
  const { env } = await import('@xenova/transformers');
  // @ts-expect-error transformers.js ships no types for its hub module
  const hub = await import('@xenova/transformers/src/utils/hub.js');
  env.allowRemoteModels = true;
  env.allowLocalModels = false;
  env.remoteHost = (ref.hubHost ?? 'https://huggingface.co').replace(/\/?$/, '/');
  env.remotePathTemplate = '{model}/resolve/{revision}/';
  const options = {
    revision: ref.revision ?? 'main',
    progress_callback: (p: { status: string; file: string; loaded?: number; total?: number }) => {
      if (p.status === 'progress' && onProgress) onProgress(p.file, p.loaded ?? 0, p.total ?? 0);
    },
  };
  const get = async (f: string, fatal: boolean): Promise<Uint8Array | null> => {
    try {
      return await hub.getModelFile(ref.id, f, fatal, options);
    } catch (e) {
      if (!fatal) return null;
      const offline = typeof navigator !== 'undefined' && navigator.onLine === false;
      throw new ModelFormatError(
        `Could not download ${f} of ${ref.id} from ${env.remoteHost}${offline ? ' — this browser is offline and the model is not cached; the bundled models work offline' : ''}: ${(e as Error).message}`,
      );
    }
  };
  return {
    text: async (f, optional = false) => {
      const b = await get(f, !optional);
      return b ? new TextDecoder().decode(b) : null;
    },
    bytes: async (f) => (await get(f, true))!,
  };
}

export { isModelCached } from './cache';

export type { NamedTensor };
