// `npm run -s predict -- --model DIR_OR_ID [--adapter DIR] --text "..."`: one JSON line with the token ids, the
// pooled embedding and, with an adapter, the labels and their probabilities. With an adapter, `embedding` is the
// tuned model's (LoRA applied, or the fully tuned encoder) and `base_embedding` the base model's, so the tuned
// embedding can be checked against the adapter merged into the base weights by another library.
import { parseArgs } from 'node:util';
import { readFileSync, existsSync } from 'node:fs';
import { importPeftAdapter } from '../../src/model/peft';
import { nodeWebGpuAdapter, useBackend } from '../../src/runtime/tf-node';
import { loadModel } from '../../src/model/load';
import { createClassifier } from '../../src/model/classifier';
import { readSafetensors } from '../../src/model/safetensors';
import { cliModelRef } from './model-ref';
import { DEFAULT_MODEL_ID, DEFAULT_TRAIN_CONFIG } from '../../src/config';

// Errors end the command with one readable line, not a stack trace through minified wasm glue.
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string', default: DEFAULT_MODEL_ID }, adapter: { type: 'string' }, text: { type: 'string' }, 'max-len': { type: 'string', default: '128' }, backend: { type: 'string', default: 'wasm' } } });
  if (values.text === undefined) {
    process.stderr.write('usage: npm run -s predict -- --model DIR_OR_ID [--adapter DIR] [--backend wasm|cpu|webgpu] --text "..."\n');
    process.exit(2);
  }
  if (!['wasm', 'cpu', 'webgpu'].includes(values.backend!)) throw new Error(`--backend must be wasm, cpu or webgpu, not "${values.backend}".`);
  const tf = await useBackend(values.backend as 'wasm' | 'cpu' | 'webgpu');
  // Async reads: WebGPU in Node has no synchronous readback (tfjs would need a canvas).
  const read = async (t: import('@tensorflow/tfjs').Tensor): Promise<number[]> => {
    const v = Array.from(await t.data());
    t.dispose();
    return v;
  };
  const model = await loadModel(cliModelRef(values.model!));
  const ids = model.tokenizer.encode(values.text, Number(values['max-len']));
  const idsT = tf.tensor2d([ids], [1, ids.length], 'int32');
  const mask = tf.onesLike(idsT) as typeof idsT;
  
  let labels: string[] | undefined;
  let probs: number[] | undefined;
  let tuned: number[] | undefined;
  const baseClf = createClassifier(model, { method: 'head', numLabels: 2, seed: DEFAULT_TRAIN_CONFIG.seed, lora: { r: 1, alpha: 1, dropout: 0, targetModules: ['query'] } });
  const baseEmbedding = await read(tf.tidy(() => baseClf.embedBase(idsT, mask)));
  baseClf.dispose();
  if (values.adapter) {
    const files = Object.fromEntries(['adapter_config.json', 'adapter_model.safetensors', 'tabtune.json'].filter((f) => existsSync(`${values.adapter}/${f}`)).map((f) => [f, new Uint8Array(readFileSync(`${values.adapter}/${f}`))]));
    const adapter = importPeftAdapter(files, model);
    labels = adapter.labels;
    const clf = createClassifier(model, { method: adapter.method, numLabels: labels.length, seed: 0, lora: { r: adapter.r, alpha: adapter.alpha, dropout: 0, targetModules: adapter.targets.length ? adapter.targets : ['query'] }, tokenIndices: adapter.tokenIndices });
    const { tensors } = readSafetensors(adapter.checkpoint, 'adapter');
    clf.trainableNames().forEach((n, i) => {
      const t = tensors[n];
      if (!t) throw new Error(`${values.adapter}: the adapter has no weights for ${n}.`);
      const value = tf.tensor(t.data, clf.trainable[i].shape);
      clf.trainable[i].assign(value);
      value.dispose();
    });
    probs = await read(tf.tidy(() => tf.softmax(clf.logits(idsT, mask, false))));
    tuned = await read(tf.tidy(() => clf.embed(idsT, mask)));
    clf.dispose();
  }
  const out = tuned ? { embedding: tuned, base_embedding: baseEmbedding, labels, probs } : { embedding: baseEmbedding };
  const adapter = nodeWebGpuAdapter();
  process.stdout.write(JSON.stringify({ backend: tf.getBackend(), ...(adapter ? { adapter } : {}), input_ids: ids, pooling: model.pooling, ...out }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`predict: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
