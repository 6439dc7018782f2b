// The library as a consumer gets it: `npm run build:lib`'s two steps (vite.lib.config.ts, tsconfig.lib.json) write a
// package into a temporary folder, and a project of its own imports it by name from node_modules/tabtune, with no
// loader and no export conditions of its own: what `npm install tabtune` would give.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const bin = (pkg: string, file: string) => join(require.resolve(`${pkg}/package.json`).replace(/package\.json$/, ''), file);

function run(file: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { cwd, maxBuffer: 1 << 24 }, (err, out, errOut) => (err ? reject(new Error(`${file} ${args.join(' ')}: ${err.message}\n${out}\n${errOut}`)) : resolve(out))),
  );
}

let tmp: string;
let pkg: string; // the built package: package.json, dist-lib/, and public/ (the bundled models)
let app: string; // a consumer project whose node_modules/tabtune is `pkg`

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tabtune-lib-'));
  pkg = join(tmp, 'pkg');
  app = join(tmp, 'app');
  await mkdir(pkg);
  await copyFile(join(repo, 'package.json'), join(pkg, 'package.json'));
  await symlink(join(repo, 'public'), join(pkg, 'public'), 'dir');
  // The package's own dependencies, as npm would install them beside it.
  await symlink(join(repo, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  const out = join(pkg, 'dist-lib');
  // One after the other: vite empties the folder it writes.
  await run(process.execPath, [bin('vite', 'bin/vite.js'), 'build', '-c', 'vite.lib.config.ts', '--outDir', out, '--logLevel', 'error'], repo);
  await run(process.execPath, [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.lib.json', '--outDir', out], repo);
  await mkdir(join(app, 'node_modules'), { recursive: true });
  await writeFile(join(app, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  await symlink(pkg, join(app, 'node_modules', 'tabtune'), 'dir');
}, 120_000);

afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('npm run build:lib', () => {
  it('writes the three entries as ES modules with their types, one file per module, packages left external', async () => {
    const dist = join(pkg, 'dist-lib');
    for (const entry of ['index', 'node', 'web']) {
      expect(existsSync(join(dist, `${entry}.js`))).toBe(true);
      expect(existsSync(join(dist, `${entry}.d.ts`))).toBe(true);
    }
    expect(existsSync(join(dist, 'jobs/errors.js'))).toBe(true);
    const core = await readFile(join(dist, 'index.js'), 'utf8');
    expect(core).toContain('export {');
    expect(core).not.toMatch(/\brequire\(/);
    // tfjs stays an import of the consumer's install, not a copy inside the package.
    expect(await readFile(join(dist, 'runtime/tf-node.js'), 'utf8')).toMatch(/from "@tensorflow\/tfjs"/);
    expect(await readFile(join(dist, 'web.d.ts'), 'utf8')).toMatch(/export declare function openTabtune\(opts\?: WebOpenOptions\): Promise<Tabtune>/);
  });

  it('resolves by name in Node to the node entry and runs a job there (tiny-bert, 40 emails, 1 epoch)', async () => {
    await writeFile(
      join(app, 'job.mjs'),
      `import { openTabtune, generateEmails, toChatJsonl, BUNDLED_MODELS_DIR } from 'tabtune';
const tt = await openTabtune();
const file = await tt.files.create({ file: { name: 'emails.jsonl', text: toChatJsonl(generateEmails({ count: 40, seed: 1 })) }, purpose: 'fine-tune' });
const created = await tt.fineTuning.jobs.create({ training_file: file.id, model: 'tiny-bert', hyperparameters: { n_epochs: 1 } });
const job = await tt.fineTuning.jobs.wait(created.id);
const checkpoints = (await tt.fineTuning.jobs.checkpoints.list(job.id)).data;
const prediction = await tt.predict({ model: job.fine_tuned_model, input: 'Your order 1182 has shipped.' });
await tt.close();
console.log(JSON.stringify({ resolved: { main: import.meta.resolve('tabtune'), core: import.meta.resolve('tabtune/core') }, models: BUNDLED_MODELS_DIR, file, job, checkpoints, prediction }));
`,
    );
    const t0 = performance.now();
    const out = JSON.parse(await run(process.execPath, ['job.mjs'], app));
    console.log(`tiny-bert job from the built package in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    expect(out.resolved.main).toBe(`file://${pkg}/dist-lib/node.js`);
    expect(out.resolved.core).toBe(`file://${pkg}/dist-lib/index.js`);
    // The bundled models are found beside dist-lib in the installed package, not in the repository it was built in.
    expect(out.models).toBe(join(pkg, 'public/models'));
    expect(out.file).toMatchObject({ object: 'file', purpose: 'fine-tune', filename: 'emails.jsonl' });
    expect(out.job).toMatchObject({ status: 'succeeded', model: 'tiny-bert', error: null, hyperparameters: { n_epochs: 1, batch_size: 16 } });
    expect(out.job.fine_tuned_model).toBe(`ft:tiny-bert:local::${out.job.id}`);
    // 40 emails → 32 train (80/10/10) → 2 steps of 16; one checkpoint, at the end of the epoch.
    expect(out.checkpoints.map((c: { step_number: number }) => c.step_number)).toEqual([2]);
    expect(out.job.trained_tokens).toBeGreaterThan(32);
    expect(Object.keys(out.prediction.probabilities).sort()).toEqual(['invoice', 'order', 'spam', 'support']);
    expect(Object.values(out.prediction.probabilities as Record<string, number>).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    // openTabtune() with no arguments wrote its folder store in the working directory.
    expect(await readdir(join(app, '.tabtune', 'jobs'))).toEqual([out.job.id]);
  }, 120_000);

  it('the README example type-checks against the built types', async () => {
    await copyFile(join(repo, 'docs/examples/quickstart.ts'), join(app, 'quickstart.ts'));
    const compilerOptions = { target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', strict: true, noEmit: true, skipLibCheck: true, types: [] };
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['quickstart.ts'] }));
    // A page's TypeScript project that resolves with the browser condition gets the web entry's types.
    await writeFile(join(app, 'tsconfig.web.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, lib: ['ES2022', 'DOM'], customConditions: ['browser'] }, files: ['quickstart.ts'] }));
    await run(process.execPath, [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.json'], app);
    await run(process.execPath, [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.web.json'], app);
    const traced = await run(process.execPath, [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.web.json', '--traceResolution'], app);
    expect(traced).toMatch(/Module name 'tabtune' was successfully resolved to '[^']*\/dist-lib\/web\.d\.ts'/);
  }, 60_000);

  it('is tree-shakable: TabtuneError alone from the core entry bundles without tfjs', async () => {
    await writeFile(join(app, 'only-error.mjs'), `import { TabtuneError } from 'tabtune/core';\nconsole.log(new TabtuneError('invalid_input', 'no', 'input').code);\n`);
    const result = await build({ entryPoints: [join(app, 'only-error.mjs')], bundle: true, format: 'esm', platform: 'browser', write: false, minify: true, metafile: true, absWorkingDir: app });
    const bundle = result.outputFiles[0].text;
    expect(bundle).toContain('invalid_input');
    expect(bundle.length).toBeLessThan(4_000);
    expect(bundle).not.toMatch(/tensorflow|registerKernel/i);
    // esbuild reads every module it is shown; what it keeps is the error class and the file that imports it.
    const kept = Object.entries(Object.values(result.metafile.outputs)[0].inputs).filter(([, i]) => i.bytesInOutput > 0).map(([f]) => f);
    expect(kept.sort()).toEqual(['../pkg/dist-lib/jobs/errors.js', 'only-error.mjs']);
  });

  it('resolves in a browser bundle to the web entry, whose training worker is one self-contained file', async () => {
    await writeFile(join(app, 'page.mjs'), `import { openTabtune } from 'tabtune';\nwindow.tt = openTabtune;\n`);
    // The package's own dependencies stay out (the question is which of its files a page gets, not tfjs's).
    const deps = Object.keys(JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8')).dependencies as Record<string, string>);
    const external = deps.flatMap((d) => [d, `${d}/*`]);
    const result = await build({ entryPoints: [join(app, 'page.mjs')], bundle: true, format: 'esm', platform: 'browser', external, write: false, metafile: true, absWorkingDir: app });
    const inputs = Object.keys(result.metafile.inputs);
    // Paths as esbuild found them, through the node_modules/tabtune link.
    expect(inputs).toContain('../pkg/dist-lib/web.js');
    expect(inputs).not.toContain('../pkg/dist-lib/node.js');
    expect(Object.values(result.metafile.outputs)[0].imports.map((i) => i.path).filter((p) => !deps.some((d) => p === d || p.startsWith(`${d}/`)))).toEqual([]);

    const [, workerPath] = /new URL\("(\.\.\/assets\/train\.worker-[\w-]+\.js)", import\.meta\.url\)/.exec(await readFile(join(pkg, 'dist-lib/ui/worker-client.js'), 'utf8')) ?? [];
    expect(workerPath).toBeDefined();
    const workerFile = join(pkg, 'dist-lib/ui', workerPath);
    const worker = await readFile(workerFile, 'utf8');
    // No import a page could not resolve (bundled with nothing external, it reads no file but itself), tfjs's three
    // wasm binaries inside, and the pthread glue as the verbatim string scripts/vite-wasm-threads.ts puts there
    // (else the threaded build dies in every pthread).
    const alone = await build({ entryPoints: [workerFile], bundle: true, format: 'esm', platform: 'browser', write: false, metafile: true, logLevel: 'silent' });
    expect(Object.keys(alone.metafile.inputs)).toHaveLength(1);
    expect(worker.match(/data:application\/wasm;base64,/g)).toHaveLength(3);
    expect(worker).toContain('var WasmBackendModuleThreadedSimd = (() =>');
  });

  it("goes through a consumer's Vite build with its worker emitted beside the page, the threaded wasm glue intact", async () => {
    await writeFile(join(app, 'index.html'), '<!doctype html><script type="module" src="./page.mjs"></script>\n');
    await writeFile(join(app, 'vite.config.mjs'), 'export default { logLevel: "error", build: { outDir: "site" } };\n');
    await run(process.execPath, [bin('vite', 'bin/vite.js'), 'build'], app);
    const assets = await readdir(join(app, 'site/assets'));
    const worker = assets.find((f) => /^train\.worker-.*\.js$/.test(f));
    expect(worker).toBeDefined();
    const page = await readFile(join(app, 'site/assets', assets.find((f) => /^index-.*\.js$/.test(f))!), 'utf8');
    expect(page).toContain(`/assets/${worker}`);
    expect(await readFile(join(app, 'site/assets', worker!), 'utf8')).toContain('var WasmBackendModuleThreadedSimd = (() =>');
  }, 60_000);
});
