// Generates public/models/tiny-bert and public/models/tiny-distilbert: small random-weight models in exactly the
// hub's file formats (config.json, model.safetensors, tokenizer.json, tokenizer_config.json, vocab.txt, README.md).
// Run: npx tsx scripts/make_tiny_models.ts   (needs Debian's wamerican word list for the vocabulary filler)
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { keywordEmails as generateEmails } from '../test/helpers/keyword-emails';
import { writeSafetensors } from '../src/model/safetensors';
import { createRng } from '../src/util/rng';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const VOCAB_SIZE = 4096;

function buildVocab(): string[] {
  const chars = [...'abcdefghijklmnopqrstuvwxyz0123456789', ...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', '€', '£'];
  const suffixes = ['s', 'es', 'ed', 'ing', 'er', 'ers', 'ly', 'ion', 'ions', 'al', 'ment', 'ness', 'able', 'ful', 'est', 'y', 'ity', 'ive', 'ize', 'ous'];
  const vocab = [...SPECIALS, ...chars, ...chars.map((c) => `##${c}`), ...suffixes.map((s) => `##${s}`)];
  // Words of the built-in email task first (by frequency), so the demo tokenises into whole words.
  const freq = new Map<string, number>();
  for (const e of generateEmails({ count: 5000, seed: 12345 })) {
    for (const w of e.text.toLowerCase().match(/[a-z]+/g) ?? []) freq.set(w, (freq.get(w) ?? 0) + 1);
  }
  const taskWords = [...freq].filter(([w]) => w.length > 1).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([w]) => w);
  // Then general English words (Debian's wamerican), short ones first as they tend to be the common ones.
  const dict = existsSync('/usr/share/dict/american-english')
    ? readFileSync('/usr/share/dict/american-english', 'utf8').split('\n').filter((w) => /^[a-z]{2,8}$/.test(w))
    : [];
  dict.sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  const seen = new Set(vocab);
  for (const w of [...taskWords, ...dict]) {
    if (vocab.length >= VOCAB_SIZE) break;
    if (!seen.has(w)) {
      seen.add(w);
      vocab.push(w);
    }
  }
  return vocab;
}

function tokenizerJson(vocab: string[]) {
  const id = (t: string) => vocab.indexOf(t);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((t) => ({ id: id(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab.map((t, i) => [t, i])) },
  };
}

const tokenizerConfig = (cls: string) => ({
  do_lower_case: true,
  model_max_length: 512,
  cls_token: '[CLS]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  mask_token: '[MASK]',
  unk_token: '[UNK]',
  tokenize_chinese_chars: true,
  strip_accents: null,
  tokenizer_class: cls,
});

function normal(rng: ReturnType<typeof createRng>, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rng.next(), 1e-12);
    const v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

type Tensors = Record<string, { shape: number[]; data: Float32Array }>;

function randomWeights(shapes: Record<string, number[]>, seed: number): Tensors {
  const rng = createRng(seed);
  const out: Tensors = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    // Initialised as transformers does: normal(0, 0.02) for matrices and embeddings, LayerNorm 1/0, biases 0.
    const isNormWeight = /(LayerNorm|layer_norm)\.weight$/.test(name);
    const data = shape.length > 1 ? normal(rng, n, 0.02) : new Float32Array(n).fill(isNormWeight ? 1 : 0);
    out[name] = { shape, data };
  }
  return out;
}

function bertShapes(prefix: string, V: number, H: number, L: number, I: number, P: number): Record<string, number[]> {
  const s: Record<string, number[]> = {
    [`${prefix}embeddings.word_embeddings.weight`]: [V, H],
    [`${prefix}embeddings.position_embeddings.weight`]: [P, H],
    [`${prefix}embeddings.token_type_embeddings.weight`]: [2, H],
    [`${prefix}embeddings.LayerNorm.weight`]: [H],
    [`${prefix}embeddings.LayerNorm.bias`]: [H],
  };
  for (let l = 0; l < L; l++) {
    const p = `${prefix}encoder.layer.${l}.`;
    for (const m of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) Object.assign(s, { [`${p}${m}.weight`]: [H, H], [`${p}${m}.bias`]: [H] });
    Object.assign(s, { [`${p}attention.output.LayerNorm.weight`]: [H], [`${p}attention.output.LayerNorm.bias`]: [H] });
    Object.assign(s, { [`${p}intermediate.dense.weight`]: [I, H], [`${p}intermediate.dense.bias`]: [I] });
    Object.assign(s, { [`${p}output.dense.weight`]: [H, I], [`${p}output.dense.bias`]: [H] });
    Object.assign(s, { [`${p}output.LayerNorm.weight`]: [H], [`${p}output.LayerNorm.bias`]: [H] });
  }
  return s;
}

