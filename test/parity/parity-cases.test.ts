// The goldens' per-tensor cases (scripts/make_goldens.py): LoRA on every linear kind + head through [CLS] and
// mean pooling (sentence-transformers models), each gradient also judged against its own tensor's scale, and full
// fine-tuning, whose gradient reaches the word-embedding table through the custom gather
// gradient (scatterND, repeated ids summed) that makes `full` work on wasm.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { tf, useBackend } from '../../src/runtime/tf-node';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { createClassifier, type Classifier } from '../../src/model/classifier';
import { disposeEncoder, type EncoderWeights } from '../../src/model/encoder';
import { crossEntropy } from '../../src/train/loop';

interface CaseGolden {
  targets: string[];
  r: number;
  alpha: number;
  num_labels: number;
  ids: number[][];
  mask: number[][];
  labels: number[];
  init: Record<string, { shape: number[]; data: number[] }>;
  adamw: { losses: number[] };
  loss: number;
  logits: number[][];
  grads: Record<string, number[]>;
  mean: { logits: number[][]; loss: number; grads: Record<string, number[]> };
  full: {
    logits: number[][];
    loss: number;
    word_rows: number[];
    word_grad_rows: number[][];
    grads: Record<string, { rows?: number; data: number[] }>;
  };
}

/** Largest |got - ref| / max(1e-4, 1e-3 |ref|): below 1 means within 1e-4 absolute or 1e-3 relative everywhere. */
const score = (got: ArrayLike<number>, ref: ArrayLike<number>) => {
  expect(got.length).toBe(ref.length);
  let s = 0;
  for (let i = 0; i < ref.length; i++) s = Math.max(s, Math.abs(got[i] - ref[i]) / Math.max(1e-4, 1e-3 * Math.abs(ref[i])));
  return s;
};
/** Error relative to the tensor's own scale: tiny gradients (~1e-5 here) would pass any 1e-4 absolute bound. */
const scaled = (got: ArrayLike<number>, ref: ArrayLike<number>) => maxAbs(got, ref) / Math.max(...Array.from(ref, Math.abs));
const maxAbs = (got: ArrayLike<number>, ref: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(got[i] - ref[i]));
  return m;
};

/** tfjs name of a trainable variable → golden (PyTorch) name, and whether tfjs holds it transposed. */
function torchName(n: string): { name: string; transpose: boolean } {
  if (n === 'classifier.kernel') return { name: 'classifier.weight', transpose: true };
  if (n === 'classifier.bias') return { name: n, transpose: false };
  if (n.endsWith('.kernel')) return { name: n.slice(0, -'.kernel'.length), transpose: true };
  if (n.endsWith('.lora_A') || n.endsWith('.lora_B')) return { name: n, transpose: true };
  return { name: n, transpose: false };
}

async function asTorch(t: tf.Tensor, transpose: boolean): Promise<Float32Array> {
  const x = transpose ? tf.transpose(t) : tf.clone(t);
  const d = (await x.data()) as Float32Array;
  x.dispose();
  return d;
}

function setFromGolden(clf: Classifier, g: CaseGolden) {
  clf.trainableNames().forEach((n, i) => {
    const { name, transpose } = torchName(n);
    const init = g.init[name];
    if (!init) return; // base weights (full): already the checkpoint's
    tf.tidy(() => {
      const t = tf.tensor(init.data, init.shape);
      clf.trainable[i].assign(transpose ? tf.transpose(t) : t);
    });
  });
}

async function lossAndGrads(clf: Classifier, g: CaseGolden) {
  const ids = tf.tensor2d(g.ids, undefined, 'int32');
  const mask = tf.tensor2d(g.mask, undefined, 'int32');
  const labels = tf.tensor1d(g.labels, 'int32');
  const logits = tf.tidy(() => clf.logits(ids, mask, false));
  const { value, grads } = tf.variableGrads(() => crossEntropy(clf.logits(ids, mask, true), labels, g.num_labels), clf.trainable);
  const out = { logits: (await logits.data()) as Float32Array, loss: (await value.data())[0], grads };
  tf.dispose([ids, mask, labels, logits, value]);
  return out;
}

/** Largest error allowed relative to each gradient tensor's largest element. */
const SCALED_TOL = 1e-4;

const load = (name: string) => loadModel({ id: name, url: resolve(`public/models/${name}`) });

