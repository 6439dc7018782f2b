import { defineConfig } from 'vite';
import { tfjsWasmThreads } from './scripts/vite-wasm-threads.ts';

// Cross-origin isolation lets the browser hand tfjs-wasm SharedArrayBuffer (the threaded build) and
// precise timers; every asset the app loads is same-origin or fetched with CORS, so require-corp is safe.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: isolation, host: '127.0.0.1' },
  preview: { headers: isolation, host: '127.0.0.1' },
  plugins: [tfjsWasmThreads()],
  // Dependencies are pre-bundled in dev without the app's plugins, so the rewrite is given to that step too.
  // chart.js listed: found late, it made Vite re-optimise and reload the browser tests mid-run.
  optimizeDeps: { include: ['chart.js'], rolldownOptions: { plugins: [tfjsWasmThreads()] } },
  worker: { format: 'es', plugins: () => [tfjsWasmThreads()] },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 8000 },
});
