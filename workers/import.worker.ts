// Parses a dropped file off the main thread, streaming (JSONL, CSV and TSV chunk by chunk; a JSON array is
// gathered whole), and reports progress in bytes whatever the format.
import { importStream } from '../src/data/import';
import type { FromImportWorker, ImportFileRequest } from '../src/protocol';

const post = (msg: FromImportWorker) => self.postMessage(msg);

self.onmessage = async (e: MessageEvent<ImportFileRequest>) => {
  const { file, options } = e.data;
  try {
    let bytes = 0;
    const decoder = new TextDecoder();
    const reader = file.stream().getReader();
    async function* chunks() {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        yield decoder.decode(value, { stream: true });
      }
      const tail = decoder.decode();
      if (tail) yield tail;
    }
    let last = 0;
    const result = await importStream(chunks(), { ...options, file: file.name }, () => {
      if (bytes - last > 1 << 20 || bytes === file.size) {
        last = bytes;
        post({ type: 'progress', done: bytes, total: file.size });
      }
    });
    post({ type: 'result', result });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
