// The forgetting alarm against real runs of the page's default model on its demo data: the default settings do
// not trip it, an aggressive run (ten times the default rate) does. The limit itself is calibrated in
// src/guards/forgetting.ts on full-size demo runs; this checks that it separates the two on a smaller demo.
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../src/runtime/tf-node';
import { DEMO_DATASET, defaultConfigFor, DEFAULT_MODEL_ID, type TrainConfig } from '../../src/config';
import { generateEmails } from '../../src/data/synth';
import { splitDataset } from '../../src/data/split';
import { runTraining } from '../../src/train/session';
import { ModelCache } from '../../src/model/model-cache';
import { DEFAULT_DRIFT_LIMIT, isForgetting } from '../../src/guards/forgetting';

const models = new ModelCache();
const ref = { id: DEFAULT_MODEL_ID, url: `public/models/${DEFAULT_MODEL_ID}` };
const examples = generateEmails({ count: 400, seed: DEMO_DATASET.seed });
const split = splitDataset(examples, { seed: 0 });
const strip = (xs: { text: string; label: string }[]) => xs.map(({ text, label }) => ({ text, label }));

async function forgettingOf(over: Partial<TrainConfig>) {
  const config = { ...defaultConfigFor(DEFAULT_MODEL_ID), ...over };
  const r = await runTraining(
    { runId: 'forgetting', model: ref, data: { labels: [...new Set(examples.map((e) => e.label))].sort(), train: strip(split.train), validation: strip(split.validation), test: strip(split.test) }, config },
    models,
    'wasm',
    { status: () => {}, baseline: () => {}, progress: () => {}, evaluated: () => {}, checkpoint: () => {} },
    { isCancelled: () => false, whilePaused: async () => {} },
  );
  if (r === 'cancelled') throw new Error('cancelled');
  return r.forgetting;
}

describe('the forgetting alarm on tabtune-mini and the demo emails', () => {
  it('stays quiet on a default run and goes off on one at ten times the default rate', async () => {
    await useBackend('wasm');
    const sound = await forgettingOf({});
    const aggressive = await forgettingOf({ lr: 10 * defaultConfigFor(DEFAULT_MODEL_ID).lr });
    console.log(`forgetting: default run drift ${sound.meanDrift.toFixed(3)}, 10x rate ${aggressive.meanDrift.toFixed(3)} (limit ${DEFAULT_DRIFT_LIMIT})`);
    expect(isForgetting(sound)).toBe(false);
    expect(isForgetting(aggressive)).toBe(true);
    // LoRA leaves the base model untouched: detached, the adapter's encoder is the base model exactly.
    expect(sound.detachedDrift).toBe(0);
    expect(aggressive.detachedDrift).toBe(0);
  }, 900_000);

  it('compares the drift with the limit, not with a hard-coded figure', () => {
    expect(isForgetting({ meanDrift: DEFAULT_DRIFT_LIMIT })).toBe(false);
    expect(isForgetting({ meanDrift: DEFAULT_DRIFT_LIMIT + 1e-9 })).toBe(true);
    expect(isForgetting({ meanDrift: 0.3 }, 0.2)).toBe(true);
  });
});
