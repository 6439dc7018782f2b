// A job's log: events numbered in order, written to the store, and handed to live listeners (the follow
// iterator, callbacks) as they are written, here or (through the relay) by another client on the same store.
// Appends must run inside the client's Serial.
import type { JobStore } from './store';
import { seconds } from './ids';
import type { EventKind, EventLevel, JobEvent, JobStatus } from './types';
import { TERMINAL_STATUSES } from './types';

export type Listener = (e: JobEvent) => void;

export class EventLog {
  /** The next seq of the jobs this client runs: no one else appends to them meanwhile, so it is worth keeping. */
  private nextSeq = new Map<string, number>();
  private listeners = new Map<string, Set<Listener>>();
  /** The highest seq handed to listeners per job, so an event arriving twice (relayed and polled) is told once. */
  private told = new Map<string, number>();
  /** Called with every event this client appends (the relay passes it on to the other clients). */
  onAppend: ((jobId: string, e: JobEvent) => void) | null = null;
  constructor(private store: JobStore) {}

  /** This client alone appends to the job until `disown`. */
  own(jobId: string): void {
    this.nextSeq.set(jobId, -1);
  }
  disown(jobId: string): void {
    this.nextSeq.delete(jobId);
  }
  owns(jobId: string): boolean {
    return this.nextSeq.has(jobId);
  }

  async append(jobId: string, level: EventLevel, type: EventKind, message: string, data: Record<string, unknown> | null = null): Promise<JobEvent> {
    let seq = this.nextSeq.get(jobId);
    // A job not owned may have been appended to by another client since: its stored log says where it is.
    if (seq === undefined || seq < 0) {
      const existing = await this.store.listEvents(jobId);
      seq = existing.length ? existing[existing.length - 1].seq + 1 : 0;
    }
    const event: JobEvent = { id: `ftevent-${jobId.slice(6)}-${String(seq).padStart(6, '0')}`, object: 'fine_tuning.job.event', seq, created_at: seconds(), level, type, message, data };
    await this.store.appendEvent(jobId, event);
    if (this.nextSeq.has(jobId)) this.nextSeq.set(jobId, seq + 1);
    this.deliver(jobId, event);
    this.onAppend?.(jobId, event);
    return event;
  }

  /** Hands an event to the job's listeners unless they have had it (or a later one) already. */
  deliver(jobId: string, event: JobEvent): void {
    if (event.seq <= (this.told.get(jobId) ?? -1)) return;
    this.told.set(jobId, event.seq);
    for (const fn of this.listeners.get(jobId) ?? []) {
      try {
        fn(event);
      } catch {
        // A listener's failure is its own; the job and the other listeners carry on.
      }
    }
  }

  subscribe(jobId: string, fn: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Jobs someone listens to: the relay polls the store for those another process runs. */
  watched(): string[] {
    return [...this.listeners].filter(([, s]) => s.size > 0).map(([id]) => id);
  }

  /** Listeners have seen the log up to `seq` (without being told of it). */
  markTold(jobId: string, seq: number): void {
    if (!this.told.has(jobId)) this.told.set(jobId, seq);
  }

  /** The seq the job's listeners have been told up to; undefined until this client has seen any of its events. */
  toldUpTo(jobId: string): number | undefined {
    return this.told.get(jobId);
  }
}

/** A status event that ends the job's log: nothing follows it. */
export function isFinalEvent(e: JobEvent): boolean {
  return e.type === 'status' && TERMINAL_STATUSES.includes((e.data as { status?: JobStatus } | null)?.status as JobStatus);
}
