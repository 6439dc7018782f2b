// Parses a user's file in workers/import.worker.ts, streaming, so a 100 MB file never blocks the page.
import type { ImportResult } from '../data/import';
import type { FromImportWorker, ImportFileRequest } from '../protocol';

export function importFileInWorker(file: File, opts: { skipBadLines: boolean }, onProgress: (done: number, total: number) => void): Promise<ImportResult> {
  const worker = new Worker(new URL('../../workers/import.worker.ts', import.meta.url), { type: 'module', name: 'tabtune-import' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<FromImportWorker>) => {
      const m = e.data;
      if (m.type === 'progress') onProgress(m.done, m.total);
      else if (m.type === 'result') {
        worker.terminate();
        resolve(m.result);
      } else if (m.type === 'error') {
        worker.terminate();
        reject(new Error(m.message));
      }
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(e.message));
    };
    const request: ImportFileRequest = { type: 'import', file, options: opts };
    worker.postMessage(request);
  });
}
