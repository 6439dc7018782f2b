// Parses a dropped file off the main thread, streaming, and reports progress in bytes.
import { importStream } from '../src/data/import';

self.onmessage = async (e: MessageEvent<{ type: 'import'; file: File; options: { skipBadLines: boolean } }>) => {
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
    const result = await importStream(chunks(), { file: file.name, skipBadLines: options.skipBadLines }, () => {
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
