// Big files are parsed in a worker, streaming, with progress, while the page keeps running.
import { describe, expect, it } from 'vitest';
import { importFileInWorker } from '../../src/ui/import-client';
import { generateEmails, toChatJsonl } from '../../src/data/synth';

describe('importing a large file', () => {
  it('parses a multi-megabyte chat JSONL file in a worker with progress, without blocking the page', async () => {
    const text = toChatJsonl(generateEmails({ count: 50_000, seed: 3 }));
    const file = new File([text, '\n{"messages": 7}\n'], 'big.jsonl');
    const progress: number[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const strict = await importFileInWorker(file, { skipBadLines: false }, (done) => progress.push(done));
    const lenient = await importFileInWorker(file, { skipBadLines: true }, () => {});
    clearInterval(timer);
    console.log(`import of ${(file.size / 1e6).toFixed(1)} MB: ${progress.length} progress messages, ${ticks} timer ticks on the page meanwhile`);
    expect(file.size).toBeGreaterThan(10_000_000);
    expect(strict.examples).toEqual([]);
    expect(strict.errors).toEqual([{ file: 'big.jsonl', line: 50_002, field: 'messages', message: '"messages" must be a list' }]);
    expect(lenient.examples.length).toBe(50_000);
    expect(lenient.skipped).toBe(1);
    expect(progress.length).toBeGreaterThan(3);
    expect(progress[progress.length - 1]).toBe(file.size);
    // The ticks are reported, not asserted: how many a 20 ms timer gets depends on the machine's speed. That the
    // parse runs off the page is what importFileInWorker is (src/ui/import-client.ts starts a worker).
  });
});
