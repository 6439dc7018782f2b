// A PEFT adapter trained elsewhere becomes a run like any other: checked against the base model, its head's rows
// matched to this dataset's labels, evaluated on the same pinned test split (with the same zero-shot "before").
import type { Checkpoint, DataSplits, EvalSuiteData, ModelRef, TrainResult, BackendName } from '../domain';
import type { TrainConfig } from '../config';
import type { ModelCache } from '../model/model-cache';
import { createClassifier } from '../model/classifier';
import { adapterCheckpointFor, checkAdapterLabels, importPeftAdapter } from '../model/peft';
import { loadWeights, toArrayBuffer } from './checkpoint';
import { classifierSummary, readSplit, suiteEvaluations, zeroShotSummary } from './evaluate';
import { bagOfWordsBaseline } from './baseline-eval';
import { forgettingCheck } from './forgetting-check';
import { sha256Hex } from '../util/sha256';
import { now } from '../util/clock';

export async function importAdapterRun(
  req: { runId: string; model: ModelRef; files: Record<string, ArrayBuffer>; data: DataSplits; config: TrainConfig; suites?: EvalSuiteData[] },
  models: ModelCache,
  backend: BackendName,
): Promise<{ result: TrainResult; checkpoint: Checkpoint; config: TrainConfig }> {
  const started = now();
  const base = await models.get(req.model);
  const files = Object.fromEntries(Object.entries(req.files).map(([k, v]) => [k, new Uint8Array(v)]));
  const adapter = importPeftAdapter(files, base);
  const labels = req.data.labels;
  checkAdapterLabels(adapter.labels, labels);
  const config: TrainConfig = { ...req.config, method: adapter.method, loraR: adapter.r, loraAlpha: adapter.alpha, loraDropout: 0, loraTargets: adapter.targets.length ? adapter.targets : req.config.loraTargets, trainTokens: !!adapter.tokenIndices?.length };
  const model = createClassifier(base, { method: config.method, numLabels: labels.length, seed: 0, lora: { r: config.loraR, alpha: config.loraAlpha, dropout: 0, targetModules: config.loraTargets }, tokenIndices: adapter.tokenIndices });
  try {
    const bytes = adapterCheckpointFor(adapter, labels, model, base.id);
    loadWeights(model, toArrayBuffer(bytes));
    const test = readSplit(base, req.data.test, labels, config);
    const before = await zeroShotSummary(base, test, labels, config);
    const after = await classifierSummary(model, test, labels, config, base.config.padTokenId);
    const bagOfWords = bagOfWordsBaseline(req.data.train, labels);
    const result: TrainResult = {
      runId: req.runId,
      backend,
      pooling: base.pooling,
      modelType: base.config.modelType,
      method: config.method,
      steps: 0,
      seconds: (now() - started) / 1000,
      trainableParams: model.trainableParamCount(),
      totalParams: model.totalParamCount(),
      before,
      after,
      baseline: bagOfWords.score(req.data.test),
      trainLoss: [],
      valLoss: [],
      adapterSha256: await sha256Hex(bytes),
      stoppedEarly: false,
      bestEpoch: -1,
      forgetting: await forgettingCheck(model, base, config.maxLen),
      suites: await suiteEvaluations(model, base, req.suites, labels, config, bagOfWords),
    };
    // Stored like a trained run's final weights: nothing to resume, so no optimizer state.
    const checkpoint: Checkpoint = { step: 0, epoch: 0, batchIndex: 0, adapter: toArrayBuffer(bytes), optimizer: new ArrayBuffer(0) };
    return { result, checkpoint, config };
  } finally {
    model.dispose();
  }
}