function distilShapes(V: number, H: number, L: number, I: number, P: number): Record<string, number[]> {
  const s: Record<string, number[]> = {
    'embeddings.word_embeddings.weight': [V, H],
    'embeddings.position_embeddings.weight': [P, H],
    'embeddings.LayerNorm.weight': [H],
    'embeddings.LayerNorm.bias': [H],
  };
  for (let l = 0; l < L; l++) {
    const p = `transformer.layer.${l}.`;
    for (const m of ['attention.q_lin', 'attention.k_lin', 'attention.v_lin', 'attention.out_lin']) Object.assign(s, { [`${p}${m}.weight`]: [H, H], [`${p}${m}.bias`]: [H] });
    Object.assign(s, { [`${p}sa_layer_norm.weight`]: [H], [`${p}sa_layer_norm.bias`]: [H] });
    Object.assign(s, { [`${p}ffn.lin1.weight`]: [I, H], [`${p}ffn.lin1.bias`]: [I] });
    Object.assign(s, { [`${p}ffn.lin2.weight`]: [H, I], [`${p}ffn.lin2.bias`]: [H] });
    Object.assign(s, { [`${p}output_layer_norm.weight`]: [H], [`${p}output_layer_norm.bias`]: [H] });
  }
  return s;
}

function card(name: string, arch: string, cfg: Record<string, unknown>, params: number): string {
  return `---
license: mit
library_name: transformers
tags: [tabtune, test-model, random-weights]
---
# ${name}

A **random-weight** ${arch} made by \`scripts/make_tiny_models.ts\` (seeded, reproducible) for tabtune's tests and
as the offline built-in model. It is in exactly the Hugging Face hub's formats (\`config.json\`,
\`model.safetensors\`, \`tokenizer.json\`), so the same loader that reads hub models reads it.

It has **not been pretrained**: it knows no English. Fine-tuning it shows that gradients flow and that LoRA can
fit a task from scratch; for fine-tuning a model that already knows something, use a pretrained model.

- parameters: ${params.toLocaleString('en-US')}
- config: \`${JSON.stringify(cfg)}\`
- vocabulary: ${VOCAB_SIZE} WordPiece tokens: the specials, single characters and \`##\` pieces (so every word
  tokenises), common suffixes, the words of tabtune's built-in email generator by frequency, then short words from
  Debian's \`wamerican\` word list (public domain).
- initialisation: normal(0, 0.02) for matrices and embeddings, LayerNorm weight 1 and bias 0, biases 0 (as transformers).
`;
}

function write(dir: string, config: Record<string, unknown>, tensors: Tensors, vocab: string[], tokClass: string, arch: string) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/config.json`, JSON.stringify(config, null, 2) + '\n');
  writeFileSync(`${dir}/model.safetensors`, writeSafetensors(tensors, { format: 'pt' }));
  writeFileSync(`${dir}/tokenizer.json`, JSON.stringify(tokenizerJson(vocab)));
  writeFileSync(`${dir}/tokenizer_config.json`, JSON.stringify(tokenizerConfig(tokClass), null, 2) + '\n');
  writeFileSync(`${dir}/vocab.txt`, vocab.join('\n') + '\n');
  const params = Object.values(tensors).reduce((s, t) => s + t.data.length, 0);
  writeFileSync(`${dir}/README.md`, card(dir.split('/').pop()!, arch, config, params));
  console.log(`${dir}: ${params} parameters`);
}

const vocab = buildVocab();
const V = vocab.length;
const H = 64;
const L = 2;
const I = 256;
const P = 512;

write(
  'public/models/tiny-bert',
  {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: V,
    hidden_size: H,
    num_hidden_layers: L,
    num_attention_heads: 2,
    intermediate_size: I,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: P,
    type_vocab_size: 2,
    initializer_range: 0.02,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    transformers_version: '4.40.0',
  },
  randomWeights(bertShapes('bert.', V, H, L, I, P), 1),
  vocab,
  'BertTokenizer',
  'BERT (2 layers, hidden 64, 2 heads)',
);
write(
  'public/models/tiny-distilbert',
  {
    architectures: ['DistilBertModel'],
    model_type: 'distilbert',
    vocab_size: V,
    dim: H,
    n_layers: L,
    n_heads: 2,
    hidden_dim: I,
    activation: 'gelu',
    dropout: 0.1,
    attention_dropout: 0.1,
    max_position_embeddings: P,
    initializer_range: 0.02,
    pad_token_id: 0,
    sinusoidal_pos_embds: false,
    torch_dtype: 'float32',
    transformers_version: '4.40.0',
  },
  randomWeights(distilShapes(V, H, L, I, P), 2),
  vocab,
  'DistilBertTokenizer',
  'DistilBERT (2 layers, dim 64, 2 heads)',
);
