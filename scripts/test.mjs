// `npm test`: every tier, cheapest first so a broken unit shows in seconds rather than after the browser tiers' minutes,
// then one closing line "N passed, N failed".
// Tiers run one after another because the machine this runs on has two cores and the browser tiers are heavy.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { ensureChromium } from './chromium.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const only = process.argv.slice(2); // e.g. `npm test -- unit browser`
const tiers = ['unit', 'parity', 'browser', 'e2e'].filter((t) => only.length === 0 || only.includes(t));

// The parity tier runs the PyTorch goldens on WebGPU in Node too (src/runtime/node-webgpu.ts): Dawn needs the Vulkan
// loader and, on a machine without a GPU, the SwiftShader driver that Debian's chromium package ships.
if (tiers.some((t) => ['browser', 'e2e', 'parity'].includes(t))) process.env.CHROMIUM_PATH = ensureChromium();
if (tiers.includes('parity')) {
  // The PEFT exports are checked with PyTorch alone (scripts/peft_check.py): Debian's python3-torch.
  ensureDebianPackage('python3-torch', 'PyTorch for /usr/bin/python3', () => spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
  // Dawn needs the Vulkan loader for WebGPU in Node.
  ensureDebianPackage('libvulkan1', 'the Vulkan loader (WebGPU in Node)', () => ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1'].some((f) => existsSync(f)));
}

/** Installs a Debian package when `has()` says it is missing and we are root, or ends with the command to run. */
function ensureDebianPackage(pkg, what, has) {
  if (has()) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.error(`[tabtune] ${what} not found: installing Debian's "${pkg}" (apt-get update && apt-get install -y ${pkg})…`);
    spawnSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg}`], { stdio: 'inherit' });
    if (has()) return;
  }
  console.error(`[tabtune] The parity tier needs ${what}.\n  On Debian/Ubuntu run:  sudo apt-get update && sudo apt-get install -y ${pkg}`);
  process.exit(1);
}

mkdirSync('test-results', { recursive: true });
let passed = 0;
let failed = 0;
let skipped = 0;
const timings = [];

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  return r.status ?? 1;
}

for (const tier of tiers) {
  if (tier === 'e2e') {
    // The e2e tier drives the built app, exactly what `npm run build && npm run preview` serves.
    const t0 = Date.now();
    if (run('npx', ['vite', 'build', '--logLevel', 'warn']) !== 0) {
      failed += 1;
      console.error('[tabtune] vite build failed: the e2e tier cannot run.');
      continue;
    }
    timings.push(['build', Date.now() - t0]);
  }
  const out = `test-results/${tier}.json`;
  if (existsSync(out)) rmSync(out);
  const t0 = Date.now();
  const status = run('npx', ['vitest', 'run', '--project', tier, '--reporter=default', '--reporter=json', `--outputFile=${out}`, '--passWithNoTests']);
  timings.push([tier, Date.now() - t0]);
  if (!existsSync(out)) {
    failed += 1;
    console.error(`[tabtune] tier ${tier} produced no report (exit ${status}).`);
    continue;
  }
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  // A suite that fails to load has no failed tests but must still fail the run.
  if (status !== 0 && report.numFailedTests === 0) failed += 1;
}

console.log('\nTier times: ' + timings.map(([t, ms]) => `${t} ${(ms / 1000).toFixed(1)} s`).join(', '));
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(failed > 0 || passed === 0 ? 1 : 0);
