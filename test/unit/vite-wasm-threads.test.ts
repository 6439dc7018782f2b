// The build-time rewrite that lets tfjs's threaded wasm build start once bundled (scripts/vite-wasm-threads.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { tfjsWasmThreads } from '../../scripts/vite-wasm-threads';

const require = createRequire(import.meta.url);
const backendFile = require.resolve('@tensorflow/tfjs-backend-wasm/dist/backend_wasm.js');
const glueFile = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');

type Transform = (code: string, id: string) => { code: string } | null;
const transform = tfjsWasmThreads().transform as unknown as Transform;

describe('tfjsWasmThreads', () => {
  it("hands the pthread workers the Emscripten glue's own text instead of a bundled function's source", () => {
    const out = transform(readFileSync(backendFile, 'utf8'), backendFile);
    expect(out).not.toBeNull();
    expect(out!.code).not.toMatch(/wasmFactoryThreadedSimd\.toString\(\)/);
    const literal = JSON.stringify(readFileSync(glueFile, 'utf8'));
    expect(out!.code).toContain(`mainScriptUrlOrBlob = new Blob([${literal}]`);
    // The glue defines the name the pthread worker calls after importScripts.
    expect(JSON.parse(literal)).toMatch(/^\s*var WasmBackendModuleThreadedSimd = \(\(\) => \{/);
  });

  it('leaves every other module alone', () => {
    expect(transform('export const x = 1;', '/app/src/main.ts')).toBeNull();
  });

  it('fails the build when a tfjs upgrade changed the line it rewrites', () => {
    expect(() => transform('factoryConfig.mainScriptUrlOrBlob = somethingElse;', backendFile)).toThrow(/update scripts\/vite-wasm-threads\.ts/);
  });
});
