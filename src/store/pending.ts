// Writes that failed because the disk is full wait here, in memory, until the user frees space and retries.
// Nothing already stored is touched: a failed IndexedDB transaction rolls back by itself.
import { isQuotaError } from './storage';

export class PendingWrites {
  private queue: { label: string; write: () => Promise<unknown> }[] = [];

  get size(): number {
    return this.queue.length;
  }

  /** Runs the write; on a quota error keeps it for later and returns false. Other errors propagate. */
  async run(label: string, write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      this.queue.push({ label, write });
      return false;
    }
  }

  /** Retries every queued write in order; stops at the first that still fails for lack of space. */
  async flush(): Promise<number> {
    let done = 0;
    while (this.queue.length) {
      const next = this.queue[0];
      try {
        await next.write();
      } catch (e) {
        if (isQuotaError(e)) return done;
        throw e;
      }
      this.queue.shift();
      done += 1;
    }
    return done;
  }
}
