// The library quick-start (docs/examples/quickstart.ts, which the README shows verbatim) run as it stands in the page.
// `from 'tabtune'` resolves as a browser bundle resolves this package: through package.json's exports map, browser
// condition, to the web entry (vitest.config.ts aliases the name to this repository and adds the "tabtune-source"
// condition, so src/web.ts stands in for dist-lib/web.js). openTabtune() with no arguments must keep its jobs in the
// app's IndexedDB database and train in a worker.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { deleteDB } from 'idb';
import code from '../../docs/examples/quickstart.ts?raw';
import { DEFAULT_DB_NAME, IdbJobStore } from '../../src/web';
import { expectQuickstartOutput } from '../helpers/quickstart-output';

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

    // The same run as in Node (test/unit/jobs-example.test.ts).
    const { events, prediction } = expectQuickstartOutput(lines);

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
