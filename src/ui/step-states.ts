// What the step rail says under each step's name ("Train: running 42 %", "Evaluate: 52.5 % after"): pure
// functions of the state the panels already share, redrawn on the bus events that change it (src/ui/app.ts).
import { fmtNum, fmtPct } from './dom';
import type { ActiveDataset } from './active-dataset';
import type { CompareProgress } from './bus';
import type { LiveRun } from './run-controller';

type RunView = Pick<LiveRun, 'phase' | 'progress' | 'totalSteps' | 'result'> | null | undefined;

export function dataState(ds: Pick<ActiveDataset, 'splits'> | null): string {
  if (!ds) return 'no data yet';
  const { train, validation, test, labels } = ds.splits;
  return `${fmtNum(train.length + validation.length + test.length)} examples, ${labels.length} labels`;
}

/** The model's id without its hub owner: the rail is narrow. */
export function modelState(modelId: string): string {
  return modelId.split('/').pop() || modelId;
}

function percent(live: NonNullable<RunView>): number {
  return live.totalSteps ? Math.floor((100 * (live.progress?.step ?? 0)) / live.totalSteps) : 0;
}

export function trainState(live: RunView): string {
  if (!live) return 'not started';
  switch (live.phase) {
    case 'idle':
      return 'not started';
    case 'queued':
      return 'queued';
    case 'loading':
      return 'loading the model';
    case 'baseline':
      return 'measuring the base model';
    case 'training':
      return `running ${percent(live)} %`;
    case 'paused':
      return `paused at ${percent(live)} %`;
    case 'evaluating':
      return 'evaluating';
    case 'finished':
      return 'finished';
    case 'cancelled':
      return `cancelled at ${percent(live)} %`;
    case 'failed':
      return 'failed';
  }
}

export function evaluateState(live: RunView): string {
  return live?.result ? `${fmtPct(live.result.after.accuracy)} after` : 'after a run';
}

export function playState(live: RunView): string {
  return live?.result ? 'base vs tuned' : 'base model';
}

export function runsState(count: number): string {
  return count ? `${fmtNum(count)} run${count === 1 ? '' : 's'} stored` : 'none yet';
}

export function pretrainingState(p: CompareProgress | null): string {
  if (!p) return 'side by side';
  if (p.result) return `${fmtPct(p.result.pretrained)} vs ${fmtPct(p.result.random)}`;
  if (p.busy) return `running ${Math.floor(100 * p.done)} %`;
  return p.failed ? 'stopped' : 'side by side';
}
