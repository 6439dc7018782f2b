// The real worker, the real protocol, the real model: LoRA on tiny-bert over 2,000 generated emails.
import { describe, expect, it } from 'vitest';
import type { FromWorker, ToWorker } from '../../src/protocol';
import type { TrainResult } from '../../src/domain';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';
import { keywordEmails as generateEmails } from '../helpers/keyword-emails';
import { splitDataset } from '../../src/data/split';
import { trainBagOfWords } from '../../src/baseline/bag-of-words';

function startWorker() {
  const worker = new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module' });
  const messages: FromWorker[] = [];
  const waiters: { pred: (m: FromWorker) => boolean; resolve: (m: FromWorker) => void }[] = [];
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    messages.push(e.data);
    for (const w of [...waiters]) if (w.pred(e.data)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e.data);
    }
  };
  const send = (m: ToWorker) => worker.postMessage(m);
  const next = (pred: (m: FromWorker) => boolean) => new Promise<FromWorker>((resolve) => {
    const found = messages.find(pred);
    if (found) resolve(found);
    else waiters.push({ pred, resolve });
  });
  return { worker, messages, send, next };
}

describe('the training worker', () => {
  it('trains LoRA on tiny-bert to at least 0.9 held-out accuracy on wasm, with progress and checkpoints', async () => {
    const w = startWorker();
    w.send({ type: 'init', backend: 'wasm' });
    const ready = await w.next((m) => m.type === 'ready');
    expect(ready.type === 'ready' && ready.choice.backend).toBe('wasm');

    const examples = generateEmails({ count: 2000, seed: 1 });
    const split = splitDataset(examples, { seed: 0 });
    const labels = [...new Set(examples.map((e) => e.label))].sort();
    const strip = (xs: { text: string; label: string }[]) => xs.map(({ text, label }) => ({ text, label }));
    w.send({
      type: 'train',
      runId: 'browser-lora',
      model: { id: 'tiny-bert', url: new URL('/models/tiny-bert', location.href).href },
      data: { labels, train: strip(split.train), validation: strip(split.validation), test: strip(split.test) },
      // tiny-bert has random weights, so it needs the high rate its model card recommends.
      config: { ...DEFAULT_TRAIN_CONFIG, method: 'lora', epochs: 5, lr: 2e-2, loraTargets: ['query', 'value'], maxLen: 64 },
      // A user-added suite holding the first 40 test examples: its scores must equal the test split's on them.
      suites: [{ id: 's1', name: 'first forty', examples: strip(split.test).slice(0, 40) }],
    });
    const end = await w.next((m) => m.type === 'done' || m.type === 'error');
    if (end.type === 'error') throw new Error(end.message);
    const result = (end as { result: TrainResult }).result;
    const progress = w.messages.filter((m) => m.type === 'progress');
    const checkpoints = w.messages.filter((m) => m.type === 'checkpoint');
    console.log(`worker/wasm: before ${result.before.accuracy.toFixed(3)}, after ${result.after.accuracy.toFixed(3)}, ${result.steps} steps in ${result.seconds.toFixed(1)} s`);
    expect(result.backend).toBe('wasm');
    expect(result.after.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.after.accuracy).toBeGreaterThan(result.before.accuracy);
    expect(progress.length).toBe(result.steps);
    // The loss is read back once every lossReadEvery (10) steps, plus at each epoch's end: never every step.
    expect(progress.filter((m) => m.type === 'progress' && m.loss !== undefined).length).toBeLessThanOrEqual(Math.ceil(result.steps / 10) + 5);
    // 1,600 training examples in batches of 16: 100 steps an epoch, 500 in all. A checkpoint every 50 steps that is
    // not an epoch's end (50, 150, 250, 350, 450), one at each of the 5 epochs' ends, and the final weights.
    expect(result.steps).toBe(500);
    expect(checkpoints.map((m) => m.type === 'checkpoint' && m.checkpoint.step)).toEqual([50, 100, 150, 200, 250, 300, 350, 400, 450, 500, 500]);
    // LoRA r 8 on query and value of tiny-bert's 2 layers (hidden 64): 4 × (8×64 + 64×8) = 4,096, plus the head
    // 64×4 + 4 = 260. The total adds tiny-bert's 395,136 encoder weights (embeddings 295,168; 2 layers × 49,984).
    expect(result.trainableParams).toBe(4_356);
    expect(result.totalParams).toBe(395_136 + 4_356);

    // Every run is scored on the dataset's user-added suites, before and after, with the same model.
    expect(result.suites).toHaveLength(1);
    const [suite] = result.suites!;
    expect(suite).toMatchObject({ suiteId: 's1', name: 'first forty' });
    expect(suite.after.predictions).toEqual(result.after.predictions.slice(0, 40));
    expect(suite.before.predictions).toEqual(result.before.predictions.slice(0, 40));

    // The bag-of-words baseline beside before/after: trained on the run's training split, scored on the same test
    // split and suites; the same answers as the baseline trained here, outside the worker.
    const bow = trainBagOfWords(split.train.map((e) => e.text), split.train.map((e) => labels.indexOf(e.label)), labels.length);
    const bowPred = bow.predict(split.test.map((e) => e.text));
    expect(result.baseline.predictions).toEqual(bowPred);
    expect(result.baseline.accuracy).toBe(bowPred.filter((p, i) => labels[p] === split.test[i].label).length / split.test.length);
    expect(suite.baseline!.predictions).toEqual(bowPred.slice(0, 40));
    // A stored run scored later, from its final checkpoint, on a suite added after it trained: the same answers.
    const last = w.messages.filter((m) => m.type === 'checkpoint').pop() as Extract<FromWorker, { type: 'checkpoint' }>;
    w.send({
      type: 'evaluate-suites',
      requestId: 'later',
      model: { id: 'tiny-bert', url: new URL('/models/tiny-bert', location.href).href },
      labels,
      config: { ...DEFAULT_TRAIN_CONFIG, method: 'lora', epochs: 5, lr: 2e-2, loraTargets: ['query', 'value'], maxLen: 64 },
      adapter: last.checkpoint.adapter,
      suites: [{ id: 's1', name: 'first forty', examples: strip(split.test).slice(0, 40) }],
      train: strip(split.train),
    });
    const later = await w.next((m) => (m.type === 'suites-evaluated' || m.type === 'error') && (m as { requestId?: string }).requestId === 'later');
    if (later.type === 'error') throw new Error(later.message);
    const scored = (later as Extract<FromWorker, { type: 'suites-evaluated' }>).suites[0];
    expect(scored.after.predictions).toEqual(suite.after.predictions);
    expect(scored.after.accuracy).toBe(suite.after.accuracy);
    expect(scored.baseline!.predictions).toEqual(suite.baseline!.predictions);
    w.worker.terminate();
  });
});
