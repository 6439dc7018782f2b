/** Posts 'go' to `worker`, resolves to its first answer and terminates it; rejects on its error or after `timeoutMs`
 * (`what` names what did not answer). The Worker is made by the test itself, where Vite sees its URL. */
export function workerAnswer<T>(worker: Worker, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
    worker.onmessage = (e) => {
      clearTimeout(timer);
      worker.terminate();
      resolve(e.data);
    };
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage('go');
  });
}

/** max |a − ref| over max |ref|. */
export function maxRelDiff(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff / scale;
}
