// The page's own training goes through the jobs API (src/jobs/, docs/jobs-api.md), opened on the page's database
// and its training worker, so the page and a library user share one queue, one event log and one way to pause,
// cancel and survive a reload. A run from the Train button is a job: the dataset version is uploaded whole, once
// (the job splits it exactly as src/ui/dataset-loader.ts pins it), with its evaluation suites as 'evals' files
// and the page's other settings under `tabtune.config`. The page's run record (src/store/runs.ts: the version the
// Runs step lists, compares and exports) carries the job's id; the job owns the run's life, and the run
// controller mirrors each status change into the record.
import type { Bus } from './bus';
import type { WorkerClient } from './worker-client';
import type { RunSpec } from './run-controller';
import type { TabtuneDb } from '../store/db';
import type { BackendName } from '../runtime/backend';
import { TERMINAL_STATUSES, type FineTuningJob, type JobCreateParams, type JobEvent, type JobStatus } from '../jobs/types';
import { openTabtune, IdbJobStore, workerEngine, type Tabtune, type TrainWorkerPort } from '../web';
import { toChatJsonl } from '../data/export';
import { getDataset, getExamples } from '../store/datasets';
import { listSuites } from '../store/suites';

export interface PageJobsHost {
  db: TabtuneDb;
  client: WorkerClient;
  bus: Bus;
  /** Resolves once the page has started its worker; the queue waits for it before the first job. */
  ready: Promise<unknown>;
  backend: BackendName | null;
}

/** A job's status change, as the run controller needs it. */
export interface JobChange {
  job: FineTuningJob;
  status: JobStatus;
}

/** A job that waits its turn (validated, or still validating). */
export const isWaiting = (j: FineTuningJob): boolean => j.status === 'queued' || j.status === 'validating_files';

/** File names are shown to the user and must not contain a path separator (files.create keeps the last part). */
const fileName = (s: string) => s.replace(/[^\w.-]+/g, '_').slice(0, 80) || 'dataset';

export class PageJobs {
  private followed = new Map<string, () => void>();
  private statusListeners = new Set<(c: JobChange) => void>();

  private constructor(
    readonly tt: Tabtune,
    private readonly host: PageJobsHost,
  ) {}

  static async open(host: PageJobsHost): Promise<PageJobs> {
    const { client, bus } = host;
    // The page's worker, shared: the engine waits for the page's own start-up instead of starting it again, and a
    // worker it replaces (after a lost GPU or an aborted wasm module) is announced so the page shows its backend.
    const port: TrainWorkerPort = {
      init: () => host.ready,
      restart: async (backend) => {
        const ready = await client.restart(backend);
        bus.emit('backend-ready', ready.choice);
        return ready;
      },
      send: (msg, transfer) => client.send(msg, transfer),
      on: (fn) => client.on(fn),
      predict: (req) => client.predict(req),
      countTokens: (model, texts) => client.countTokens(model, texts),
      terminate: () => {},
    };
    const engine = workerEngine({ worker: port, backend: host.backend, acceptsModel: () => true });
    // Named after the database: every tab opens a client, and its Web Lock lets one of them run the queue.
    const tt = await openTabtune({ store: new IdbJobStore(host.db), engine, sharedName: host.db.name });
    const jobs = new PageJobs(tt, host);
    for (const job of (await tt.fineTuning.jobs.list()).data) if (!TERMINAL_STATUSES.includes(job.status)) jobs.follow(job.id);
    return jobs;
  }

  /** Calls `fn` with every status change of a job this page follows (its own, and any left unfinished). */
  onStatus(fn: (c: JobChange) => void): void {
    this.statusListeners.add(fn);
  }

