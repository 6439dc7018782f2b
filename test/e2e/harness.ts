// Serves the built app (dist/) with `vite preview` on a free loopback port and drives Debian's Chromium.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright';
import { expect } from 'vitest';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export async function startPreview(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const proc: ChildProcess = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`vite preview did not answer on ${url}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    stop: () => {
      try {
        process.kill(-proc.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
    },
  };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs(), headless: true });
}

/** Screenshots are artifacts a person looks at: test-results/screenshots/NAME.png */
export async function snap(page: Page, name: string): Promise<void> {
  mkdirSync('test-results/screenshots', { recursive: true });
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

/** Collects uncaught page errors and console errors so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Every record of one of the page's IndexedDB stores (src/store/db.ts), read in the page as the app stored it. */
/** Every record of a store, binary parts (checkpoint weights) replaced by `{ bytes: their length }`. */
export function storedRecords<T>(page: Page, store: 'runs' | 'predictions' | 'jobs' | 'jobFiles' | 'checkpoints' | 'jobCheckpoints'): Promise<T[]> {
  return page.evaluate(
    (name) =>
      new Promise<T[]>((resolve, reject) => {
        const req = indexedDB.open('tabtune');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const all = req.result.transaction(name).objectStore(name).getAll();
          all.onsuccess = () => resolve(JSON.parse(JSON.stringify(all.result, (_, v: unknown) => (v instanceof ArrayBuffer ? { bytes: v.byteLength } : v))) as T[]);
          all.onerror = () => reject(all.error);
        };
      }),
    store,
  );
}

/** The page's steps, in the rail's order (src/ui/url-settings.ts STEP_IDS). */
export const STEPS = ['data', 'model', 'train', 'evaluate', 'play', 'runs', 'pretraining'] as const;
export type Step = (typeof STEPS)[number];

/** A step's button on the rail. */
export function railButton(page: Page, step: Step) {
  return page.getByRole('navigation', { name: 'Steps' }).locator(`button[data-step="${step}"]`);
}

/** Waits until `step` is the one step in view, marked current on the rail. */
export async function waitStep(page: Page, step: Step): Promise<void> {
  await expect.poll(() => page.locator(`main > section#${step}`).isVisible(), { timeout: 10_000 }).toBe(true);
  expect(await page.locator('main > section:not([hidden])').count()).toBe(1);
  expect(await railButton(page, step).getAttribute('aria-current')).toBe('step');
}

/** Reaches a step the way a person does: through the rail. */
export async function goStep(page: Page, step: Step): Promise<void> {
  await railButton(page, step).click();
  await waitStep(page, step);
}

/** The "Next" button at the end of the step in view. */
export async function nextStep(page: Page, to: Step): Promise<void> {
  await page.locator('main > section:not([hidden]) .step-nav .step-next').click();
  await waitStep(page, to);
}

/** Opens (or closes) the fold (a <details> under a step's essentials) whose summary starts with `title`. */
export async function openFold(page: Page, step: Step, title: string, open = true): Promise<void> {
  const fold = page.locator(`main > section#${step} details.fold`).filter({ has: page.locator(':scope > summary', { hasText: title }) });
  if (((await fold.getAttribute('open')) !== null) !== open) await fold.locator(':scope > summary').click();
}

/** The page's size limits: three screens tall on a laptop, four on a phone, never wider than the screen. */
export const VIEWPORTS = [
  { width: 1280, height: 800, maxHeight: 2400 },
  { width: 390, height: 844, maxHeight: 3376 },
] as const;

/**
 * Walks every step through the rail at both viewport sizes: a screenshot of each
 * (test-results/screenshots/TAG-WIDTHpx-N-STEP.png), and the height and horizontal-scroll limits asserted for
 * each. Returns the document heights; leaves the page at its first size, on the step it was on.
 */
export async function measureSteps(page: Page, tag: string): Promise<Record<string, number>> {
  const start = page.viewportSize()!;
  const back = (await page.locator('main > section:not([hidden])').getAttribute('id')) as Step;
  const heights: Record<string, number> = {};
  const over: string[] = [];
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    for (const [i, step] of STEPS.entries()) {
      await goStep(page, step);
      await page.waitForTimeout(150);
      const m = await page.evaluate(() => ({ height: document.documentElement.scrollHeight, scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
      heights[`${vp.width}x${vp.height} ${step}`] = m.height;
      await snap(page, `${tag}-${vp.width}px-${i + 1}-${step}`);
      if (m.height > vp.maxHeight) over.push(`${step} at ${vp.width} x ${vp.height}: ${m.height} px tall (limit ${vp.maxHeight})`);
      if (m.scrollWidth > m.clientWidth) over.push(`${step} at ${vp.width} x ${vp.height}: scrolls sideways (${m.scrollWidth} > ${m.clientWidth})`);
    }
  }
  console.log(`page heights (${tag}): ${Object.entries(heights).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  await page.setViewportSize(start);
  await goStep(page, back);
  expect(over).toEqual([]);
  return heights;
}
