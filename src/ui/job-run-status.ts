// How a page run shows a status change of its job (src/ui/page-jobs.ts): what its run record becomes, what the
// Train step says when the run is the live one, and whether the job has ended. A table, kept apart from the run
// controller so each answer can be checked on its own (test/unit/ui-flow.test.ts).
import type { RunRecord } from '../store/db';
import type { FineTuningJob, JobStatus } from '../jobs/types';
import type { LivePhase } from './run-controller';

export interface JobRunView {
  /** Written into the run record; null: nothing to write (a succeeded job's run was stored by the worker's 'done'). */
  patch: Partial<RunRecord> | null;
  /** What the live run shows; null: the worker's own messages say it. */
  live: { phase: LivePhase; message: string } | null;
  /** The job will not change again: the page stops following it. */
  ended: boolean;
}

export const QUEUED_MESSAGE = 'Queued: it starts as soon as the worker is free.';

export function jobRunView(status: JobStatus, job: Pick<FineTuningJob, 'error' | 'tabtune'>, now: number): JobRunView {
  switch (status) {
    case 'validating_files':
    case 'queued': {
      const step = job.tabtune.step;
      return { patch: { status: 'queued' }, live: { phase: 'queued', message: step ? `Queued: it continues from step ${step} as soon as the worker is free.` : QUEUED_MESSAGE }, ended: false };
    }
    case 'running':
      return { patch: { status: 'running' }, live: null, ended: false };
    case 'paused':
      return { patch: { status: 'paused' }, live: { phase: 'paused', message: 'Paused between two steps. Resume carries on exactly where it stopped, after a reload too.' }, ended: false };
    case 'cancelled':
      return { patch: { status: 'cancelled', finished: now }, live: { phase: 'cancelled', message: 'Run cancelled. Its checkpoints so far are kept in the runs list.' }, ended: true };
    case 'failed': {
      const message = job.error?.message ?? 'The run failed.';
      return { patch: { status: 'failed', error: message, finished: now }, live: { phase: 'failed', message }, ended: true };
    }
    case 'succeeded':
      return { patch: null, live: null, ended: true };
  }
}
