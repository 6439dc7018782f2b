// The engine that trains in the page's training worker (workers/train.worker.ts), through the messages the page's
// own runs use: a job's run is a TrainRequest (with `resume` when it carries on), a stop is the `cancel` control
// message, after which the worker hands out the checkpoint where the loop stopped. The worker trains one run at a
// time, which is the queue's rule too.
import type { FromWorker, PredictRequest, ToWorker } from '../../protocol';
import type { BackendName } from '../../runtime/backend';
import type { ModelRef } from '../../domain';
import { MODEL_OPTIONS, modelRef } from '../../model/catalogue';
import type { LoopControl } from '../../train/loop';
import type { SessionHooks } from '../../train/session';
import { EngineDeviceLost, trainedTokens, type EngineRun, type EngineRunResult, type JobEngine } from '../engine';

/** The part of the page's WorkerClient (src/ui/worker-client.ts) the engine needs. */
export interface TrainWorkerPort {
  init(backend: BackendName | null): Promise<unknown>;
  /** A fresh worker on `backend`, for one that cannot train again (an aborted wasm module, a lost GPU). */
  restart?(backend: BackendName | null): Promise<unknown>;
  send(msg: ToWorker, transfer?: Transferable[]): void;
  on(fn: (m: FromWorker) => void): () => void;
  predict(req: Omit<PredictRequest, 'type' | 'requestId'>): Promise<number[]>;
  countTokens(model: ModelRef, texts: string[]): Promise<Int32Array>;
  terminate(): void;
}

export interface WorkerEngineOptions {
  worker: TrainWorkerPort;
  /** null: the worker picks (WebGPU where it works, else wasm), as the page does. */
  backend?: BackendName | null;
  /** Where the app serves public/ (its bundled models); default the app's base URL. */
  baseUrl?: string;
  /** The base models offered; default the page's catalogue (hub models download on first use). */
  baseModels?: string[];
  /** Models a job may name beyond `baseModels` (the page: any hub id its model step takes); they load on first use. */
  acceptsModel?: (id: string) => boolean;
  /** The worker is the engine's alone: ending the client ends it. False when the page shares its own. */
  ownsWorker?: boolean;
}

/** How often a stop asked of the job is passed on: the loop only looks between steps anyway. */
const STOP_POLL_MS = 20;

export function workerEngine(opts: WorkerEngineOptions): JobEngine {
  const { worker } = opts;
  const baseUrl = opts.baseUrl ?? new URL(import.meta.env.BASE_URL, location.href).href;
  const models = opts.baseModels ?? MODEL_OPTIONS.map((m) => m.id);
  let backend = opts.backend ?? null;
  let ready: Promise<unknown> | null = null;
  let replace = false;
  const prepare = () => (ready ??= replace && worker.restart ? worker.restart(backend) : worker.init(backend));
  const has = (id: string) => models.includes(id) || !!opts.acceptsModel?.(id);
  const ref = (id: string) => {
    if (!has(id)) throw new Error(`This engine has no model "${id}".`);
    return modelRef(id, baseUrl);
  };

  return {
    baseModels: () => [...models],
    hasModel: has,
    async train(run, hooks, control) {
      await prepare();
      const model = ref(run.modelId);
      let out: Awaited<ReturnType<typeof trainInWorker>>;
      try {
        out = await trainInWorker(worker, run, model, hooks, control);
      } catch (e) {
        // The next run gets a worker that can train, as the page does: on the CPU after a lost GPU (the runner
        // runs the job again there), on the same backend after a crash (the job fails, its checkpoints kept).
        if (e instanceof BrokenWorker || e instanceof EngineDeviceLost) {
          if (e instanceof EngineDeviceLost) backend = 'wasm';
          replace = true;
          ready = null;
        }
        throw e;
      }
      if (out === 'cancelled') return out;
      // Counted by the worker's tokenizer, untruncated; the run saw at most maxLen of each.
      const counts = await worker.countTokens(model, run.data.train.map((e) => e.text));
      let perEpoch = 0;
      for (const n of counts) perEpoch += Math.min(n, run.config.maxLen);
      return { result: out.result, trainedTokens: trainedTokens(perEpoch, run, out.result.steps) };
    },
    async predict(req) {
      await prepare();
      // Copied, not transferred: the adapter is the caller's (the store's copy).
      return worker.predict({ model: ref(req.modelId), labels: req.labels, text: req.text, config: req.config, adapter: req.adapter });
    },
    async dispose() {
      if (opts.ownsWorker) worker.terminate();
    },
  };
}

/** The worker failed in a way it cannot train after (or it is gone). */
class BrokenWorker extends Error {}

/** One run in the worker, its messages turned into the session's hooks; settles when the worker ends it. */
function trainInWorker(worker: TrainWorkerPort, run: EngineRun, model: ModelRef, hooks: SessionHooks, control: LoopControl): Promise<Pick<EngineRunResult, 'result'> | 'cancelled'> {
  const { modelId: _, ...job } = run;
  return new Promise((resolve, reject) => {
    let stopSent = false;
    const poll = setInterval(() => {
      if (stopSent || !control.isCancelled()) return;
      stopSent = true;
      worker.send({ type: 'cancel' });
    }, STOP_POLL_MS);
    const settle = () => {
      clearInterval(poll);
      off();
    };
    const off = worker.on((m) => {
      // Replies to requests, and another run's messages (the page's own), are not this run's.
      if ('requestId' in m && m.requestId !== undefined) return;
      if ('runId' in m && m.runId !== undefined && m.runId !== run.runId) return;
      switch (m.type) {
        case 'status':
          return hooks.status(m.phase, m.detail);
        case 'baseline': {
          const { type: _t, runId: _r, ...baseline } = m;
          return hooks.baseline(baseline);
        }
        case 'progress': {
          const { type: _t, ...progress } = m;
          return hooks.progress(progress);
        }
        case 'eval': {
          const { type: _t, ...evaluation } = m;
          return hooks.evaluated(evaluation);
        }
        case 'checkpoint':
          return hooks.checkpoint(m.checkpoint);
        case 'done':
          settle();
          return resolve({ result: m.result });
        case 'cancelled':
          settle();
          return resolve('cancelled');
        case 'error':
          // Also a crashed worker (no runId): the job fails rather than waiting for messages that never come.
          settle();
          // A lost GPU is the runner's to retry (on wasm, from the last resume point); the rest fail the job.
          if (m.deviceLost) return reject(new EngineDeviceLost(m.message));
          return reject(m.workerBroken || m.runId === undefined ? new BrokenWorker(m.message) : new Error(m.message));
      }
    });
    worker.send({ type: 'train', ...job, model });
  });
}
