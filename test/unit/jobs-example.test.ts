import { describe, expect, it, vi } from 'vitest';
import { readFile } from 'node:fs/promises';

// The quick-start in docs/jobs-api.md is docs/examples/jobs-quickstart.ts, character for character; this test
// checks that and runs the file, so the documented example cannot rot.
describe('docs/jobs-api.md quick-start', () => {
  it('is the example file verbatim, and runs: events followed to succeeded, a prediction from the ft: model', async () => {
    const doc = await readFile(new URL('../../docs/jobs-api.md', import.meta.url), 'utf8');
    const code = await readFile(new URL('../../docs/examples/jobs-quickstart.ts', import.meta.url), 'utf8');
    const block = /<!-- quickstart: docs\/examples\/jobs-quickstart\.ts -->\n```ts\n([\s\S]*?)```/.exec(doc);
    expect(block?.[1]).toBe(code);

    const lines: unknown[][] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args));
    try {
      await import('../../docs/examples/jobs-quickstart');
    } finally {
      log.mockRestore();
    }
    const messages = lines.slice(0, -1).map(([, m]) => m as string);
    expect(messages[0]).toBe('Validating training file');
    expect(messages.at(-1)).toBe('The job has successfully completed');
    expect(messages.filter((m) => /^Step \d+\/\d+: training loss=/.test(m)).length).toBeGreaterThan(0);
    const prediction = lines.at(-1)![0] as { model: string; label: string; probabilities: Record<string, number>; baseline: { label: string } };
    expect(prediction.model).toMatch(/^ft:tiny-bert:local::ftjob-/);
    expect(Object.keys(prediction.probabilities).sort()).toEqual(['invoice', 'order', 'spam', 'support']);
    expect(Object.values(prediction.probabilities).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    expect(prediction.probabilities[prediction.label]).toBe(Math.max(...Object.values(prediction.probabilities)));
    expect(prediction.baseline.label).toBe('invoice');
  });
});
