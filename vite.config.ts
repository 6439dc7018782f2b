import { defineConfig } from 'vite';

// Cross-origin isolation lets the browser hand tfjs-wasm SharedArrayBuffer (the threaded build) and
// precise timers; every asset the app loads is same-origin or fetched with CORS, so require-corp is safe.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: isolation, host: '127.0.0.1' },
  preview: { headers: isolation, host: '127.0.0.1' },
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 8000 },
});
