// What clients sharing one store (tabs on one database, clients on one folder) tell each other: the events one of
// them appends, a stop asked of a job another runs, and that a job joined the queue. A BroadcastChannel named after
// the store where the platform has one (browsers, Node within one process); elsewhere a bus that carries nothing,
// and the store itself is the slower path (the runner polls it for stop requests and queued jobs).
import type { JobEvent } from './types';

export type BusMessage =
  | { type: 'event'; jobId: string; event: JobEvent }
  | { type: 'stop'; jobId: string; why: 'cancel' | 'pause' }
  | { type: 'queued' };

export interface Bus {
  post(m: BusMessage): void;
  on(fn: (m: BusMessage) => void): () => void;
  close(): void;
}

export const silentBus: Bus = { post() {}, on: () => () => {}, close() {} };

/** A bus over a BroadcastChannel named `tabtune-jobs:<name>`; the silent bus where there is none. */
export function openBus(name: string): Bus {
  if (typeof BroadcastChannel === 'undefined') return silentBus;
  const channel = new BroadcastChannel(`tabtune-jobs:${name}`);
  const listeners = new Set<(m: BusMessage) => void>();
  channel.onmessage = (e: MessageEvent) => {
    for (const fn of listeners) fn(e.data as BusMessage);
  };
  return {
    post: (m) => channel.postMessage(m),
    on: (fn) => (listeners.add(fn), () => listeners.delete(fn)),
    // Node keeps the process alive while a channel is open.
    close: () => channel.close(),
  };
}
