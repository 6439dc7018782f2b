// One queue per store: of all the clients open on one store (tabs on one IndexedDB database, processes on one
// folder), only the one holding the store's queue lock runs jobs and picks up the jobs a previous holder left
// `running`. The lock is shaped as `navigator.locks` (Web Locks) so the page passes that as it is; Node's folder
// store has a lock file (node/folder-lock.ts); a store no one else can open needs none (`soleClient`).

export interface QueueLock {
  /** Calls `fn` with a truthy lock once granted and holds it until `fn`'s promise settles; with `ifAvailable`,
   * calls `fn(null)` at once when another holds it; an aborted `signal` gives up waiting (the promise rejects). */
  request(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, fn: (lock: unknown) => Promise<unknown>): Promise<unknown>;
}

/** For a store only this client opens (memory): always granted at once. */
export const soleClient: QueueLock = { request: (_name, _options, fn) => fn({}) };

/**
 * Holds the queue lock from when it is granted until `release()`. It is tried at once, so a client that can run
 * the queue has taken it over before `openTabtune` returns; otherwise it is waited for in the background and
 * `onGranted` runs when the holder goes away (a tab closed, a client closed, a process ended).
 */
export class QueueLockHolder {
  private released = false;
  private letGo!: () => void;
  private readonly hold = new Promise<void>((r) => (this.letGo = r));
  private readonly abort = new AbortController();
  private requests: Promise<unknown>[] = [];
  held = false;

  constructor(
    private readonly lock: QueueLock,
    private readonly name: string,
    private readonly onGranted: () => Promise<void>,
  ) {}

  /** True when the lock was free and `onGranted` has run; false when another client holds it (this one waits). */
  async start(): Promise<boolean> {
    const granted = await new Promise<boolean>((decide, fail) => {
      this.requests.push(
        this.lock
          .request(this.name, { ifAvailable: true }, async (l) => {
            if (!l) return decide(false);
            try {
              await this.take();
              decide(true);
            } catch (e) {
              fail(e);
            }
            await this.hold;
          })
          .catch(fail),
      );
    });
    if (!granted && !this.released) {
      const waiting = this.lock.request(this.name, { signal: this.abort.signal }, async () => {
        // Granted as the client closes: give it straight back.
        if (this.released) return;
        await this.take();
        await this.hold;
      });
      this.requests.push(waiting.catch(() => {}));
    }
    return granted;
  }

  private async take(): Promise<void> {
    this.held = true;
    await this.onGranted();
  }

  /** Gives the lock back (or stops waiting for it); resolves once another client can take it. */
  async release(): Promise<void> {
    this.released = true;
    this.held = false;
    this.abort.abort();
    this.letGo();
    await Promise.all(this.requests.map((p) => p.catch(() => {})));
  }
}
