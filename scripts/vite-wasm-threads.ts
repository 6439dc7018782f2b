// Makes tfjs-backend-wasm's multi-threaded build survive bundling.
//
// Each pthread worker of the threaded build runs `importScripts(blob)`, and tfjs builds that blob from
// `wasmFactoryThreadedSimd.toString()`: the source text of a function that, once bundled and minified, refers to
// names living outside its own body (`_scriptDir` becomes `e`, and so on). In the worker those names do not exist,
// so every pthread died with "e is not defined" and the app had to run on one thread. Here the blob gets the
// Emscripten glue's own file, verbatim, as a string literal (which no minifier rewrites): the same code the
// factory was built from, self-contained as Emscripten wrote it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

const TARGET = /[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/;
const BLOB_SOURCE = /`var WasmBackendModuleThreadedSimd = ` \+\s*wasmFactoryThreadedSimd\.toString\(\)/;

function glueSource(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  return readFileSync(join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'), 'utf8');
}

/** Rewrites the pthread blob's source in tfjs-backend-wasm; fails the build if tfjs no longer has that line. */
export function tfjsWasmThreads(): Plugin {
  let glue: string | undefined;
  return {
    name: 'tabtune:tfjs-wasm-threads',
    enforce: 'pre',
    transform(code, id) {
      if (!TARGET.test(id.split('?')[0])) return null;
      if (!BLOB_SOURCE.test(code)) {
        throw new Error(
          `${id}: the line that builds the wasm pthread blob has changed; update scripts/vite-wasm-threads.ts ` +
            'for this tfjs version or the threaded wasm backend will fail in every worker.',
        );
      }
      glue ??= glueSource();
      return { code: code.replace(BLOB_SOURCE, () => JSON.stringify(glue)), map: null };
    },
  };
}