for (const backend of ['cpu', 'wasm', 'webgpu'] as const) {
  describe(`tfjs ${backend}: mean pooling and full fine-tuning against PyTorch`, () => {
    for (const name of ['tiny-bert', 'tiny-distilbert']) {
      const g = JSON.parse(readFileSync(`test/fixtures/goldens/${name}.json`, 'utf8')) as CaseGolden;

      // A golden file emptied or cut short must fail here, not leave the loops below with nothing to compare.
      it(`${name}: the golden holds every case scripts/make_goldens.py writes`, () => {
        expect(g.ids).toHaveLength(3);
        expect(Object.keys(g.grads)).toHaveLength(26);
        expect(Object.keys(g.mean.grads)).toHaveLength(26);
        expect(Object.keys(g.full.grads)).toHaveLength(name === 'tiny-bert' ? 7 : 6);
        expect(g.full.word_rows.length).toBeGreaterThan(0);
        expect(g.full.word_grad_rows).toHaveLength(g.full.word_rows.length);
        expect(g.alpha / g.r).toBe(3);
      });

      for (const pooling of ['cls', 'mean'] as const) {
        const ref = pooling === 'cls' ? { logits: g.logits, loss: g.loss, grads: g.grads } : g.mean;
        it(`${name}: LoRA on all ${g.targets.length} linear kinds + head, ${pooling} pooling: logits, loss, every gradient`, async () => {
          await useBackend(backend);
          const model: LoadedModel = { ...(await load(name)), pooling };
          const clf = createClassifier(model, { method: 'lora', numLabels: g.num_labels, seed: 0, lora: { r: g.r, alpha: g.alpha, dropout: 0, targetModules: g.targets } });
          expect(clf.adapters.length).toBe(2 * g.targets.length);
          setFromGolden(clf, g);
          const { logits, loss, grads } = await lossAndGrads(clf, g);
          let gradScore = 0;
          let gradAbs = 0;
          let gradScaled = 0;
          for (const [i, n] of clf.trainableNames().entries()) {
            const { name: tn, transpose } = torchName(n);
            const got = await asTorch(grads[clf.trainable[i].name], transpose);
            gradScore = Math.max(gradScore, score(got, ref.grads[tn]));
            gradAbs = Math.max(gradAbs, maxAbs(got, ref.grads[tn]));
            gradScaled = Math.max(gradScaled, scaled(got, ref.grads[tn]));
          }
          tf.dispose(Object.values(grads));
          const e = { logits: maxAbs(logits, ref.logits.flat()), loss: Math.abs(loss - ref.loss) };
          console.log(`${backend} ${name} ${pooling} pooling: logits ${e.logits.toExponential(2)}, loss ${e.loss.toExponential(2)}, grads max abs ${gradAbs.toExponential(2)} (score ${gradScore.toFixed(3)}, ${gradScaled.toExponential(2)} of each tensor's largest)`);
          expect(e.logits).toBeLessThanOrEqual(1e-4);
          expect(e.loss).toBeLessThanOrEqual(1e-4);
          expect(gradScore).toBeLessThan(1);
          expect(gradScaled).toBeLessThan(SCALED_TOL);
          clf.dispose();
          disposeEncoder(model.device as EncoderWeights);
        });
      }

      it(`${name}: full fine-tuning: logits, loss, gradients of embedding rows (repeated ids), positions, a layer, the head`, async () => {
        await useBackend(backend);
        const model = await load(name);
        const clf = createClassifier(model, { method: 'full', numLabels: g.num_labels, seed: 0, lora: { r: 1, alpha: 1, dropout: 0, targetModules: ['query'] } });
        setFromGolden(clf, g);
        const { logits, loss, grads } = await lossAndGrads(clf, g);
        const byName = new Map(clf.trainableNames().map((n, i) => [torchName(n).name, { v: clf.trainable[i], transpose: torchName(n).transpose }]));
        const H = model.config.hiddenSize;
        const scores: Record<string, number> = {};
        let gradAbs = 0;
        let gradScaled = 0;
        const compare = (label: string, got: ArrayLike<number>, ref: number[]) => {
          scores[label] = score(got, ref);
          gradAbs = Math.max(gradAbs, maxAbs(got, ref));
          gradScaled = Math.max(gradScaled, scaled(got, ref));
        };
        // The word-embedding gradient, row by row for the ids in the batch (the first text repeats two ids).
        const word = byName.get('embeddings.word_embeddings.weight')!;
        const wordGrad = (await grads[word.v.name].data()) as Float32Array;
        compare('word rows', g.full.word_rows.flatMap((r) => Array.from(wordGrad.subarray(r * H, (r + 1) * H))), g.full.word_grad_rows.flat());
        for (const [tn, ref] of Object.entries(g.full.grads)) {
          const { v, transpose } = byName.get(tn)!;
          const all = await asTorch(grads[v.name], transpose);
          compare(tn, ref.rows ? all.subarray(0, ref.rows * H) : all, ref.data);
        }
        tf.dispose(Object.values(grads));
        const worst = Object.entries(scores).sort((a, b) => b[1] - a[1])[0];
        const e = { logits: maxAbs(logits, g.full.logits.flat()), loss: Math.abs(loss - g.full.loss) };
        console.log(`${backend} ${name} full: logits ${e.logits.toExponential(2)}, loss ${e.loss.toExponential(2)}, grads max abs ${gradAbs.toExponential(2)} (worst score ${worst[1].toFixed(3)} on ${worst[0]}; ${gradScaled.toExponential(2)} of each tensor's largest)`);
        expect(e.logits).toBeLessThanOrEqual(1e-4);
        expect(e.loss).toBeLessThanOrEqual(1e-4);
        expect(worst[1]).toBeLessThan(1);
        expect(gradScaled).toBeLessThan(SCALED_TOL);
        clf.dispose();
      });
    }
  });
}
