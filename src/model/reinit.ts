// A pretrained model's exact twin with the knowledge taken out: same architecture, same tokenizer, every weight
// re-drawn as BERT initialises a fresh model (transformers' _init_weights: linear and embedding weights from
// N(0, initializer_range), the padding row of the word embeddings zero, biases zero, LayerNorm 1 and 0).
// Fine-tuning the two side by side with the same settings shows what pretraining is worth, with nothing else
// differing — not the size, not the vocabulary.
import type { LoadedModel } from './load';
import type { NamedTensor, TensorMap } from './safetensors';
import { createRng, type Rng } from '../util/rng';

/** Standard normal samples by Box–Muller from the project's seeded generator (same numbers on every engine). */
function normal(rng: Rng): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - rng.next(); // (0, 1]: log(u) is finite
    const v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export type InitKind = 'normal' | 'zeros' | 'ones';

/** How transformers initialises a tensor of this (canonical or prefixed) name. */
export function initKind(name: string): InitKind {
  if (/(LayerNorm|layer_norm)\.(weight|gamma)$/.test(name)) return 'ones';
  if (/(LayerNorm|layer_norm)\.(bias|beta)$/.test(name)) return 'zeros';
  if (/\.bias$/.test(name) || name === 'cls.predictions.bias') return 'zeros';
  return 'normal';
}

/** A new LoadedModel whose weights are freshly initialised from `seed`; the original is left untouched. */
export function reinitialised(model: LoadedModel, seed: number, id = `${model.id}-random`): LoadedModel {
  const std = Number(model.rawConfig.initializer_range ?? 0.02);
  const draw = normal(createRng(seed));
  const weights: TensorMap = {};
  // Sorted names, so the draw order (and so every value) depends on the seed alone.
  for (const name of Object.keys(model.weights).sort()) {
    const src = model.weights[name];
    const data = new Float32Array(src.data.length);
    const kind = initKind(name);
    if (kind === 'ones') data.fill(1);
    else if (kind === 'normal') for (let i = 0; i < data.length; i++) data[i] = std * draw();
    weights[name] = { dtype: 'F32', shape: [...src.shape], data } satisfies NamedTensor;
  }
  const pad = model.config.padTokenId;
  const word = Object.keys(weights).find((n) => /word_embeddings\.weight$/.test(n));
  if (word && pad !== undefined && pad !== null && pad >= 0) {
    const hidden = weights[word].shape[1];
    weights[word].data.fill(0, pad * hidden, (pad + 1) * hidden);
  }
  return { ...model, id, revision: `random-init-seed-${seed}`, weights, device: undefined };
}
