// A cancel or pause asked of a job that another client on the same store runs. The bus reaches the runner at
// once where there is one; the job record's `stop_requested` reaches it where there is none (another process),
// and also reaches a client that takes the queue over later. The flag is written only when the bus has not done
// it within a second: a record another client is writing is the racier path (the runner's own job writes may
// drop it, so it is written again while the job runs).
import type { Context } from './context';
import { updateJob } from './context';

const FLAG_AFTER_MS = 1000;
const LOOK_MS = 100;

export type RemoteStop = 'cancel' | 'pause';

/**
 * Asks the client running job `id` to stop it. True once the job, seen running, no longer is; false when it was
 * not running, when `here()` says this client has taken it (it stops it itself), or after `giveUpMs`.
 */
export async function stopElsewhere(ctx: Context, id: string, why: RemoteStop, here: () => boolean, giveUpMs: number): Promise<boolean> {
  const asked = Date.now();
  let posted = false;
  for (;;) {
    if (here()) return false;
    const job = await ctx.store.getJob(id);
    if (job?.status !== 'running') {
      if (posted && job) await statusLogged(ctx, id, job.status);
      return posted;
    }
    if (!posted) {
      ctx.bus.post({ type: 'stop', jobId: id, why });
      posted = true;
    } else if (Date.now() - asked >= FLAG_AFTER_MS && !job.tabtune.stop_requested) {
      await ctx.serial.run(() =>
        updateJob(ctx, id, (j) => {
          if (j.status === 'running') j.tabtune.stop_requested ??= why;
        }),
      );
    }
    if (Date.now() - asked > giveUpMs) return false;
    await new Promise((r) => setTimeout(r, LOOK_MS));
  }
}

/**
 * Waits (a few seconds at most) until the job's log ends on the status its record shows. The runner writes the record
 * before the event (src/jobs/context.ts setStatus), so on a loaded machine a caller told "stopped" could list the
 * events and not find the stop among them.
 */
async function statusLogged(ctx: Context, id: string, status: string, giveUpMs = 5000): Promise<void> {
  const end = Date.now() + giveUpMs;
  for (;;) {
    const last = (await ctx.store.listEvents(id)).filter((e) => e.type === 'status').pop();
    if (last?.data?.status === status || Date.now() > end) return;
    await new Promise((r) => setTimeout(r, LOOK_MS));
  }
}

/** The stop requests written to the record of a job this client runs. */
export function watchStopRequests(ctx: Context, id: string, onStop: (why: RemoteStop) => void): () => void {
  const timer = setInterval(async () => {
    const why = (await ctx.store.getJob(id).catch(() => null))?.tabtune.stop_requested;
    if (why) onStop(why);
  }, ctx.pollMs);
  return () => clearInterval(timer);
}
