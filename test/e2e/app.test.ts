// A person's whole flow against the built app in Debian's Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright';
import { launch, snap, startPreview, watchErrors } from './harness';

let server: { url: string; stop: () => void };
let browser: Browser;

beforeAll(async () => {
  server = await startPreview();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  server?.stop();
});

async function open(page: Page, query: string) {
  await page.goto(server.url + query);
  await expect.poll(() => page.getByTestId('backend-status').textContent(), { timeout: 60_000 }).toMatch(/^(WebGPU|CPU|WebGL)/);
}

describe('the app', () => {
  it('says which backend it chose, trains the built-in data in a worker, and keeps the run after a reload', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    // Small and short so the tier stays quick on a 2-core machine; the flow is the same at any size.
    await open(page, '?n=300&epochs=2');
    const backend = await page.getByTestId('backend-status').textContent();
    // This machine's only WebGPU adapter is SwiftShader, so the page must explain why it uses wasm.
    expect(backend).toMatch(/^CPU \(wasm\) — only a software WebGPU adapter was found/);
    await expect.poll(() => page.getByTestId('dataset-summary').textContent(), { timeout: 60_000 }).toMatch(/300 examples/);
    await snap(page, '01-opened');

    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 600_000, interval: 1000 }).toMatch(/finished/i);
    await snap(page, '02-trained');
    const lossPoints = await page.evaluate(() => (window as unknown as { __tabtune?: { lossPoints(): number } }).__tabtune?.lossPoints() ?? 0);
    expect(lossPoints).toBeGreaterThan(0);

    await page.reload();
    await open(page, '?n=300&epochs=2');
    const row = page.getByTestId('runs-table').locator('tbody tr').first();
    await expect.poll(() => row.textContent(), { timeout: 30_000 }).toMatch(/completed/);
    expect(await row.textContent()).toMatch(/checkpoint/);
    await snap(page, '03-after-reload');
    expect(errors).toEqual([]);
    await context.close();
  });
});
