import * as tfc from '@tensorflow/tfjs';
import { tf, useBackend } from '../src/runtime/tf-node';
import { createClassifier } from '../src/model/classifier';
import { AdamW } from '../src/train/optimizer';
import { trainStep } from '../src/train/loop';
import { createRng } from '../src/util/rng';
import { LORA, randomModel, shapeByName, BATCH } from './shared';
import type { HostBatch, Method } from '../src/model/types';
const seq = 32;
await useBackend('wasm');
const k = tfc.getKernel('Identity', 'wasm')!;
const orig = k.kernelFunc;
const stacks = new Map<string, number>();
let on = false;
tfc.unregisterKernel('Identity', 'wasm');
tfc.registerKernel({ ...k, kernelFunc: (args) => { if (on) { const s = (new Error().stack ?? '').split('\n').filter((l) => /src\/|tfjs-core\/dist\/(ops|gradients|engine)/.test(l)).slice(0, 6).map((l) => l.trim().replace(/\(.*node_modules\//, '(').replace(/\(\/work\/main\//, '(')).join(' <- '); const key = JSON.stringify((args.inputs as any).x.shape) + ' ' + s; stacks.set(key, (stacks.get(key) ?? 0) + 1); } return orig(args); } });
const shape = shapeByName('minilm-l6');
const model = randomModel(shape);
const clf = createClassifier(model, { method: 'lora' as Method, numLabels: 2, seed: 0, lora: LORA, maxSeqLen: seq } as never);
const opt = new AdamW(clf.trainable, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
const rng = createRng(2);
const n = BATCH * seq;
const batch: HostBatch = { batchSize: BATCH, seqLen: seq, inputIds: Int32Array.from({ length: n }, () => 5 + rng.int(shape.vocab - 5)), attentionMask: new Int32Array(n).fill(1), labels: Int32Array.from({ length: BATCH }, () => rng.int(2)) };
for (let i = 0; i < 2; i++) { const l = trainStep(clf, opt, batch, 1e-4, 1.0); await l.data(); l.dispose(); }
on = true;
{ const l = trainStep(clf, opt, batch, 1e-4, 1.0); await l.data(); l.dispose(); }
for (const [s, c] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(c, s, '\n');
