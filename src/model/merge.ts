// A merged model: LoRA folded into the base weights (W' = W + s·B·A, PyTorch layout) and the classifier head
// added, written as the hub's files (config.json, model.safetensors, tokenizer.json), loadable anywhere a BERT
// checkpoint is — including back into tabtune, where it needs no adapter at all. Trained token rows replace their
// rows of the word-embedding matrix, as PEFT's merge does (index_copy).
import type { LoadedModel } from './load';
import { readSafetensors, transpose2d, writeSafetensors } from './safetensors';
import { tokenIndicesFromMetadata, TOKENS_NAME } from './trainable-tokens';

/**
 * @param checkpoint tabtune checkpoint bytes (internal names, tfjs layouts), from a lora, head or full run.
 * @param scaling    lora_alpha / r of the run (ignored for head and full).
 */
export function mergedFiles(base: LoadedModel, checkpoint: ArrayBuffer, scaling: number, labels: string[]): Record<string, Uint8Array> {
  const { tensors: ck, metadata } = readSafetensors(new Uint8Array(checkpoint), 'checkpoint');
  const prefix = base.config.modelType === 'bert' ? 'bert.' : 'distilbert.';
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(base.weights)) out[prefix + name] = { shape: [...t.shape], data: Float32Array.from(t.data) };
  for (const [name, t] of Object.entries(ck)) {
    if (name.endsWith('.lora_A')) {
      const module = name.slice(0, -'.lora_A'.length);
      const a = t; // tfjs [in, r]
      const b = ck[`${module}.lora_B`]; // tfjs [r, out]
      const [inDim, r] = a.shape;
      const outDim = b.shape[1];
      const w = out[`${prefix}${module}.weight`]; // PyTorch [out, in]
      for (let o = 0; o < outDim; o++) {
        for (let i = 0; i < inDim; i++) {
          let s = 0;
          for (let k = 0; k < r; k++) s += b.data[k * outDim + o] * a.data[i * r + k];
          w.data[o * inDim + i] += scaling * s;
        }
      }
    } else if (name.endsWith('.lora_B')) {
      continue;
    } else if (name === TOKENS_NAME) {
      const indices = tokenIndicesFromMetadata(metadata, 'checkpoint') ?? [];
      const word = out[`${prefix}embeddings.word_embeddings.weight`];
      const H = word.shape[1];
      if (indices.length !== t.shape[0] || t.shape[1] !== H) throw new Error(`The checkpoint's ${t.shape[0]} trainable token rows do not match its ${indices.length} token ids and ${base.id}'s hidden size ${H}.`);
      indices.forEach((id, i) => word.data.set(t.data.subarray(i * H, i * H + H), id * H));
    } else if (name === 'classifier.kernel') {
      out['classifier.weight'] = { shape: [t.shape[1], t.shape[0]], data: transpose2d(t.data, t.shape[0], t.shape[1]) };
    } else if (name === 'classifier.bias') {
      out['classifier.bias'] = { shape: t.shape, data: t.data };
    } else {
      // A full fine-tuning checkpoint: every encoder weight, kernels stored as tfjs [in, out].
      const isKernel = name.endsWith('.weight.kernel');
      const key = prefix + (isKernel ? name.replace(/\.kernel$/, '') : name);
      if (!out[key]) throw new Error(`Checkpoint tensor "${name}" does not belong to ${base.id}.`);
      out[key] = isKernel ? { shape: [t.shape[1], t.shape[0]], data: transpose2d(t.data, t.shape[0], t.shape[1]) } : { shape: t.shape, data: t.data };
    }
  }
  const arch = base.config.modelType === 'bert' ? 'BertForSequenceClassification' : 'DistilBertForSequenceClassification';
  const config = {
    ...base.rawConfig,
    // The merged weights are written as float32 whatever the base shipped in; transformers 5 loads a model in the
    // dtype its config names, so a float16 base's config would silently turn the export into float16.
    torch_dtype: 'float32',
    architectures: [arch],
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    tabtune_pooling: base.pooling,
  };
  const enc = new TextEncoder();
  return {
    'config.json': enc.encode(JSON.stringify(config, null, 2) + '\n'),
    'model.safetensors': writeSafetensors(out, { format: 'pt' }),
    'tokenizer.json': enc.encode(JSON.stringify(base.rawTokenizer.json)),
    'tokenizer_config.json': enc.encode(JSON.stringify(base.rawTokenizer.config, null, 2) + '\n'),
  };
}
