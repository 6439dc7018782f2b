// The guided page's pure parts: which step a URL opens on, the URL a step and the settings make, and what the
// step rail says about each step.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_SETTINGS, pageQuery, settingsFromUrl, stepFromUrl } from '../../src/ui/url-settings';
import { dataState, evaluateState, pretrainingState, runsState, trainState } from '../../src/ui/step-states';
import type { LiveRun } from '../../src/ui/run-controller';

describe('the step in the URL', () => {
  it('opens on ?step=, else on a #step anchor, else on the first step', () => {
    expect(stepFromUrl('?n=400&step=train')).toBe('train');
    expect(stepFromUrl('?n=400', '#runs')).toBe('runs');
    expect(stepFromUrl('?step=evaluate', '#runs')).toBe('evaluate');
    expect(stepFromUrl('?step=nonsense', '#also-not')).toBe('data');
    expect(stepFromUrl('')).toBe('data');
  });

  it('writes the step after the settings, and leaves the first step out', () => {
    const s = settingsFromUrl('?n=400&epochs=4');
    expect(pageQuery(s, 'train')).toBe('?n=400&epochs=4&step=train');
    expect(pageQuery(s, 'data')).toBe('?n=400&epochs=4');
    expect(pageQuery(DEFAULT_PAGE_SETTINGS, 'play')).toBe('?step=play');
    expect(pageQuery(DEFAULT_PAGE_SETTINGS, 'data')).toBe('');
    // The step is not a setting: reading the URL back gives the same settings.
    expect(settingsFromUrl(pageQuery(s, 'runs'))).toEqual(s);
  });
});

describe('the step rail', () => {
  const run = (phase: LiveRun['phase'], step = 0, totalSteps = 0, after?: number) =>
    ({ phase, totalSteps, progress: step ? { step } : null, result: after === undefined ? undefined : { after: { accuracy: after } } }) as unknown as LiveRun;

  it('says how far a run is', () => {
    expect(trainState(null)).toBe('not started');
    expect(trainState(run('training', 42, 100))).toBe('running 42 %');
    expect(trainState(run('queued', 0, 0))).toBe('queued');
    expect(trainState(run('paused', 10, 40))).toBe('paused at 25 %');
    expect(trainState(run('finished', 40, 40, 0.525))).toBe('finished');
    expect(evaluateState(run('training', 1, 40))).toBe('after a run');
    expect(evaluateState(run('finished', 40, 40, 0.525))).toBe('52.5 % after');
  });

  it('counts data and runs, and gives the pretraining result', () => {
    const splits = { labels: ['a', 'b'], train: new Array(1600), validation: new Array(200), test: new Array(200) };
    expect(dataState({ splits } as never)).toBe('2,000 examples, 2 labels');
    expect(dataState(null)).toBe('no data yet');
    expect(runsState(0)).toBe('none yet');
    expect(runsState(1)).toBe('1 run stored');
    expect(pretrainingState({ busy: true, done: 0.5 })).toBe('running 50 %');
    expect(pretrainingState({ busy: false, done: 1, result: { pretrained: 0.538, random: 0.425 } })).toBe('53.8 % vs 42.5 %');
  });
});

describe('a page run mirrors its job (src/ui/job-run-status.ts)', async () => {
  const { jobRunView } = await import('../../src/ui/job-run-status');
  const job = (step?: number, error: { code: string; message: string } | null = null) => ({ error, tabtune: { created_at_ms: 0, config: {} as never, step } });
  it('maps every job status to the record, the live view and whether the job has ended', () => {
    expect(jobRunView('validating_files', job(), 5)).toEqual({ patch: { status: 'queued' }, live: { phase: 'queued', message: 'Queued: it starts as soon as the worker is free.' }, ended: false });
    expect(jobRunView('queued', job(15), 5).live).toEqual({ phase: 'queued', message: 'Queued: it continues from step 15 as soon as the worker is free.' });
    expect(jobRunView('running', job(), 5)).toEqual({ patch: { status: 'running' }, live: null, ended: false });
    expect(jobRunView('paused', job(), 5)).toMatchObject({ patch: { status: 'paused' }, live: { phase: 'paused' }, ended: false });
    expect(jobRunView('cancelled', job(), 5)).toMatchObject({ patch: { status: 'cancelled', finished: 5 }, live: { phase: 'cancelled' }, ended: true });
    expect(jobRunView('failed', job(3, { code: 'engine_error', message: 'The GPU device was lost twice.' }), 7)).toEqual({
      patch: { status: 'failed', error: 'The GPU device was lost twice.', finished: 7 },
      live: { phase: 'failed', message: 'The GPU device was lost twice.' },
      ended: true,
    });
    // The worker's 'done' has stored the finished run: nothing to write, nothing to show beyond it.
    expect(jobRunView('succeeded', job(), 5)).toEqual({ patch: null, live: null, ended: true });
  });
});
