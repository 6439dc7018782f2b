// The library quick-start (docs/examples/quickstart.ts, which the README shows verbatim) run as it stands in the page.
// `from 'tabtune'` resolves as a browser bundle resolves this package: through package.json's exports map, browser
// condition, to the web entry (vitest.config.ts aliases the name to this repository and adds the "tabtune-source"
// condition, so src/web.ts stands in for dist-lib/web.js). openTabtune() with no arguments must keep its jobs in the
// app's IndexedDB database and train in a worker.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { deleteDB } from 'idb';
import code from '../../docs/examples/quickstart.ts?raw';
import { DEFAULT_DB_NAME, IdbJobStore } from '../../src/web';

// The example keeps its jobs in the app's own database; this page's copy of it is the test's to remove.
afterAll(() => deleteDB(DEFAULT_DB_NAME));

// Held in a variable so that tsc, which resolves `tabtune` to the built package's types, does not type-check the
// example against a dist-lib/ that may not be built (test/unit/library-build.test.ts checks it against the build).
const EXAMPLE = '../../docs/examples/quickstart.ts';

describe('the library quick-start in the page', () => {
  it('runs unchanged: events to succeeded, a prediction from the ft: model, the job in the app database', async () => {
    expect(code).toContain("from 'tabtune';");

    const lines: unknown[][] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args));
    const t0 = performance.now();
    try {
      await import(/* @vite-ignore */ EXAMPLE);
    } finally {
      log.mockRestore();
    }
    const seconds = (performance.now() - t0) / 1000;

    const events = lines.slice(0, -1).map(([level, message]) => ({ level, message: message as string }));
    expect(events[0]).toEqual({ level: 'info', message: 'Validating training file' });
    expect(events.at(-1)).toEqual({ level: 'info', message: 'The job has successfully completed' });
    // 200 emails: 160 train (80/10/10), batch 16 → 10 steps an epoch, 3 epochs; the same run as in Node.
    expect(events.filter((e) => /^Step \d+\/30: training loss=/.test(e.message)).map((e) => e.message.split(':')[0])).toEqual(['Step 10/30', 'Step 20/30', 'Step 30/30']);
    expect(events.filter((e) => /^Epoch \d\/3: validation loss=/.test(e.message))).toHaveLength(3);

    const prediction = lines.at(-1)![0] as { model: string; label: string; probabilities: Record<string, number>; baseline: { label: string } };
    expect(prediction.model).toMatch(/^ft:tabtune-mini:local::ftjob-/);
    expect(Object.keys(prediction.probabilities).sort()).toEqual(['invoice', 'order', 'spam', 'support']);
    expect(Object.values(prediction.probabilities).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    expect(prediction.label).toBe('invoice');
    expect(prediction.probabilities.invoice).toBe(Math.max(...Object.values(prediction.probabilities)));
    expect(prediction.baseline.label).toBe('invoice');

    // The default store is the app's database: the job and its model are there for the page (and a reload) to find.
    const store = await IdbJobStore.open(DEFAULT_DB_NAME);
    try {
      const jobId = prediction.model.split(':').at(-1)!;
      expect((await store.getJob(jobId))?.status).toBe('succeeded');
      expect((await store.getModel(prediction.model))?.model.id).toBe(prediction.model);
    } finally {
      await store.close();
    }
    console.log(`quick-start in the page: ${events.length} events in ${seconds.toFixed(1)} s`);
  });
});
