// A person's whole flow against the built app in Debian's Chromium, with a screenshot of each step
// (test-results/screenshots/*.png). The page shows one step at a time: the tests reach each through the step
// rail or the Next button, as a person does, and measure every step at a laptop's and a phone's size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright';
import { goStep, launch, measureSteps, nextStep, openFold, railButton, snap, startPreview, storedRecords, waitStep, watchErrors, type Step } from './harness';

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

// The page's default model and settings on a smaller demo, so the tier stays quick on a 2-core machine; the flow
// is the same at any size. (The random tiny-bert cannot learn the varied demo emails; its tests use
// test/helpers/keyword-emails.ts.)
const QUERY = '?n=400';

async function open(page: Page, query = QUERY) {
  await page.goto(server.url + query);
  await ready(page);
}

/** The backend is up and the demo dataset loaded (after opening or reloading the page). */
async function ready(page: Page) {
  await expect.poll(() => page.getByTestId('backend-status').textContent(), { timeout: 60_000 }).toMatch(/^(WebGPU|CPU|WebGL)/);
  await expect.poll(() => page.getByTestId('dataset-summary').textContent(), { timeout: 60_000 }).toMatch(/examples/);
}

/** Trains from the Train step; with `away`, watches the run from another step, as a person might. */
async function train(page: Page, away?: Step) {
  await goStep(page, 'train');
  // The run's record appears in the runs table (rendered even while its step is hidden) as its phase leaves the
  // previous run's "finished": waiting for it keeps the poll below from reading the last run's status.
  const runRows = page.getByTestId('runs-table').locator('tbody tr');
  const before = await runRows.count();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect.poll(() => runRows.count(), { timeout: 60_000 }).toBe(before + 1);
  if (away) {
    // The rail says how far the run is, whichever step is in view.
    await expect.poll(() => railButton(page, 'train').textContent(), { timeout: 300_000, interval: 200 }).toMatch(/Train: running \d+ %/);
    await goStep(page, away);
  }
  await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 600_000, interval: 1000 }).toMatch(/finished|failed/i);
  expect(await page.getByTestId('run-status').textContent()).toMatch(/finished/i);
}

/** The Train step's seed, under its advanced settings. */
async function setSeed(page: Page, seed: string) {
  await goStep(page, 'train');
  await openFold(page, 'train', 'Advanced');
  await page.getByLabel('Seed', { exact: true }).fill(seed);
  await page.getByLabel('Seed', { exact: true }).dispatchEvent('change');
  await openFold(page, 'train', 'Advanced', false);
}

type ChartInfo = { label: string; width: number; height: number; points: number[] };
const charts = (page: Page) => page.evaluate(() => (window as unknown as { __tabtune: { charts(): ChartInfo[] } }).__tabtune.charts());
const lossPointsOf = (page: Page) => page.evaluate(() => (window as unknown as { __tabtune: { lossPoints(): number } }).__tabtune.lossPoints());

const pct = (s: string | null) => Number((s ?? '').replace(/[^0-9.]/g, ''));

/** What the pretraining comparison must show, set from the measured figures (see the model card). */
function expectPretrainingWins(pre: { before: number; after: number }, rnd: { before: number; after: number }) {
  // Measured here (800 demo emails, the default 2 epochs, seed 0, wasm: deterministic), tabtune-mini v2 with its
  // default trainable tokens: 36.3 → 88.8 % against 25.0 → 78.8 %. With the generator before its voice and setting
  // balance: 33.8 → 93.8 % against 25.0 → 80.0 % (with tf.dropout's masks, before dropout-mask.ts, 82.5 %);
  // LoRA alone 33.8 → 62.5 % against 25.0 → 32.5 %; v1 with 3 epochs 33.8 → 53.8 % against 25.0 → 42.5 %.
  // (With the first, keyword-template generator, v1, 300 emails and 1 epoch gave 50.0 → 71.9 % against 25.0 → 25.0 %.)
  expect(pre.before).toBeGreaterThan(rnd.before + 5);
  expect(pre.after).toBeGreaterThan(rnd.after + 5);
}

/** The step a job's log says it resumed from after its process ended: exactly one such line, at a checkpoint (every 5
 * steps, as `checkpointEvery=5` in these tests' URLs). */
function resumedFromStep(lines: string[]): number {
  const steps = lines.map((l) => /Job queued: its process ended; resumes from step (\d+)$/.exec(l)?.[1]).filter(Boolean).map(Number);
  expect(steps).toHaveLength(1);
  expect(steps[0] % 5).toBe(0);
  return steps[0];
}

