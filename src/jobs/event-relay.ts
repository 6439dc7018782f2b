// Events across clients on one store: what this client appends goes out on the bus, what others append comes in
// to this client's listeners. A bus does not reach every client (Node processes share a folder but no channel),
// so the jobs someone here listens to and another client runs are also read from the store every `pollMs`.
import type { Bus } from './bus';
import type { EventLog } from './event-log';
import type { JobStore } from './store';

export function relayEvents(log: EventLog, bus: Bus, store: JobStore, pollMs: number): () => void {
  log.onAppend = (jobId, event) => bus.post({ type: 'event', jobId, event });
  const off = bus.on((m) => m.type === 'event' && log.deliver(m.jobId, m.event));
  let polling = false;
  const timer = setInterval(async () => {
    if (polling) return;
    polling = true;
    try {
      for (const jobId of log.watched()) {
        if (log.owns(jobId)) continue;
        const events = await store.listEvents(jobId);
        const told = log.toldUpTo(jobId);
        // The first look only marks where the log was: a listener hears of events after it subscribed.
        if (told === undefined) {
          log.markTold(jobId, events.length ? events[events.length - 1].seq : -1);
          continue;
        }
        for (const e of events) if (e.seq > told) log.deliver(jobId, e);
      }
    } catch {
      // A failed read is tried again at the next tick.
    } finally {
      polling = false;
    }
  }, pollMs);
  return () => {
    clearInterval(timer);
    off();
    log.onAppend = null;
  };
}
