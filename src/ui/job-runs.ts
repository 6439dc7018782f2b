// The page's runs that are jobs of its queue (src/ui/page-jobs.ts): which runs they are, creating one, mirroring
// each job status into its run record and the live view (src/ui/job-run-status.ts says how), and steering one.
// The run controller (src/ui/run-controller.ts) keeps the live view and the worker's messages; this keeps the jobs.
import type { TrainConfig } from '../config';
import type { TabtuneDb } from '../store/db';
import type { ActiveDataset } from './active-dataset';
import type { BackendChoice } from '../runtime/backend';
import type { Bus } from './bus';
import type { JobChange, PageJobs } from './page-jobs';
import type { LivePhase, RunSpec } from './run-controller';
import { createRun, getRun, listRuns, newRunRecord, updateRun, type RunRecord } from '../store/runs';
import { modelRef } from '../model/catalogue';
import { jobRunView, QUEUED_MESSAGE } from './job-run-status';
import { TERMINAL_STATUSES } from '../jobs/types';

/** A run record that will not change again. */
const ended = (run: RunRecord) => run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled';

/** What the live view offers the jobs: the run controller. */
export interface LiveView {
  readonly busy: boolean;
  liveRunId(): string | undefined;
  /** Makes `runId` the live run, in `phase`. */
  show(runId: string, config: TrainConfig, phase: LivePhase, message: string): void;
  setPhase(phase: LivePhase, message: string): void;
  /** A store write that keeps its data in memory when the disk is full. */
  persist(write: () => Promise<unknown>): Promise<void>;
}

export interface JobRunsHost {
  readonly bus: Bus;
  readonly db: TabtuneDb;
  readonly dataset: ActiveDataset | null;
  readonly backend: BackendChoice | null;
}

export class JobRuns {
  /** The page's job runs still to end, with their settings: a worker message for one makes it the live run. */
  private runs = new Map<string, TrainConfig>();
  /** Each new job run's record write: a status change of that job waits for it. */
  private created = new Map<string, Promise<unknown>>();
  /** Runs of the worker's that are not the page's (a script's jobs on the same database): looked up once. */
  private foreign = new Set<string>();

  constructor(
    private readonly queue: PageJobs,
    private readonly host: JobRunsHost,
    private readonly view: LiveView,
  ) {
    queue.onStatus((c) => void this.onStatus(c));
  }

  has(runId: string | undefined): boolean {
    return !!runId && this.runs.has(runId);
  }

  config(runId: string): TrainConfig {
    return this.runs.get(runId)!;
  }

  /** The records of job runs the last page left unfinished take their job's current status (the queue resumes
   * them by itself). */
  async load(): Promise<void> {
    const jobs = new Map((await this.queue.list()).map((j) => [j.id, j]));
    for (const run of await listRuns(this.host.db)) {
      const job = run.jobId ? jobs.get(run.jobId) : undefined;
      if (!job || ended(run)) continue;
      if (!TERMINAL_STATUSES.includes(job.status)) this.runs.set(run.id, run.config);
      if (job.status !== 'succeeded') await this.onStatus({ job, status: job.status });
    }
    this.host.bus.emit('runs');
  }

  /** A run as a job of the page's queue: it starts when the jobs before it have ended. */
  async enqueue(spec: RunSpec): Promise<void> {
    const { host } = this;
    if (!host.dataset) return;
    const config = structuredClone(spec.config);
    const job = await this.queue.create({ ...spec, config }, host.dataset.hash);
    this.runs.set(job.id, config);
    const record = newRunRecord({
      id: job.id,
      jobId: job.id,
      dataset: { hash: host.dataset.hash, name: host.dataset.name, labels: host.dataset.splits.labels },
      model: modelRef(spec.modelId, location.href),
      config,
      backend: host.backend?.backend ?? 'cpu',
      status: 'queued',
      now: Date.now(),
      notes: spec.notes,
    });
    const made = createRun(host.db, record);
    this.created.set(job.id, made.catch(() => {}));
    await made;
    if (!this.view.busy) this.view.show(job.id, config, 'queued', QUEUED_MESSAGE);
    host.bus.emit('runs');
  }

  /**
   * A job this page did not create (another tab queued it; this tab's queue runs it) may still be a page run: its
   * record says so, and then this page keeps it as its own. Resolves true when it is one. Asked once per run.
   */
  async claim(runId: string): Promise<boolean> {
    if (this.runs.has(runId)) return true;
    if (this.foreign.has(runId)) return false;
    this.foreign.add(runId);
    const run = await getRun(this.host.db, runId);
    if (!run?.jobId || ended(run)) return false;
    this.foreign.delete(runId);
    this.runs.set(runId, run.config);
    this.queue.follow(runId);
    return true;
  }

  /** Asks the queue to pause, resume or cancel a job run; its status change then updates the page. */
  steer(action: 'pause' | 'resume' | 'cancel', runId: string): Promise<unknown> {
    return this.queue[action](runId);
  }

  /** A page job's status, mirrored into its record and, when it is the live run, into what the page shows. */
  private async onStatus({ job, status }: JobChange): Promise<void> {
    const id = job.id;
    if (!this.runs.has(id)) return;
    await this.created.get(id);
    const view = jobRunView(status, job, Date.now());
    if (view.live && this.view.liveRunId() === id) this.view.setPhase(view.live.phase, view.live.message);
    else if (view.live?.phase === 'queued' && !this.view.busy) this.view.show(id, this.runs.get(id)!, 'queued', view.live.message);
    if (view.ended) this.runs.delete(id);
    const patch: Partial<RunRecord> | null = view.patch;
    if (patch) await this.view.persist(() => updateRun(this.host.db, id, patch));
    this.host.bus.emit('runs');
  }
}