  /** Creates the job for one run of the page: its dataset, suites and settings. */
  async create(spec: RunSpec, datasetHash: string): Promise<FineTuningJob> {
    const cfg = spec.config;
    const [training, suites, mix] = await Promise.all([
      this.datasetFile(datasetHash),
      this.suiteFiles(datasetHash),
      cfg.mixShare > 0 && cfg.mixFrom ? this.datasetFile(cfg.mixFrom).then((file) => ({ file, share: cfg.mixShare })) : undefined,
    ]);
    const params: JobCreateParams = {
      training_file: training,
      model: spec.modelId,
      method: cfg.method === 'lora' ? { type: 'lora', lora: { r: cfg.loraR, alpha: cfg.loraAlpha, dropout: cfg.loraDropout, target_modules: [...cfg.loraTargets] } } : { type: cfg.method },
      hyperparameters: { n_epochs: cfg.epochs, batch_size: cfg.batchSize },
      seed: cfg.seed,
      tabtune: {
        config: {
          lr: cfg.lr,
          weightDecay: cfg.weightDecay,
          beta1: cfg.beta1,
          beta2: cfg.beta2,
          eps: cfg.eps,
          warmupRatio: cfg.warmupRatio,
          maxGradNorm: cfg.maxGradNorm,
          maxLen: cfg.maxLen,
          lossReadEvery: cfg.lossReadEvery,
          checkpointEvery: cfg.checkpointEvery,
          earlyStopping: cfg.earlyStopping,
          trainTokens: cfg.trainTokens,
          readWhole: cfg.readWhole,
          patience: cfg.patience,
          rehearsal: cfg.rehearsal,
        },
        suites,
        ...(mix ? { mix } : {}),
      },
    };
    const job = await this.tt.fineTuning.jobs.create(params);
    this.follow(job.id);
    return job;
  }

  pause(id: string): Promise<FineTuningJob> {
    return this.tt.fineTuning.jobs.pause(id);
  }
  resume(id: string): Promise<FineTuningJob> {
    return this.tt.fineTuning.jobs.resume(id);
  }
  cancel(id: string): Promise<FineTuningJob> {
    return this.tt.fineTuning.jobs.cancel(id);
  }
  async list(): Promise<FineTuningJob[]> {
    return (await this.tt.fineTuning.jobs.list()).data;
  }
  /** How many jobs wait their turn. */
  async waiting(): Promise<number> {
    return (await this.list()).filter(isWaiting).length;
  }
  async events(id: string): Promise<JobEvent[]> {
    return (await this.tt.fineTuning.jobs.listEvents(id)).data;
  }
  retrieve(id: string): Promise<FineTuningJob> {
    return this.tt.fineTuning.jobs.retrieve(id);
  }

  /** A deleted run's tuned model goes with it; the job stays, as the record of what was done. */
  async forgetModel(jobId: string): Promise<void> {
    const job = await this.tt.fineTuning.jobs.retrieve(jobId).catch(() => null);
    if (job?.fine_tuned_model) await this.tt.models.delete(job.fine_tuned_model).catch(() => {});
  }

  /** Mirrors a job's status changes to the listeners (onStatus) until it ends. */
  follow(id: string): void {
    if (this.followed.has(id)) return;
    const stop = this.tt.fineTuning.jobs.subscribe(id, (e) => void this.onEvent(id, e));
    this.followed.set(id, stop);
  }

  private async onEvent(id: string, e: JobEvent): Promise<void> {
    this.host.bus.emit('jobs');
    if (e.type !== 'status') return;
    const status = (e.data as { status: JobStatus }).status;
    if (TERMINAL_STATUSES.includes(status)) {
      this.followed.get(id)?.();
      this.followed.delete(id);
    }
    const job = await this.tt.fineTuning.jobs.retrieve(id);
    for (const fn of this.statusListeners) fn({ job, status });
  }

  /** The dataset version as one chat JSONL file, uploaded once: a later run on the same version reuses it. */
  private async datasetFile(hash: string): Promise<string> {
    const record = await getDataset(this.host.db, hash);
    if (!record) throw new Error(`Dataset ${hash.slice(0, 12)} is no longer stored in this browser.`);
    const name = `${fileName(record.name)}.${hash.slice(0, 12)}.jsonl`;
    const rows = (await getExamples(this.host.db, hash)).sort((a, b) => a.index - b.index);
    return this.upload(name, 'fine-tune', toChatJsonl(rows.map((r) => ({ text: r.text, label: r.label })), record.instruction));
  }

  private async suiteFiles(hash: string): Promise<{ file: string; name: string; id: string }[]> {
    const suites = await listSuites(this.host.db, hash);
    return Promise.all(suites.map(async (s) => ({ file: await this.upload(`suite.${fileName(s.id)}.jsonl`, 'evals', toChatJsonl(s.examples)), name: s.name, id: s.id })));
  }

  private async upload(name: string, purpose: 'fine-tune' | 'evals', text: string): Promise<string> {
    const bytes = new TextEncoder().encode(text).length;
    const same = (await this.tt.files.list()).data.find((f) => f.filename === name && f.purpose === purpose && f.bytes === bytes);
    if (same) return same.id;
    return (await this.tt.files.create({ file: { name, text }, purpose })).id;
  }
}
