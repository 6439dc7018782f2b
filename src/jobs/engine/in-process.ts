// The engine that trains in this thread: the same session (src/train/session.ts) the worker and the CLI run, on
// whatever tfjs backend is set up. Base models stay loaded in one ModelCache, so predictions with several tuned
// models of one base load it once and only swap their small adapters.
import type { BackendName, ModelRef } from '../../domain';
import { ModelCache } from '../../model/model-cache';
import { runTraining } from '../../train/session';
import { predictText } from '../../train/inference';
import { trainedTokens, type EngineRun, type EngineRunResult, type JobEngine } from '../engine';

export interface InProcessOptions {
  backend: BackendName;
  /** Where a base model's files are, or null when this engine does not know the id. */
  resolveModel(id: string): ModelRef | null;
  baseModels: string[];
  /** Sets the tfjs backend up; awaited once, before the first run or prediction. */
  prepare?(): Promise<void>;
  models?: ModelCache;
}

export function inProcessEngine(opts: InProcessOptions): JobEngine {
  const models = opts.models ?? new ModelCache();
  let ready: Promise<void> | null = null;
  const prepare = () => (ready ??= opts.prepare?.() ?? Promise.resolve());
  const ref = (id: string) => {
    const r = opts.resolveModel(id);
    if (!r) throw new Error(`This engine has no model "${id}".`);
    return r;
  };
  return {
    baseModels: () => [...opts.baseModels],
    async train(run: EngineRun, hooks, control): Promise<EngineRunResult | 'cancelled'> {
      await prepare();
      const { modelId, ...job } = run;
      const model = ref(modelId);
      const result = await runTraining({ ...job, model }, models, opts.backend, hooks, control);
      if (result === 'cancelled') return result;
      const base = await models.get(model);
      let perEpoch = 0;
      for (const e of run.data.train) perEpoch += base.tokenizer.encode(e.text, run.config.maxLen).length;
      return { result, trainedTokens: trainedTokens(perEpoch, run, result.steps) };
    },
    async predict(req) {
      await prepare();
      return predictText({ model: ref(req.modelId), labels: req.labels, text: req.text, config: req.config, adapter: req.adapter }, models);
    },
  };
}
