// The queue lock of a folder store: a file `<dir>/queue.lock` naming its holder's process, made with link(2) from a
// complete temporary file so it is never seen half-written, and removed when the holder lets go. A holder whose
// process has died (killed, crashed: it could not remove the file) is taken over. The folder is the lock's name.
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { QueueLock } from '../queue-lock';

interface Holder {
  pid: number;
  token: string;
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code;

/** Signal 0 asks only whether the process exists; EPERM means it does, under another user. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return code(e) === 'EPERM';
  }
}

async function readHolder(path: string): Promise<Holder | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Holder;
  } catch (e) {
    if (code(e) === 'ENOENT') return null;
    throw e;
  }
}

export function folderLock(dir: string, pollMs = 100): QueueLock {
  const path = join(dir, 'queue.lock');

  async function tryTake(me: Holder): Promise<boolean> {
    await mkdir(dir, { recursive: true });
    const tmp = `${path}.tmp-${me.token}`;
    await writeFile(tmp, JSON.stringify(me));
    try {
      for (let tries = 0; tries < 3; tries++) {
        try {
          await link(tmp, path);
          return true;
        } catch (e) {
          if (code(e) !== 'EEXIST') throw e;
        }
        const holder = await readHolder(path);
        if (holder && processAlive(holder.pid)) return false;
        // Dead holder: move its file aside under a name of our own, then check it is the one we judged dead (another
        // waiter may have taken over in between; then its live lock goes back where it was).
        const aside = `${path}.stale-${me.token}`;
        try {
          await rename(path, aside);
        } catch (e) {
          if (code(e) === 'ENOENT') continue;
          throw e;
        }
        const moved = await readHolder(aside);
        if (moved && holder && moved.token !== holder.token) {
          await link(aside, path).catch(() => {});
          await unlink(aside).catch(() => {});
          return false;
        }
        await unlink(aside).catch(() => {});
      }
      return false;
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  return {
    async request(_name, options, fn) {
      const me: Holder = { pid: process.pid, token: randomUUID() };
      while (!(await tryTake(me))) {
        if (options.ifAvailable) return fn(null);
        if (options.signal?.aborted) throw new Error('The wait for the queue lock was aborted.');
        await new Promise((r) => setTimeout(r, pollMs));
      }
      try {
        return await fn(me);
      } finally {
        // Only our own file: a holder judged dead by mistake (a paused process) must not remove its successor's.
        if ((await readHolder(path).catch(() => null))?.token === me.token) await unlink(path).catch(() => {});
      }
    },
  };
}
