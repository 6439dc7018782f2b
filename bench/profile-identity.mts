import { tf, useBackend } from '../src/runtime/tf-node';
import { createClassifier } from '../src/model/classifier';
import { AdamW } from '../src/train/optimizer';
import { trainStep } from '../src/train/loop';
import { createRng } from '../src/util/rng';
import { LORA, randomModel, shapeByName, BATCH } from './shared';
import type { HostBatch, Method } from '../src/model/types';
const seq = 32;
await useBackend('wasm');
const shape = shapeByName('minilm-l6');
const model = randomModel(shape);
const clf = createClassifier(model, { method: 'lora' as Method, numLabels: 2, seed: 0, lora: LORA, maxSeqLen: seq } as never);
const opt = new AdamW(clf.trainable, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
const rng = createRng(2);
const n = BATCH * seq;
const batch: HostBatch = { batchSize: BATCH, seqLen: seq, inputIds: Int32Array.from({ length: n }, () => 5 + rng.int(shape.vocab - 5)), attentionMask: new Int32Array(n).fill(1), labels: Int32Array.from({ length: BATCH }, () => rng.int(2)) };
for (let i = 0; i < 2; i++) { const l = trainStep(clf, opt, batch, 1e-4, 1.0); await l.data(); l.dispose(); }
const info = await tf.profile(() => { const l = trainStep(clf, opt, batch, 1e-4, 1.0); l.dataSync(); l.dispose(); });
const by = new Map<string, { n: number; ms: number }>();
for (const k of info.kernels) {
  if (k.name !== 'Identity') continue;
  const key = JSON.stringify(k.inputShapes);
  const e = by.get(key) ?? { n: 0, ms: 0 }; e.n++; e.ms += Number(k.kernelTimeMs); by.set(key, e);
}
for (const [k, v] of [...by].sort((a, b) => b[1].ms - a[1].ms)) console.log(k.padEnd(40), v.n, v.ms.toFixed(1));