describe('the app', () => {
  it('a whole flow: backend, data, LoRA training, before/after, playground, reload, compare', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    const wasmFiles: string[] = [];
    context.on('request', (r) => r.url().endsWith('.wasm') && wasmFiles.push(r.url().split('/').pop()!));
    await page.addInitScript(() => {
      // Main-thread tasks over 50 ms while training, as the browser reports them.
      (window as unknown as { __long: number[] }).__long = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => (window as unknown as { __long: number[] }).__long.push(e.duration))).observe({ type: 'longtask', buffered: true });
    });
    await open(page);
    // This machine's only WebGPU adapter is SwiftShader, so the page must explain why it uses wasm.
    expect(await page.getByTestId('backend-status').textContent()).toMatch(/^CPU \(wasm\) — only a software WebGPU adapter was found/);
    // The page is cross-origin isolated, so the worker runs tfjs's threaded build, and says with how many threads
    // (every logical core but one). Bundled without scripts/vite-wasm-threads.ts, this build never starts.
    expect(wasmFiles.some((f) => f.startsWith('tfjs-backend-wasm-threaded-simd'))).toBe(true);
    expect(await page.getByTestId('backend-status').textContent()).toMatch(/\((\d+ threads: every one of the \d+ logical cores but one|one thread: this browser reports \d+ logical cores?, and one is left to the page)\)$/);
    expect(await page.getByTestId('dataset-summary').textContent()).toMatch(/400 examples, 4 labels/);
    await snap(page, '01-data');

    // An evaluation file of the user's own, checked against the dataset's labels before it is kept.
    mkdirSync('test-results', { recursive: true });
    const hard = ['text,label', ...Array.from({ length: 12 }, (_, i) => `"Hard case ${i}: invoice or order? ref ${i}",${['invoice', 'order', 'support', 'spam'][i % 4]}`)];
    writeFileSync('test-results/hard-cases.csv', [...hard.slice(0, 4), '"Where is my parcel?",delivery', ...hard.slice(4)].join('\n'));
    await goStep(page, 'evaluate');
    await openFold(page, 'evaluate', 'Your own evaluation files');
    const suiteInput = page.getByLabel('Add an evaluation file');
    await suiteInput.setInputFiles('test-results/hard-cases.csv');
    await expect.poll(() => page.getByTestId('suites-message').textContent(), { timeout: 30_000 }).toMatch(/was not added/);
    expect(await page.getByTestId('suites-message').textContent()).toContain('hard-cases.csv:5: label: label "delivery" is not one of this dataset\'s labels');
    writeFileSync('test-results/hard-cases.csv', hard.join('\n'));
    await suiteInput.setInputFiles('test-results/hard-cases.csv');
    await expect.poll(() => page.getByTestId('suites').textContent(), { timeout: 30_000 }).toMatch(/hard-cases — 12 examples from hard-cases\.csv/);

    // Before Train is pressed, the Train step says what the run will train, counted by the worker from the
    // model's shapes and the training split's tokens; the run's own count must be the same (checked below).
    await goStep(page, 'train');
    await expect.poll(() => page.getByTestId('run-size').textContent(), { timeout: 30_000 }).toMatch(/^What trains: /);
    const planned = (await page.getByTestId('run-size').textContent())!;
    // Exact: the tokenizer and the seeded split fix it (tabtune-mini, 400 demo emails, LoRA r 8 on query and value).
    expect(planned).toBe("What trains: 32,768 LoRA weights + 589,568 word-embedding weights (the 2,303 distinct tokens of your training split, 256 each) + 1,028 in the head = 623,364 parameters, 9.8 % of the model's 6,372,356; the adapter file holds about 2.5 MB.");
    expect(await page.getByTestId('risk').textContent()).toMatch(/Only 320 training examples.*train the word embeddings of fewer tokens, or none: [\d,]+ of the [\d,]+ trainable parameters are embedding rows/);
    await page.evaluate(() => ((window as unknown as { __long: number[] }).__long = []));
    // Started in Train, watched from Evaluate: nothing stops or restarts when the step in view changes.
    await train(page, 'evaluate');
    expect(await railButton(page, 'train').textContent()).toMatch(/Train: finished/);
    // The run was scored on the user's suite too, before and after.
    await expect.poll(() => page.getByTestId('suites').textContent(), { timeout: 30_000 }).toMatch(/hard-cases — 12 examples .* latest run \d+\.\d % before → \d+\.\d % after/);
    const longTasks = await page.evaluate(() => (window as unknown as { __long: number[] }).__long);
    console.log(`main-thread long tasks during training: ${longTasks.length} (${longTasks.map((d) => d.toFixed(0)).join(', ')} ms)`);
    // Reported, not asserted: a duration depends on what else the shared 2-core machine is doing (seen: 0 tasks
    // on a quiet machine, one of 63 ms while other test suites ran), and no test here fails on a time.
    await snap(page, "02-trained");
    const before = pct(await page.getByTestId('acc-before').textContent());
    const after = pct(await page.getByTestId('acc-after').textContent());
    expect(await railButton(page, 'evaluate').textContent()).toContain(`Evaluate: ${after.toFixed(1)} % after`);
    console.log(`e2e accuracy: before ${before} %, after ${after} %`);
    expect(after).toBeGreaterThan(before);
    // Seeded and on wasm, the run is deterministic (the same figures on every run of this tier so far): asserted
    // exactly, so a change in data, splits, model or loop shows up here as a changed figure.
    expect([before, after]).toEqual([35, 80]);
    // The scores say how they read the test texts: tabtune-mini trains on 64 tokens and scores whole texts.
    expect(await page.getByTestId('eval-reading').textContent()).toBe('Training read the first 64 tokens of each text; these scores read every text whole, a longer one in overlapping windows of 64 tokens whose predictions are averaged.');
    const lossPoints = await lossPointsOf(page);
    // The loss chart took every point while its step was hidden, and draws them at full size once it is back.
    await goStep(page, 'train');
    const [, plannedTrainable, plannedTotal] = planned.match(/= ([\d,]+) parameters, [\d.]+ % of the model's ([\d,]+);/)!;
    expect(await page.getByTestId('run-stats').textContent()).toContain(`trainable ${plannedTrainable} of ${plannedTotal} parameters`);
    const loss = (await charts(page)).find((c) => c.label.startsWith('Training and validation loss by step'))!;
    expect(loss.width).toBeGreaterThan(300);
    expect(loss.height).toBeGreaterThan(200);
    expect(loss.points[0]).toBe(lossPoints);
    await snap(page, '02b-train-step-after-run');
    await goStep(page, 'evaluate');

    // The stored run, read straight from IndexedDB: the baseline beside before/after, the demo's hand-written
    // suite scored with all three, and each epoch's validation accuracy (once dropped as NaN).
    type StoredRun = { id: string; created: number; step: number; lossCurve: { step: number; loss: number }[]; baseline?: { accuracy: number }; after: { accuracy: number }; epochMetrics: { step: number; valAccuracy: number }[]; suites: { name: string; before: { accuracy: number }; after: { accuracy: number; predictions: number[] }; baseline?: { accuracy: number } }[] };
    const stored = (await storedRecords<StoredRun>(page, 'runs')).sort((x, y) => y.created - x.created)[0];
    expect(stored.after.accuracy * 100).toBeCloseTo(after, 1);
    // tabtune-mini's default is 2 epochs (src/config.ts MODEL_DEFAULTS): one validation record each.
    expect(stored.epochMetrics).toHaveLength(2);
    // Every loss point the loop read back, and no other: steps that are a multiple of lossReadEvery (10) and each
    // epoch's last step, from 1 to the run's last step; the live chart held the same points as the stored curve.
    const epochEnds = stored.epochMetrics.map((e) => e.step);
    const expectedSteps = Array.from({ length: stored.step }, (_, i) => i + 1).filter((s) => s % 10 === 0 || epochEnds.includes(s));
    expect(stored.lossCurve.map((p) => p.step)).toEqual(expectedSteps);
    expect(lossPoints).toBe(expectedSteps.length);
    expect(stored.lossCurve.every((p) => Number.isFinite(p.loss) && p.loss > 0 && p.loss < 5)).toBe(true);
    for (const e of stored.epochMetrics) {
      expect(e.valAccuracy).toBeGreaterThanOrEqual(0);
      expect(e.valAccuracy).toBeLessThanOrEqual(1);
    }
    const shownBaseline = pct(await page.getByTestId('acc-baseline').textContent());
    expect(stored.baseline!.accuracy * 100).toBeCloseTo(shownBaseline, 1);
    expect(shownBaseline).toBe(80);
    const handwritten = stored.suites.find((x) => x.name === 'hand-written emails')!;
    expect(handwritten.after.predictions).toHaveLength(205);
    expect(handwritten.baseline!.accuracy).toBeGreaterThan(0);
    expect([handwritten.before.accuracy, handwritten.after.accuracy, handwritten.baseline!.accuracy].map((x) => Math.round(x * 1000) / 10)).toEqual([30.2, 79, 80.5]);
    const scores = await page.getByTestId('suite-scores').textContent();
    expect(scores).toContain(`hand-written emails205${(handwritten.before.accuracy * 100).toFixed(1)} %${(handwritten.after.accuracy * 100).toFixed(1)} %${(handwritten.baseline!.accuracy * 100).toFixed(1)} %`);
    console.log(`e2e baseline: test split ${shownBaseline} %; hand-written emails before ${(handwritten.before.accuracy * 100).toFixed(1)} %, after ${(handwritten.after.accuracy * 100).toFixed(1)} %, baseline ${(handwritten.baseline!.accuracy * 100).toFixed(1)} %`);

    await nextStep(page, 'play');
    await page.getByLabel('Text to classify').fill('Please find attached invoice INV-12345 for consulting services, amount due $500.00.');
    await page.getByRole('button', { name: 'Predict' }).click();
    await expect.poll(() => page.getByTestId('playground-out').textContent(), { timeout: 60_000 }).toMatch(/Tuned model/);
    // The zero-shot base model's answer is deterministic too (tabtune-mini, nearest label name): invoice at 99.9 %.
    expect(await page.getByTestId('playground-out').textContent()).toMatch(/Base model \(zero-shot\)Answer: invoice invoice 99\.9 %/);
    expect(await page.getByTestId('playground-out').textContent()).toMatch(/Tuned model \(this run\)Answer: invoice/);
    await snap(page, '03-playground');

    // The step is in the URL: a reload opens the page on it again.
    await page.reload();
    await ready(page);
    await waitStep(page, 'play');
    await nextStep(page, 'runs');
    const rows = page.getByTestId('runs-table').locator('tbody tr');
    await expect.poll(() => rows.first().textContent(), { timeout: 30_000 }).toMatch(/completed/);
    expect(await rows.first().textContent()).toMatch(/checkpoint/);
    expect(await rows.first().textContent()).toContain(`${after.toFixed(1)} %`);

    // A second run with another seed, then compare the two.
    await setSeed(page, '1');
    await train(page);
    await goStep(page, 'runs');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    expect(await railButton(page, 'runs').textContent()).toContain('Runs: 2 runs stored');
    await rows.nth(0).getByRole('checkbox').check();
    await rows.nth(1).getByRole('checkbox').check();
    await expect.poll(() => page.getByTestId('compare').textContent(), { timeout: 30_000 }).toMatch(/accuracy.*macro-F1/s);
    // The counts the compare view shows are the stored predictions': wrong in the older run and right in the newer.
    const [older, newer] = (await storedRecords<{ id: string; created: number }>(page, 'runs')).sort((x, y) => x.created - y.created);
    const predictions = await storedRecords<{ runId: string; exampleIndex: number; correct: boolean }>(page, 'predictions');
    const of = (id: string) => predictions.filter((p) => p.runId === id).sort((x, y) => x.exampleIndex - y.exampleIndex);
    const [pa, pb] = [of(older.id), of(newer.id)];
    expect(pb).toHaveLength(pa.length);
    const counts = { fixed: pb.filter((p, i) => p.correct && !pa[i].correct).length, broken: pb.filter((p, i) => !p.correct && pa[i].correct).length };
    const compareText = (await page.getByTestId('compare').textContent())!;
    expect(compareText).toContain(`Fixed by the newer run (${counts.fixed})`);
    expect(compareText).toContain(`Broken by the newer run (${counts.broken})`);
    // The examples stay open across a redraw of the runs (here: the forgetting limit changed).
    const examples = page.getByTestId('compare').locator('details');
    await examples.locator('summary').click();
    const drift = page.getByLabel('Flag forgetting when embedding drift exceeds');
    const driftBefore = await drift.inputValue();
    const heading = await page.getByTestId('compare').locator('h3').elementHandle();
    const advanced = page.getByText('Advanced: forgetting limit, promotion tolerance, import an adapter');
    await advanced.click();
    await drift.fill('0.5');
    await drift.dispatchEvent('change');
    await expect.poll(() => heading!.evaluate((el) => el.isConnected), { timeout: 30_000 }).toBe(false);
    expect(await examples.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await drift.fill(driftBefore);
    await drift.dispatchEvent('change');
    await advanced.click();
    await examples.locator('summary').click();
    await snap(page, '04-compare');
    // Every step, with two runs stored and compared, fits three screens on a laptop and four on a phone.
    await measureSteps(page, 'trained');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('runs every Train as a job: pauses and resumes it, queues a second one, continues after a reload, and a cancelled queued job never starts', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    const q = '?n=400&epochs=3&checkpointEvery=5&dataSeed=7&model=tiny-bert&lr=0.02';
    await open(page, q);
    const step = async () => Number(/step (\d+)/.exec((await page.getByTestId('run-stats').textContent()) ?? '')?.[1] ?? 0);
    await goStep(page, 'train');
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await expect.poll(step, { timeout: 120_000, interval: 200 }).toBeGreaterThanOrEqual(3);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toMatch(/Paused/);
    await page.waitForTimeout(500);
    const pausedAt = await step();
    await page.waitForTimeout(1500);
    expect(await step()).toBe(pausedAt);
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await expect.poll(step, { timeout: 120_000, interval: 200 }).toBeGreaterThan(pausedAt);

    // Train while a run trains: the second run waits in the queue.
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    const rows = page.getByTestId('runs-table').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    await expect.poll(() => page.getByTestId('job-queue').locator('caption').textContent(), { timeout: 30_000 }).toMatch(/2 jobs, 1 waiting/);
    await expect.poll(step, { timeout: 120_000, interval: 200 }).toBeGreaterThanOrEqual(16);

    // A reload mid-run: the job carries on by itself from its last checkpoint (every 5 steps), its curve kept.
    await page.reload();
    await ready(page);
    await waitStep(page, 'train');
    await expect.poll(step, { timeout: 120_000, interval: 200 }).toBeGreaterThanOrEqual(16);
    const jobs = await storedRecords<{ id: string; status: string; tabtune: { created_at_ms: number } }>(page, 'jobs');
    const [first, second] = jobs.sort((a, b) => a.tabtune.created_at_ms - b.tabtune.created_at_ms);
    expect(second.status).toBe('queued');
    // Both runs read the same uploads: the dataset version once, its hand-written suite once.
    const files = await storedRecords<{ filename: string; purpose: string; tabtune: { examples: number } }>(page, 'jobFiles');
    expect(files.map((f) => [f.purpose, f.tabtune.examples]).sort()).toEqual([['evals', 205], ['fine-tune', 400]]);

    // Cancel the queued one in the Runs step's queue: it never starts.
    await goStep(page, 'runs');
    const queueRows = page.getByTestId('job-queue').locator('tbody tr');
    await expect.poll(() => queueRows.count(), { timeout: 30_000 }).toBe(2);
    await queueRows.nth(0).getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => queueRows.nth(0).textContent(), { timeout: 30_000 }).toMatch(/cancelled/);
    await expect.poll(() => rows.nth(0).textContent(), { timeout: 30_000 }).toMatch(/cancelled/);

    await goStep(page, 'train');
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 600_000, interval: 1000 }).toMatch(/finished/i);
    await goStep(page, 'runs');
    await expect.poll(() => rows.nth(1).textContent(), { timeout: 30_000 }).toMatch(/completed/);
    // Each job's log, as the jobs API recorded it: the first was paused, resumed and taken up again after the
    // reload; the cancelled one went from queued to cancelled without starting.
    await queueRows.nth(1).locator('summary').click();
    const firstLog = page.getByTestId(`events-${first.id}`);
    await expect.poll(() => firstLog.textContent(), { timeout: 30_000 }).toMatch(/The job has successfully completed/);
    const firstLines = await firstLog.locator('li').allTextContents();
    expect(firstLines.some((l) => /Job paused: stopped at step \d+; resume carries on from there$/.test(l))).toBe(true);
    // The reload came at step 16 or later, so the job resumed from a checkpoint at step 15 or later (every 5 steps,
    // before the last of 60). How far past 16 it got before the page went away depends on the machine's speed.
    const resumedFrom = resumedFromStep(firstLines);
    expect(resumedFrom).toBeGreaterThanOrEqual(15);
    expect(resumedFrom).toBeLessThan(60);
    expect(firstLines.at(-1)).toMatch(/The job has successfully completed$/);
    await queueRows.nth(0).locator('summary').click();
    // The log is read from the store when it is opened.
    const secondLog = page.getByTestId(`events-${second.id}`).locator('li');
    await expect.poll(() => secondLog.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    const secondLines = await secondLog.allTextContents();
    expect(secondLines.map((l) => l.replace(/^\S+ (AM |PM )?/, ''))).toEqual(['Validating training file', 'Job queued', 'Job cancelled']);

    // The finished run's chart holds its whole curve: the points before the reload and after it.
    await goStep(page, 'train');
    const loss = (await charts(page)).find((c) => c.label.startsWith('Training and validation loss by step'))!;
    expect(loss.width).toBeGreaterThan(300);
    expect(loss.points[0]).toBe(await lossPointsOf(page));
    const stored = (await storedRecords<{ id: string; lossCurve: { step: number }[]; step: number }>(page, 'runs')).find((r) => r.id === first.id)!;
    expect(stored.lossCurve.map((p) => p.step)).toEqual([10, 20, 30, 40, 50, 60]);
    // Saved every 5 steps, kept two: the latest and the one with the lowest validation loss. The job's epoch
    // checkpoints keep weights only; its optimizer state is in the resume point alone.
    const kept = (await storedRecords<{ runId: string; step: number }>(page, 'checkpoints')).filter((c) => c.runId === first.id);
    console.log(`page checkpoints kept for the resumed run: steps ${kept.map((c) => c.step).join(', ')}`);
    expect(kept.length).toBeLessThanOrEqual(2);
    expect(Math.max(...kept.map((c) => c.step))).toBe(60);
    const epochs = (await storedRecords<{ jobId: string; step: number; checkpoint: { adapter: { bytes: number }; optimizer: { bytes: number } } }>(page, 'jobCheckpoints')).filter((c) => c.jobId === first.id);
    expect(epochs.map((c) => c.step)).toEqual([20, 40, 60]);
    // (tiny-bert LoRA: the adapter is kilobytes; an optimizer state with no tensors, a header of about 100 bytes)
    expect(epochs.every((c) => c.checkpoint.adapter.bytes > 1000 && c.checkpoint.optimizer.bytes < 200)).toBe(true);
    await snap(page, '06-resumed');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('two tabs on one database: one runs the queue, the other queues into it and takes it over when the first closes', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const [a, b] = [await context.newPage(), await context.newPage()];
    const errors = [...watchErrors(a), ...watchErrors(b)];
    // 400 examples: 60 steps, so the first job is still running when its tab closes, on a fast machine too.
    const q = '?n=400&epochs=3&checkpointEvery=5&dataSeed=3&model=tiny-bert&lr=0.02';
    await open(a, q);
    await open(b, q);
    const step = async (p: Page) => Number(/step (\d+)/.exec((await p.getByTestId('run-stats').textContent()) ?? '')?.[1] ?? 0);
    await goStep(a, 'train');
    await a.getByRole('button', { name: 'Train', exact: true }).click();
    await expect.poll(() => step(a), { timeout: 120_000, interval: 200 }).toBeGreaterThanOrEqual(6);
    // The second tab's Train adds to the same queue; the first tab's worker will run it.
    await goStep(b, 'train');
    await b.getByRole('button', { name: 'Train', exact: true }).click();
    await goStep(b, 'runs');
    const queue = b.getByTestId('job-queue');
    await expect.poll(() => queue.locator('caption').textContent(), { timeout: 30_000 }).toMatch(/2 jobs, 1 waiting/);
    // The first tab closes mid-run: the second takes the queue over, finishes the first job from its last
    // checkpoint, then runs its own.
    await a.close();
    const rows = b.getByTestId('runs-table').locator('tbody tr');
    await expect.poll(async () => (await rows.allTextContents()).filter((t) => /completed/.test(t)).length, { timeout: 600_000, interval: 1000 }).toBe(2);
    const jobs = await storedRecords<{ id: string; status: string; tabtune: { created_at_ms: number } }>(b, 'jobs');
    expect(jobs.map((j) => j.status)).toEqual(['succeeded', 'succeeded']);
    const first = jobs.sort((x, y) => x.tabtune.created_at_ms - y.tabtune.created_at_ms)[0];
    const firstRow = queue.locator('tbody tr').nth(1);
    await firstRow.locator('summary').click();
    const log = b.getByTestId(`events-${first.id}`);
    await expect.poll(() => log.textContent(), { timeout: 30_000 }).toMatch(/The job has successfully completed/);
    const lines = await log.locator('li').allTextContents();
    // The tab closed at step 6 or later: the job resumed from a checkpoint (every 5 steps) before its last of 60.
    const resumedFrom = resumedFromStep(lines);
    expect(resumedFrom).toBeGreaterThanOrEqual(5);
    expect(resumedFrom).toBeLessThan(60);
    expect(lines.at(-1)).toMatch(/The job has successfully completed$/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows imported text literally (no HTML from user data) and fits a phone screen', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs += 1;
      void d.dismiss();
    });
    await open(page);
    mkdirSync('test-results', { recursive: true });
    const evil = '<img src=x onerror=alert(1)>';
    const lines = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({ messages: [{ role: 'user', content: i === 0 ? evil : `mail ${i} <b>bold</b>` }, { role: 'assistant', content: i % 2 ? 'spam' : `<script>alert(2)</script>` }] }),
    );
    writeFileSync('test-results/evil.jsonl', lines.join('\n'));
    await page.locator('#file-input').setInputFiles('test-results/evil.jsonl');
    await expect.poll(() => page.getByTestId('dataset-summary').textContent(), { timeout: 30_000 }).toMatch(/evil\.jsonl: 12 examples/);
    const preview = page.getByTestId('preview');
    expect(await preview.textContent()).toContain(evil);
    expect(await preview.textContent()).toContain('<script>alert(2)</script>');
    expect(await preview.locator('img, script, b').count()).toBe(0);
    await page.waitForTimeout(500);
    expect(dialogs).toBe(0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await snap(page, '05-phone-import');
    expect(overflow).toBeLessThanOrEqual(0);
    await context.close();
  });

  it('trains on hostile label names and shows them as text in every view that lists labels', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs += 1;
      void d.dismiss();
    });
    await open(page, '?epochs=1&model=tiny-bert&lr=0.02');
    // Live handlers, not inert ones: inserted as HTML, the <img> would fire onerror at once.
    const img = '<img src=x onerror=window.__pwned=1>';
    const svg = '<svg onload=window.__pwned=2>';
    const labels = [img, svg, 'plain'];
    const words = [['bill', 'pay', 'due'], ['ship', 'parcel', 'track'], ['hello', 'thanks', 'later']];
    const rows = ['text,label', ...Array.from({ length: 90 }, (_, i) => `"${words[i % 3][i % 2]} ${words[i % 3][2]} ${i}","${labels[i % 3]}"`)];
    writeFileSync('test-results/hostile-labels.csv', rows.join('\n'));
    await page.locator('#file-input').setInputFiles('test-results/hostile-labels.csv');
    await expect.poll(() => page.getByTestId('dataset-summary').textContent(), { timeout: 30_000 }).toMatch(/hostile-labels\.csv: 90 examples, 3 labels/);
    await train(page);
    await setSeed(page, '1');
    await train(page);
    await goStep(page, 'play');
    await page.getByLabel('Text to classify').fill('pay the bill');
    await page.getByRole('button', { name: 'Predict' }).click();
    await expect.poll(() => page.getByTestId('playground-out').textContent(), { timeout: 60_000 }).toMatch(/Tuned model/);
    await goStep(page, 'runs');
    const runRows = page.getByTestId('runs-table').locator('tbody tr');
    await expect.poll(() => runRows.count(), { timeout: 30_000 }).toBe(2);
    await runRows.nth(0).getByRole('checkbox').check();
    await runRows.nth(1).getByRole('checkbox').check();
    await expect.poll(() => page.getByTestId('compare').textContent(), { timeout: 30_000 }).toMatch(/accuracy/);
    // Every view that names labels shows them literally, and none of them became markup.
    for (const id of ['preview', 'evaluation', 'playground-out']) {
      const text = (await page.getByTestId(id).textContent()) ?? '';
      expect(text, id).toContain(img);
      expect(text, id).toContain(svg);
    }
    const evaluation = page.getByTestId('evaluation');
    expect(await evaluation.locator('table.confusion thead').first().textContent()).toContain(img);
    expect(await page.locator('img, svg').count()).toBe(0);
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(dialogs).toBe(0);
    await snap(page, '05b-hostile-labels');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('opens on the pretrained tabtune-mini, and trains it side by side with its random-weight twin', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await open(page, '?n=800');
    // The built-in default, offline: the bundled pretrained model.
    expect(await page.locator('#model-select').inputValue()).toBe('tabtune-mini');
    expect(await page.getByTestId('model-info').textContent()).toMatch(/pretrained.*Bundled with tabtune: works offline/s);
    // What pretraining taught it, asked directly.
    // A case of the PyTorch goldens (scripts/pretrain/mlm_goldens.json): the page gives PyTorch's five answers, in order.
    await goStep(page, 'model');
    // With its model card's figures (test/unit/tabtune-mini.test.ts holds the catalogue to the card).
    expect(await page.getByTestId('mask-about').textContent()).toContain('its guesses are right 21.2 % of the time on held-out text, against 5.1 % for always guessing the most frequent token');
    const golden = (JSON.parse(readFileSync('scripts/pretrain/mlm_goldens.json', 'utf8')) as { cases: { text: string; top5_tokens: string[] }[] }).cases.find((c) => c.text.startsWith('bottled [MASK]'))!;
    await page.getByLabel('Sentence with [MASK]').fill(golden.text);
    await page.getByRole('button', { name: 'Fill in [MASK]' }).click();
    await expect.poll(() => page.getByTestId('mask-fill').textContent(), { timeout: 60_000 }).toMatch(/^\[MASK\] → (\S+ [\d.]+ %, ){4}\S+ [\d.]+ %$/);
    const fills = (await page.getByTestId('mask-fill').textContent())!;
    console.log(`tabtune-mini fills "${golden.text}" with: ${fills}`);
    expect([...fills.matchAll(/(\S+) [\d.]+ %/g)].map((m) => m[1])).toEqual(golden.top5_tokens);
    await goStep(page, 'pretraining');
    await page.getByRole('button', { name: 'Train both side by side' }).click();
    await expect.poll(() => page.getByTestId('compare-summary').textContent(), { timeout: 900_000, interval: 2000 }).toMatch(/^Result:/);
    const numbers = async (id: string) => {
      const m = /Before ([\d.]+) % → after ([\d.]+) %/.exec((await page.getByTestId(`compare-result-${id}`).textContent()) ?? '');
      expect(m).not.toBeNull();
      return { before: Number(m![1]), after: Number(m![2]) };
    };
    const pre = await numbers('tabtune-mini');
    const rnd = await numbers('tabtune-mini-random');
    console.log(`pretraining comparison (800 emails, 2 epochs): tabtune-mini ${pre.before} → ${pre.after} %, random twin ${rnd.before} → ${rnd.after} %`);
    expectPretrainingWins(pre, rnd);
    expect([pre.before, pre.after, rnd.before, rnd.after]).toEqual([33.8, 90, 25, 82.5]);
    // The hand-written emails too, where the verdict may differ: shown per model and in the summary.
    const suiteLine = async (id: string) => {
      const m = /hand-written emails: ([\d.]+) % → ([\d.]+) % \(bag of words ([\d.]+) %\)/.exec((await page.getByTestId(`compare-suites-${id}`).textContent()) ?? '');
      expect(m).not.toBeNull();
      return m!.slice(1).map(Number);
    };
    const [preSuite, rndSuite] = [await suiteLine('tabtune-mini'), await suiteLine('tabtune-mini-random')];
    const summaryText = (await page.getByTestId('compare-summary').textContent())!;
    console.log(`pretraining comparison, hand-written emails: tabtune-mini ${preSuite.join(' / ')}, random twin ${rndSuite.join(' / ')}; ${summaryText}`);
    expect(summaryText).toContain(`on hand-written emails, ${preSuite[1].toFixed(1)} % against ${rndSuite[1].toFixed(1)} %`);
    expect(preSuite[2]).toBe(rndSuite[2]);
    // Measured here (deterministic, as above). With the generator before its sender-voice and setting balance
    // (scripts/pretrain/trials/2026-11-28-voice-and-setting-balanced-generator.md) the twin did as well as the
    // pretrained model or better on these emails (81.0 % against 82.9 %); after it the pretrained model led (85.9 %
    // against 83.4 %) while both read each email's first 64 tokens only; read whole (readWhole, 2026-11-29:
    // scripts/pretrain/trials/2026-11-29-reading-long-emails-whole.md) the twin is half a point ahead again.
    expect([...preSuite, ...rndSuite]).toEqual([30.2, 84.9, 86.3, 25.4, 85.4, 86.3]);
    await expect.poll(() => railButton(page, 'pretraining').textContent(), { timeout: 10_000 }).toContain(`${pre.after.toFixed(1)} % vs ${rnd.after.toFixed(1)} %`);
    // Both are ordinary runs, listed with the others.
    const rows = page.getByTestId('runs-table').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    expect(await page.getByTestId('runs-table').textContent()).toMatch(/tabtune-mini-random/);
    await snap(page, '07-pretraining');
    await measureSteps(page, 'pretrained');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('keeps the step in the URL: a shared link, reload, the back button, the keyboard and the size limits', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await open(page, '?n=400&step=model');
    await waitStep(page, 'model');
    expect(await railButton(page, 'data').textContent()).toContain('Data: 400 examples, 4 labels');
    expect(await railButton(page, 'train').textContent()).toContain('Train: not started');
    // Opened, before any run: every step fits three screens on a laptop and four on a phone.
    await measureSteps(page, 'opened');
    // Next moves on, into the URL (with the settings), focus on the new step's heading.
    await nextStep(page, 'train');
    expect(new URL(page.url()).search).toBe('?n=400&step=train');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('train-h');
    // The rail's arrow keys move between steps, focus staying on the rail.
    await railButton(page, 'train').focus();
    await page.keyboard.press('ArrowRight');
    await waitStep(page, 'evaluate');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-step'))).toBe('evaluate');
    await page.keyboard.press('End');
    await waitStep(page, 'pretraining');
    // The browser's Back returns to the previous step, Forward comes back.
    await page.goBack();
    await waitStep(page, 'evaluate');
    expect(new URL(page.url()).search).toBe('?n=400&step=evaluate');
    await page.goBack();
    await waitStep(page, 'train');
    await page.goForward();
    await waitStep(page, 'evaluate');
    // A reload opens on the same step.
    await page.reload();
    await ready(page);
    await waitStep(page, 'evaluate');
    // A settings change keeps the step in the address bar.
    await goStep(page, 'train');
    await page.getByLabel('Epochs', { exact: true }).fill('4');
    await page.getByLabel('Epochs', { exact: true }).dispatchEvent('change');
    expect(new URL(page.url()).search).toBe('?n=400&epochs=4&step=train');
    // Picking another model applies its row of the defaults, and the Train step shows all of it, the embeddings
    // checkbox included (tabtune-mini trains them, a random-weight model does not).
    expect(await page.locator('#train-tokens').isChecked()).toBe(true);
    await goStep(page, 'model');
    await page.locator('#model-select').selectOption('tiny-bert');
    await goStep(page, 'train');
    expect(await page.locator('#train-tokens').isChecked()).toBe(false);
    expect(await page.getByLabel('Epochs', { exact: true }).inputValue()).toBe('5');
    // A #step anchor works too, and becomes ?step=.
    await open(page, '?n=400#runs');
    await waitStep(page, 'runs');
    expect(new URL(page.url()).search).toBe('?n=400&step=runs');
    expect(errors).toEqual([]);
    await context.close();
  });
});
