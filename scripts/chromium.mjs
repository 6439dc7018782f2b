// Where the browser tiers find Chromium: Debian's package, installed on demand when we are root.
// Playwright's own browser download is never used (it cannot reach its CDN here, and CI must not depend on it).
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium() {
  if (process.env.CHROMIUM_PATH && existsSync(process.env.CHROMIUM_PATH)) return process.env.CHROMIUM_PATH;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Returns a Chromium path, installing Debian's `chromium` when missing and root; otherwise explains and exits. */
export function ensureChromium() {
  const found = findChromium();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && existsSync('/usr/bin/apt-get')) {
    console.error('[tabtune] Chromium not found: installing Debian\'s "chromium" package (apt-get update && apt-get install -y chromium)…');
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
    const now = findChromium();
    if (now) return now;
  }
  console.error(
    '[tabtune] The browser test tiers need Chromium and none was found.\n' +
      '  On Debian/Ubuntu run:  sudo apt-get update && sudo apt-get install -y chromium\n' +
      '  or point CHROMIUM_PATH at a Chromium/Chrome binary.',
  );
  process.exit(1);
}

export function chromiumPath() {
  return findChromium() ?? '/usr/bin/chromium';
}

export function chromiumArgs() {
  const args = [
    '--enable-unsafe-webgpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) args.push('--no-sandbox');
  return args;
}
