// models.* and predict: the engine's base models and the store's ft: models. A tuned model's weights are read from
// the store once and kept; the engine keeps the base loaded, so moving between tuned models of one base swaps
// only their adapters. Beside every answer, the bag-of-words baseline trained on the same training split.
import { bagOfWordsBaseline, type BaselineScorer } from '../train/baseline-eval';
import { defaultConfigFor } from '../config';
import type { Context } from './context';
import { TabtuneError } from './errors';
import type { Deleted, ListPage, ModelObject, Prediction, TunedModelRecord } from './types';

export interface ModelsApi {
  list(): Promise<ListPage<ModelObject>>;
  retrieve(id: string): Promise<ModelObject>;
  delete(id: string): Promise<Deleted>;
}

export interface PredictParams {
  model: string;
  input: string;
  /** For a base model only (it has no labels of its own): the labels to choose from, zero-shot. */
  labels?: string[];
}

const baseModel = (id: string): ModelObject => ({ id, object: 'model', created: 0, owned_by: 'tabtune' });
const asObject = (probs: number[], labels: string[]) => Object.fromEntries(labels.map((l, i) => [l, probs[i]]));
const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));

export function modelsApi(ctx: Context): { models: ModelsApi; predict(p: PredictParams): Promise<Prediction> } {
  const tuned = new Map<string, { record: TunedModelRecord; weights: ArrayBuffer; baseline: BaselineScorer | null }>();

  async function loadTuned(id: string) {
    let t = tuned.get(id);
    if (!t) {
      const record = await ctx.store.getModel(id);
      const weights = record && (await ctx.store.getModelWeights(id));
      if (!record || !weights) throw new TabtuneError('model_not_found', `No model "${id}".`, 'model');
      const labels = record.model.tabtune.labels;
      const baseline = record.baseline_train.length ? bagOfWordsBaseline(record.baseline_train, labels) : null;
      tuned.set(id, (t = { record, weights, baseline }));
    }
    return t;
  }

  const models: ModelsApi = {
    async list() {
      const ft = (await ctx.store.listModels()).map((m) => m.model);
      return { object: 'list', data: [...ctx.engine.baseModels().map(baseModel), ...ft], has_more: false };
    },
    async retrieve(id) {
      if (ctx.engine.baseModels().includes(id)) return baseModel(id);
      const m = await ctx.store.getModel(id);
      if (!m) throw new TabtuneError('model_not_found', `No model "${id}".`, 'model');
      return m.model;
    },
    async delete(id) {
      if (ctx.engine.baseModels().includes(id)) throw new TabtuneError('model_not_deletable', `${id} is a base model; only fine-tuned (ft:) models can be deleted.`, 'model');
      if (!(await ctx.store.deleteModel(id))) throw new TabtuneError('model_not_found', `No model "${id}".`, 'model');
      tuned.delete(id);
      return { id, object: 'model', deleted: true };
    },
  };

  async function predict({ model, input, labels }: PredictParams): Promise<Prediction> {
    if (typeof input !== 'string' || !input.trim()) throw new TabtuneError('invalid_input', 'input must be a non-empty text.', 'input');
    if (ctx.engine.baseModels().includes(model)) {
      if (!Array.isArray(labels) || labels.length < 2) throw new TabtuneError('missing_labels', `${model} is a base model with no labels of its own: pass labels (at least two) to predict zero-shot, or use an ft: model.`, 'labels');
      const probs = await ctx.engine.predict({ modelId: model, labels, config: defaultConfigFor(model), text: input });
      return { model, label: labels[argmax(probs)], probabilities: asObject(probs, labels), baseline: null };
    }
    const t = await loadTuned(model);
    const names = t.record.model.tabtune.labels;
    const probs = await ctx.engine.predict({ modelId: t.record.model.tabtune.base_model, labels: names, config: t.record.config, adapter: t.weights, text: input });
    const b = t.baseline?.score([{ text: input, label: names[0] }]).probs[0] ?? null;
    return {
      model,
      label: names[argmax(probs)],
      probabilities: asObject(probs, names),
      baseline: b ? { label: names[argmax(b)], probabilities: asObject(b, names) } : null,
    };
  }

  return { models, predict };
}
