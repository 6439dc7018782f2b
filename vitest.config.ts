import { defineConfig } from 'vitest/config';
import { defaultClientConditions } from 'vite';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { chromiumPath, chromiumArgs } from './scripts/chromium.mjs';
import { hubMirror } from './scripts/hub-mirror.ts';

// vitest 5's reporter calls Map.groupBy (Node 21+); Node 20 is supported here, so add it when missing.
const MapWithGroupBy = Map as unknown as { groupBy?: <K, V>(items: Iterable<V>, key: (v: V, i: number) => K) => Map<K, V[]> };
if (!MapWithGroupBy.groupBy) {
  MapWithGroupBy.groupBy = <K, V>(items: Iterable<V>, key: (v: V, i: number) => K) => {
    const out = new Map<K, V[]>();
    let i = 0;
    for (const item of items) {
      const k = key(item, i++);
      out.set(k, [...(out.get(k) ?? []), item]);
    }
    return out;
  };
}

// Four tiers, cheapest first: unit and parity run in Node in seconds, browser and e2e need Chromium and take minutes.
// `npm test` runs them all, in that order, through scripts/test.mjs.
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 60_000 },
      },
      {
        test: { name: 'parity', include: ['test/parity/**/*.test.ts'], environment: 'node', testTimeout: 300_000 },
      },
      {
        extends: './vite.config.ts',
        plugins: [hubMirror()],
        // `from 'tabtune'` (docs/examples/quickstart.ts) is this package: resolved, as a consumer's bundler would, through
        // its exports map with the browser condition, "tabtune-source" choosing src/ over a dist-lib/ that may be unbuilt.
        resolve: {
          alias: [{ find: /^tabtune$/, replacement: dirname(fileURLToPath(import.meta.url)) }],
          conditions: ['tabtune-source', ...defaultClientConditions],
        },
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions: { executablePath: chromiumPath(), args: chromiumArgs() } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 900_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
