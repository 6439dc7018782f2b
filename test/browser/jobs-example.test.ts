// The page's quick-start in docs/jobs-api.md is docs/examples/jobs-quickstart-web.ts, character for character;
// this test checks that and runs the file as it stands in the page: the app's database, a training worker.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { deleteDB } from 'idb';
import doc from '../../docs/jobs-api.md?raw';
import code from '../../docs/examples/jobs-quickstart-web.ts?raw';
import { DEFAULT_DB_NAME } from '../../src/web';

// The example keeps its jobs in the app's own database; this page's copy of it is the test's to remove.
afterAll(() => deleteDB(DEFAULT_DB_NAME));

describe('docs/jobs-api.md quick-start in the page', () => {
  it('is the example file verbatim, and runs: events followed to succeeded, a prediction from the ft: model', async () => {
    const block = /<!-- quickstart: docs\/examples\/jobs-quickstart-web\.ts -->\n```ts\n([\s\S]*?)```/.exec(doc);
    expect(block?.[1]).toBe(code);

    const lines: unknown[][] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args));
    try {
      await import('../../docs/examples/jobs-quickstart-web');
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
    console.log(`quick-start in the page: ${messages.length} events, predicted ${prediction.label}`);
  });
});
