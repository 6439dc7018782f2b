// Parses a dropped file off the main thread, streaming (JSONL, CSV and TSV chunk by chunk; a JSON array is
// gathered whole), and reports progress in bytes whatever the format.
import { importStream, type ImportOptions } from '../src/data/import';

type Options = Pick<ImportOptions, 'skipBadLines' | 'format' | 'textColumn' | 'labelColumn'>;

self.onmessage = async (e: MessageEvent<{ type: 'import'; file: File; options: Options }>) => {
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
        self.postMessage({ type: 'progress', done: bytes, total: file.size });
      }
    });
    self.postMessage({ type: 'result', result });
  } catch (err) {
    self.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
