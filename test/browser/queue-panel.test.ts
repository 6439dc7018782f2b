// The queue panel (src/ui/panels/queue.ts) redraws its whole table while jobs log events, reading the jobs back from
// the store first. A user who opens or closes a job's event log while such a read waits must find it as they left
// it once the table is replaced. (The e2e two-tabs test once failed here under load: the log it opened stayed shut.)
import { afterEach, describe, expect, it, vi } from 'vitest';
import { queueView } from '../../src/ui/panels/queue';
import { Bus } from '../../src/ui/bus';
import type { AppContext } from '../../src/ui/context';
import type { FineTuningJob, JobEvent } from '../../src/jobs/types';

const job = (id: string, createdMs: number): FineTuningJob =>
  ({
    id,
    object: 'fine_tuning.job',
    created_at: Math.floor(createdMs / 1000),
    finished_at: null,
    model: 'tiny-bert',
    fine_tuned_model: null,
    organization_id: 'local',
    status: 'succeeded',
    training_file: 'file-1',
    validation_file: null,
    method: { type: 'lora' },
    hyperparameters: { n_epochs: 1 },
    result_files: [],
    trained_tokens: null,
    error: null,
    seed: 0,
    suffix: null,
    tabtune: { created_at_ms: createdMs, step: 3, total_steps: 3 },
  }) as unknown as FineTuningJob;

const event = (seq: number, message: string): JobEvent => ({ id: `e${seq}`, object: 'fine_tuning.job.event', seq, created_at: 1_800_000_000, level: 'info', type: 'message', message, data: null });

/** A jobs API whose next list() can be held open, so that a draw waits exactly where the user acts. */
function fakeJobs(jobs: FineTuningJob[]) {
  let hold: Promise<void> | null = null;
  let lists = 0;
  return {
    api: {
      list: async () => {
        lists += 1;
        if (hold) await hold;
        return jobs;
      },
      events: async (id: string) => [event(0, `Job ${id} queued`), event(1, 'The job has successfully completed')],
      pause: async () => undefined,
      resume: async () => undefined,
      cancel: async () => undefined,
    },
    lists: () => lists,
    /** The next list() waits until the returned function is called. */
    holdNext(): () => void {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
  };
}

/** Polls until `cond` holds: the panel redraws 700 ms after an event. */
const until = (cond: () => boolean) => vi.waitFor(() => expect(cond()).toBe(true), { timeout: 5000, interval: 20 });

describe('the queue panel', () => {
  let view: HTMLElement | null = null;
  afterEach(() => view?.remove());

  it('keeps an event log opened, or closed, while a redraw was reading the store', async () => {
    const fake = fakeJobs([job('ftjob-new', 2000), job('ftjob-old', 1000)]);
    const bus = new Bus();
    view = queueView({ bus, jobs: fake.api } as unknown as AppContext);
    document.body.append(view);
    const fold = (id: string) => view!.querySelector<HTMLDetailsElement>(`tr:has(code[title="${id}"]) details`)!;
    await until(() => fold('ftjob-old') !== null);
    expect(fold('ftjob-old').open).toBe(false);

    // A redraw starts and waits on its read; the user opens the older job's log meanwhile.
    let release = fake.holdNext();
    const before = fake.lists();
    bus.emit('jobs');
    await until(() => fake.lists() > before);
    const shownBefore = fold('ftjob-old');
    shownBefore.querySelector('summary')!.click();
    expect(shownBefore.open).toBe(true);
    release();
    await until(() => fold('ftjob-old') !== shownBefore);
    expect(fold('ftjob-old').open).toBe(true);
    await until(() => fold('ftjob-old').querySelector('[data-testid="events-ftjob-old"]') !== null);
    expect([...fold('ftjob-old').querySelectorAll('li')].map((li) => li.textContent?.replace(/^\S+ (AM |PM )?/, ''))).toEqual(['Job ftjob-old queued', 'The job has successfully completed']);
    expect(fold('ftjob-new').open).toBe(false);

    // The next plain redraw keeps it open, with one log in it (the draw reads it; the new fold's toggle finds it there).
    const openShown = fold('ftjob-old');
    bus.emit('runs');
    await until(() => fold('ftjob-old') !== openShown);
    await new Promise((r) => setTimeout(r, 100));
    expect(fold('ftjob-old').open).toBe(true);
    expect(fold('ftjob-old').querySelectorAll('ol')).toHaveLength(1);

    // And closing it while a read waits keeps it closed.
    release = fake.holdNext();
    const lists = fake.lists();
    bus.emit('jobs');
    await until(() => fake.lists() > lists);
    const shownOpen = fold('ftjob-old');
    shownOpen.querySelector('summary')!.click();
    release();
    await until(() => fold('ftjob-old') !== shownOpen);
    expect(fold('ftjob-old').open).toBe(false);
  });
});
