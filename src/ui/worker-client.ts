// The page's handle on the training worker: typed sends, typed listeners, and promise helpers.
import type { FromWorker, ToWorker, PredictRequest, ImportAdapterRequest, EvaluateSuitesRequest, SuiteEvaluation, ModelRef, MaskFill } from '../protocol';
import type { BackendName } from '../runtime/backend';

type Ready = Extract<FromWorker, { type: 'ready' }>;

export class WorkerClient {
  private worker: Worker;
  private listeners = new Set<(m: FromWorker) => void>();

  constructor() {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'tabtune-train' });
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.listeners.forEach((fn) => fn(e.data));
    worker.onerror = (e) => this.listeners.forEach((fn) => fn({ type: 'error', message: `The training worker crashed: ${e.message}` }));
    return worker;
  }

  /** A fresh worker on `backend` (after a lost GPU device), keeping every listener the page registered. */
  async restart(backend: BackendName | null): Promise<Ready> {
    this.worker.terminate();
    this.worker = this.spawn();
    return this.init(backend);
  }

  send(msg: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  on(fn: (m: FromWorker) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  init(backend: BackendName | null): Promise<Ready> {
    return new Promise((resolve, reject) => {
      const off = this.on((m) => {
        if (m.type === 'ready') {
          off();
          resolve(m);
        } else if (m.type === 'error' && !m.runId && !m.requestId) {
          off();
          reject(new Error(m.message));
        }
      });
      this.send({ type: 'init', backend });
    });
  }

  predict(req: Omit<PredictRequest, 'type' | 'requestId'>): Promise<number[]> {
    const requestId = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      const off = this.on((m) => {
        if (m.type === 'prediction' && m.requestId === requestId) {
          off();
          resolve(m.probs);
        } else if (m.type === 'error' && m.requestId === requestId) {
          off();
          reject(new Error(m.message));
        }
      });
      // The adapter is copied, not transferred: the page keeps its own copy for the next prediction.
      this.send({ type: 'predict', requestId, ...req });
    });
  }

  importAdapter(req: Omit<ImportAdapterRequest, 'type' | 'requestId'>): Promise<Extract<FromWorker, { type: 'adapter-imported' }>> {
    const requestId = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      const off = this.on((m) => {
        if (m.type === 'adapter-imported' && m.requestId === requestId) {
          off();
          resolve(m);
        } else if (m.type === 'error' && m.requestId === requestId) {
          off();
          reject(new Error(m.message));
        }
      });
      this.send({ type: 'import-adapter', requestId, ...req });
    });
  }

  evaluateSuites(req: Omit<EvaluateSuitesRequest, 'type' | 'requestId'>): Promise<SuiteEvaluation[]> {
    const requestId = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      const off = this.on((m) => {
        if (m.type === 'suites-evaluated' && m.requestId === requestId) {
          off();
          resolve(m.suites);
        } else if (m.type === 'error' && m.requestId === requestId) {
          off();
          reject(new Error(m.message));
        }
      });
      this.send({ type: 'evaluate-suites', requestId, ...req });
    });
  }

  fillMask(model: ModelRef, text: string): Promise<MaskFill[]> {
    const requestId = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      const off = this.on((m) => {
        if (m.type === 'mask-filled' && m.requestId === requestId) {
          off();
          resolve(m.fills);
        } else if (m.type === 'error' && m.requestId === requestId) {
          off();
          reject(new Error(m.message));
        }
      });
      this.send({ type: 'fill-mask', requestId, model, text });
    });
  }

  countTokens(model: ModelRef, texts: string[]): Promise<Int32Array> {
    const requestId = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      const off = this.on((m) => {
        if (m.type === 'token-counts' && m.requestId === requestId) {
          off();
          resolve(m.counts);
        } else if (m.type === 'error' && m.requestId === requestId) {
          off();
          reject(new Error(m.message));
        }
      });
      this.send({ type: 'count-tokens', requestId, model, texts });
    });
  }

  terminate(): void {
    this.worker.terminate();
  }
}
