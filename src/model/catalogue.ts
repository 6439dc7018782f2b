// The models tabtune offers (the page, the command line, the jobs API): bundled ones (served from public/models,
// offline) and known hub models.
// Sizes and parameter counts of hub models are from their model cards; the loader reports the real ones.
import type { ModelRef } from '../domain';

export interface ModelOption {
  id: string;
  label: string;
  /** Served by the app itself (works offline). */
  bundled: boolean;
  /** Parameters and download size, from the model card (approximate for hub models). */
  params: number;
  downloadBytes: number;
  hidden: number;
  layers: number;
  description: string;
  /** Saved with its masked-language-model head: the page can ask it to fill in a [MASK]. */
  fillsMasks?: boolean;
  /** Masked-token accuracy on held-out text and the most-frequent-token guess at the same positions, as its
   * model card measured them (test/unit/tabtune-mini.test.ts holds the two equal). */
  maskAccuracy?: { heldOut: number; mostFrequent: number };
  /** A random-weight twin: the bundled folder it loads, with every weight re-drawn from this seed. */
  twinOf?: { folder: string; seed: number };
}

export const MODEL_OPTIONS: ModelOption[] = [
  { id: 'tabtune-mini', label: 'tabtune-mini (bundled, pretrained)', bundled: true, params: 6_338_560, downloadBytes: 12_800_000, hidden: 256, layers: 4, description: 'A small BERT pretrained for this app on English text that Debian installs (dictionaries, package descriptions, manuals), first to fill in masked words and then to embed sentences: real fine-tuning, offline.', fillsMasks: true, maskAccuracy: { heldOut: 0.212, mostFrequent: 0.051 } },
  { id: 'tabtune-mini-random', label: 'tabtune-mini, random weights (bundled)', bundled: true, params: 6_338_560, downloadBytes: 12_800_000, hidden: 256, layers: 4, description: 'tabtune-mini with its knowledge taken out: same architecture and tokenizer, every weight re-drawn at random in the page. Compare the two to see what pretraining is worth.', twinOf: { folder: 'tabtune-mini', seed: 0 }, fillsMasks: true, maskAccuracy: { heldOut: 0, mostFrequent: 0.051 } },
  { id: 'tiny-bert', label: 'tiny-bert (bundled, random weights)', bundled: true, params: 395_136, downloadBytes: 1_700_000, hidden: 64, layers: 2, description: 'A small BERT with random weights: fast, shows that training works, knows no English.' },
  { id: 'tiny-distilbert', label: 'tiny-distilbert (bundled, random weights)', bundled: true, params: 395_008, downloadBytes: 1_700_000, hidden: 64, layers: 2, description: 'The DistilBERT architecture in miniature, random weights.' },
  { id: 'sentence-transformers/all-MiniLM-L6-v2', label: 'all-MiniLM-L6-v2 (hub)', bundled: false, params: 22_700_000, downloadBytes: 90_900_000, hidden: 384, layers: 6, description: 'A popular sentence-embedding model; mean pooling.' },
  { id: 'sentence-transformers/paraphrase-MiniLM-L3-v2', label: 'paraphrase-MiniLM-L3-v2 (hub)', bundled: false, params: 17_400_000, downloadBytes: 69_600_000, hidden: 384, layers: 3, description: 'Three layers: the fastest hub model here.' },
  { id: 'BAAI/bge-small-en-v1.5', label: 'bge-small-en-v1.5 (hub)', bundled: false, params: 33_400_000, downloadBytes: 133_000_000, hidden: 384, layers: 12, description: 'A strong small embedding model (12 layers).' },
  { id: 'distilbert-base-uncased', label: 'distilbert-base-uncased (hub)', bundled: false, params: 66_400_000, downloadBytes: 268_000_000, hidden: 768, layers: 6, description: 'The classic distilled BERT; [CLS] pooling.' },
];

export const HUB_HOST = 'https://huggingface.co';

export function modelRef(id: string, baseUrl: string): ModelRef {
  const known = MODEL_OPTIONS.find((m) => m.id === id);
  if (known?.twinOf) return { id, url: new URL(`models/${known.twinOf.folder}`, baseUrl).href, reinitSeed: known.twinOf.seed };
  if (known?.bundled || (!id.includes('/') && !known)) return { id, url: new URL(`models/${id}`, baseUrl).href };
  return { id, revision: 'main', hubHost: HUB_HOST };
}

/**
 * Rough memory to train: weights, plus gradients and two AdamW moments for what trains, plus activations kept for
 * the backward pass (about 20 floats per hidden unit per token per layer).
 */
export function estimateTrainingBytes(m: Pick<ModelOption, 'params' | 'hidden' | 'layers'>, trainableParams: number, batch: number, seq: number): number {
  const weights = m.params * 4;
  const optimizer = trainableParams * 4 * 3;
  const activations = batch * seq * m.hidden * m.layers * 20 * 4;
  return weights + optimizer + activations;
}

export function fmtBytes(n: number): string {
  if (!n) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(n < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}
