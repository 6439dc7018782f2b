// One writer at a time: every read-modify-write of a job and every event append of a client goes through here, so
// the runner's progress and an API call (cancel, pause) never overwrite each other's changes.
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn);
    this.tail = p.catch(() => {});
    return p;
  }
  /** Resolves once everything queued so far has been written. */
  flush(): Promise<void> {
    return this.run(async () => {});
  }
}
