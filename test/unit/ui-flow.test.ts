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
