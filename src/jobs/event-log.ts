// A job's log: events numbered in order, written to the store, and handed to live listeners (the follow
// iterator, callbacks) as they are written. Appends must run inside the client's Serial.
import type { JobStore } from './store';
import { seconds } from './ids';
import type { EventKind, EventLevel, JobEvent, JobStatus } from './types';
import { TERMINAL_STATUSES } from './types';

export type Listener = (e: JobEvent) => void;

export class EventLog {
  private nextSeq = new Map<string, number>();
  private listeners = new Map<string, Set<Listener>>();
  constructor(private store: JobStore) {}

  async append(jobId: string, level: EventLevel, type: EventKind, message: string, data: Record<string, unknown> | null = null): Promise<JobEvent> {
    let seq = this.nextSeq.get(jobId);
    if (seq === undefined) {
      const existing = await this.store.listEvents(jobId);
      seq = existing.length ? existing[existing.length - 1].seq + 1 : 0;
    }
    const event: JobEvent = { id: `ftevent-${jobId.slice(6)}-${String(seq).padStart(6, '0')}`, object: 'fine_tuning.job.event', seq, created_at: seconds(), level, type, message, data };
    await this.store.appendEvent(jobId, event);
    this.nextSeq.set(jobId, seq + 1);
    for (const fn of this.listeners.get(jobId) ?? []) {
      try {
        fn(event);
      } catch {
        // A listener's failure is its own; the job and the other listeners carry on.
      }
    }
    return event;
  }

  subscribe(jobId: string, fn: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }
}

/** A status event that ends the job's log: nothing follows it. */
export function isFinalEvent(e: JobEvent): boolean {
  return e.type === 'status' && TERMINAL_STATUSES.includes((e.data as { status?: JobStatus } | null)?.status as JobStatus);
}
