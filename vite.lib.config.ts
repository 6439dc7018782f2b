// The library build (`npm run build:lib`): src/index.ts, src/node.ts and src/web.ts as ES modules in dist-lib/, one
// file per source module so that a consumer's bundler keeps only what is imported, with every package left to the
// consumer's own install. The training worker is the exception: it is bundled whole, tfjs and its wasm binaries
// inlined, because a consumer's bundler may copy it as a plain asset (it sees `new URL(file, import.meta.url)`), and
// a worker with bare imports, or tfjs's threaded-wasm blob left to a minifier without scripts/vite-wasm-threads.ts,
// would not start there.
import { defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';
import { tfjsWasmThreads } from './scripts/vite-wasm-threads.ts';

const srcDir = fileURLToPath(new URL('./src', import.meta.url));
const bare = (id: string) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && !/^[A-Za-z]:[\\/]/.test(id);

/**
 * src/model/load.ts and peft.ts import node:fs/promises lazily, through a variable, so that no bundler tries to put
 * it in a page; rolldown folds the variable back into a string literal, which a consumer's browser bundle would then
 * try to resolve (esbuild and webpack fail on it), so the indirection is restored in the output.
 */
function keepNodeImportsDynamic(): Plugin {
  return {
    name: 'tabtune:keep-node-imports-dynamic',
    // A parameter, because bundlers fold even String("node:…") back into a literal.
    renderChunk: (code) => code.replace(/import\(\s*(?:\/\* @vite-ignore \*\/\s*)?["'`](node:[\w/]+)["'`]\s*\)/g, '((specifier) => import(/* @vite-ignore */ specifier))("$1")'),
  };
}

export default defineConfig({
  // Relative, so that the web entry's default baseUrl (import.meta.env.BASE_URL) is the page's own folder, wherever
  // the consumer serves it, rather than the host's root.
  base: './',
  publicDir: false,
  plugins: [keepNodeImportsDynamic()],
  worker: { format: 'es', plugins: () => [tfjsWasmThreads(), keepNodeImportsDynamic()], rolldownOptions: { output: { minify: true } } },
  build: {
    outDir: 'dist-lib',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    // Off: the bundled worker's map alone would be 24 MB.
    sourcemap: false,
    lib: { entry: { index: 'src/index.ts', node: 'src/node.ts', web: 'src/web.ts' }, formats: ['es'] },
    rolldownOptions: {
      external: bare,
      output: { preserveModules: true, preserveModulesRoot: srcDir, entryFileNames: '[name].js' },
    },
  },
});
