// Times the page's demo run as a person starts it: the built app (run `npm run build` first) in Debian's Chromium,
// opened with no settings (the built-in 2,000 emails, the default model and its defaults), one click on Train,
// until the run says it finished. Prints one JSON line: seconds, backend, before and after accuracy.
// usage: npx tsx scripts/checks/demo-run.ts [--query '?n=2000']
import { parseArgs } from 'node:util';
import { launch, railButton, startPreview } from '../../test/e2e/harness';

const { values } = parseArgs({ options: { query: { type: 'string', default: '' } } });
const server = await startPreview();
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(server.url + values.query);
  const text = (id: string) => page.getByTestId(id).textContent();
  const until = async (id: string, re: RegExp, ms: number) => {
    const end = Date.now() + ms;
    while (!re.test((await text(id)) ?? '')) {
      if (Date.now() > end) throw new Error(`${id} never matched ${re}: ${await text(id)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  await until('backend-status', /^(WebGPU|CPU|WebGL)/, 60_000);
  await until('dataset-summary', /examples/, 60_000);
  // The page is a guided sequence of steps: the person walks to Train and clicks it; the clock starts at the click.
  await railButton(page, 'train').click();
  await page.locator('main > section#train').waitFor({ state: 'visible' });
  const started = Date.now();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await until('run-status', /finished|failed/i, 1_800_000);
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ seconds, status: await text('run-status'), backend: await text('backend-status'), dataset: await text('dataset-summary'), before: await text('acc-before'), after: await text('acc-after') }) + '\n');
} finally {
  await browser.close();
  server.stop();
}
