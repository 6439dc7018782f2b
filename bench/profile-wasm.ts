// `npx tsx bench/profile-wasm.ts [model] [method] [seq]`: one training step on Node's wasm backend under tf.profile,
// wall time summed per kernel name (wasm kernels run synchronously, so each kernel's time is its own).
import { tf, useBackend } from '../src/runtime/tf-node';
import { createClassifier } from '../src/model/classifier';
import { AdamW } from '../src/train/optimizer';
import { trainStep } from '../src/train/loop';
import { createRng } from '../src/util/rng';
import { LORA, kernelKey, randomModel, shapeByName, BATCH } from './shared';
import type { HostBatch, Method } from '../src/model/types';

const [modelName = 'minilm-l6', method = 'lora', seqArg = '32'] = process.argv.slice(2);
const seq = Number(seqArg);
await useBackend('wasm');
if (process.env.FUSED === 'off') (await import('../src/model/fused/wasm-common')).setFusedWasmMode('off');
const shape = shapeByName(modelName);
const model = randomModel(shape);
const clf = createClassifier(model, { method: method as Method, numLabels: 2, seed: 0, lora: LORA, maxSeqLen: seq } as never);
const opt = new AdamW(clf.trainable, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
const rng = createRng(2);
const n = BATCH * seq;
const batch: HostBatch = {
  batchSize: BATCH, seqLen: seq,
  inputIds: Int32Array.from({ length: n }, () => 5 + rng.int(shape.vocab - 5)),
  attentionMask: new Int32Array(n).fill(1),
  labels: Int32Array.from({ length: BATCH }, () => rng.int(2)),
};
for (let i = 0; i < 2; i++) { const l = trainStep(clf, opt, batch, 1e-4, 1.0); await l.data(); l.dispose(); }
const t0 = performance.now();
for (let i = 0; i < 3; i++) { const l = trainStep(clf, opt, batch, 1e-4, 1.0); await l.data(); l.dispose(); }
console.log(`plain step ${((performance.now() - t0) / 3).toFixed(1)} ms`);
const info = await tf.profile(() => { const l = trainStep(clf, opt, batch, 1e-4, 1.0); l.dataSync(); l.dispose(); });
const by = new Map<string, { n: number; ms: number }>();
let total = 0;
for (const k of info.kernels) {
  const ms = Number(k.kernelTimeMs);
  total += ms;
  const key = process.env.SHAPES ? kernelKey(k) : k.name;
  const e = by.get(key) ?? { n: 0, ms: 0 };
  e.n++; e.ms += ms; by.set(key, e);
}
console.log(`profiled: ${info.kernels.length} kernels, ${total.toFixed(1)} ms summed`);
for (const [k, v] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, process.env.SHAPES ? 60 : 30)) console.log(`${k.padEnd(28)} ${String(v.n).padStart(5)} ${v.ms.toFixed(1).padStart(8)} ms`);
