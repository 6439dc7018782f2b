// Ids that sort in creation order (time, then a per-process counter), so the queue's order survives a restart
// without a separate counter in the store; the random tail keeps two processes from colliding.
let counter = 0;

export function newId(prefix: 'file' | 'ftjob' | 'ftckpt'): string {
  const time = Date.now().toString(36).padStart(9, '0');
  const count = (counter++ % 36 ** 4).toString(36).padStart(4, '0');
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  const tail = Array.from(bytes, (b) => (b % 36).toString(36)).join('');
  return `${prefix}-${time}${count}${tail}`;
}

export const seconds = (ms = Date.now()) => Math.floor(ms / 1000);
