// The page's handle on the training worker: typed sends, typed listeners, and promise helpers.
import type { FromWorker, ToWorker, PredictRequest, ImportAdapterRequest, EvaluateSuitesRequest, SizeRunRequest } from '../protocol';
import type { SuiteEvaluation, ModelRef, MaskFill } from '../domain';
import type { BackendName } from '../runtime/backend';
import type { TrainableParams } from '../model/trainable-count';

type Ready = Extract<FromWorker, { type: 'ready' }>;

/** How long a worker may take to start its backend before the page tries again without wasm threads. */
export const START_TIMEOUT_MS = 60_000;

function trainWorker(): Worker {
  return new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'tabtune-train' });
}

export class WorkerClient {
  private worker: Worker;
  private listeners = new Set<(m: FromWorker) => void>();
  /** Cleared once the threaded wasm build failed to start in this page; every later worker runs one thread. */
  private wasmThreads = true;

  constructor(
    private readonly makeWorker: () => Worker = trainWorker,
    private readonly startTimeoutMs = START_TIMEOUT_MS,
  ) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const worker = this.makeWorker();
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.listeners.forEach((fn) => fn(e.data));
    worker.onerror = (e) => this.listeners.forEach((fn) => fn({ type: 'error', message: `The training worker crashed: ${e.message}` }));
    return worker;
  }

  /** A fresh worker on `backend` (after a lost GPU device), keeping every listener the page registered. */
  async restart(backend: BackendName | null): Promise<Ready> {
    this.replaceWorker();
    return this.init(backend);
  }

  private replaceWorker(): void {
    this.worker.terminate();
    this.worker = this.spawn();
  }

  send(msg: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  on(fn: (m: FromWorker) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Starts the worker's backend. The threaded wasm build waits for all its pthread workers before it answers, so
   * anything that stops them (a blocked blob: worker, a bundling fault) would hang the page at start-up; after
   * startTimeoutMs the worker is replaced by one that runs wasm on a single thread, and the reason says so.
   */
  async init(backend: BackendName | null): Promise<Ready> {
    try {
      return await this.initOnce(backend, this.wasmThreads ? this.startTimeoutMs : null);
    } catch (e) {
      if (!(e instanceof StartTimeout)) throw e;
      this.wasmThreads = false;
      this.replaceWorker();
      const ready = await this.initOnce(backend, null);
      const seconds = Math.round(this.startTimeoutMs / 1000);
      return { ...ready, choice: { ...ready.choice, reason: `${ready.choice.reason} — the multi-threaded build did not start within ${seconds} s` } };
    }
  }

  private initOnce(backend: BackendName | null, timeoutMs: number | null): Promise<Ready> {
    return new Promise((resolve, reject) => {
      const timer = timeoutMs === null ? undefined : setTimeout(() => (off(), reject(new StartTimeout())), timeoutMs);
      const off = this.on((m) => {
        if (m.type === 'ready') {
          off();
          clearTimeout(timer);
          resolve(m);
        } else if (m.type === 'error' && !m.runId && !m.requestId) {
          off();
          clearTimeout(timer);
          reject(new Error(m.message));
        }
      });
      this.send({ type: 'init', backend, wasmThreads: this.wasmThreads });
    });
  }

  /** Sends a request tagged with a fresh id and settles with the worker's reply of type `reply` to that id, or
   * rejects with its error. */
  private request<K extends FromWorker['type']>(msg: ToWorker & { requestId: string }, reply: K): Promise<Extract<FromWorker, { type: K }>> {
    return new Promise((resolve, reject) => {
      const off = this.on((m) => {
        if (!('requestId' in m) || m.requestId !== msg.requestId) return;
        if (m.type === reply) {
          off();
          resolve(m as Extract<FromWorker, { type: K }>);
        } else if (m.type === 'error') {
          off();
          reject(new Error(m.message));
        }
      });
      this.send(msg);
    });
  }

  async predict(req: Omit<PredictRequest, 'type' | 'requestId'>): Promise<number[]> {
    // The adapter is copied, not transferred: the page keeps its own copy for the next prediction.
    return (await this.request({ type: 'predict', requestId: crypto.randomUUID(), ...req }, 'prediction')).probs;
  }

  importAdapter(req: Omit<ImportAdapterRequest, 'type' | 'requestId'>): Promise<Extract<FromWorker, { type: 'adapter-imported' }>> {
    return this.request({ type: 'import-adapter', requestId: crypto.randomUUID(), ...req }, 'adapter-imported');
  }

  async evaluateSuites(req: Omit<EvaluateSuitesRequest, 'type' | 'requestId'>): Promise<SuiteEvaluation[]> {
    return (await this.request({ type: 'evaluate-suites', requestId: crypto.randomUUID(), ...req }, 'suites-evaluated')).suites;
  }

  async fillMask(model: ModelRef, text: string): Promise<MaskFill[]> {
    return (await this.request({ type: 'fill-mask', requestId: crypto.randomUUID(), model, text }, 'mask-filled')).fills;
  }

  async countTokens(model: ModelRef, texts: string[]): Promise<Int32Array> {
    return (await this.request({ type: 'count-tokens', requestId: crypto.randomUUID(), model, texts }, 'token-counts')).counts;
  }

  async sizeRun(req: Omit<SizeRunRequest, 'type' | 'requestId'>): Promise<TrainableParams> {
    return (await this.request({ type: 'size-run', requestId: crypto.randomUUID(), ...req }, 'run-sized')).size;
  }

  terminate(): void {
    this.worker.terminate();
  }
}

class StartTimeout extends Error {}
