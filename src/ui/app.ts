// Builds the page: a guided flow of steps (src/ui/flow.ts), one in view at a time, wired through a small context.
// Plain TypeScript and DOM helpers (src/ui/dom.ts) rather than a framework: the page is a handful of panels that
// redraw on a few events, and the heavy lifting happens in the worker — a framework would add weight without
// removing any real complexity.
import { h } from './dom';
import { Bus } from './bus';
import { WorkerClient } from './worker-client';
import { isStepId, pageQuery, settingsFromUrl, stepFromUrl, type StepId } from './url-settings';
import { RunController } from './run-controller';
import type { AppContext } from './context';
import { StepFlow, type FlowStep } from './flow';
import { dataState, evaluateState, modelState, playState, pretrainingState, runsState, trainState } from './step-states';
import { chartsOnPage } from './charts';
import { headerView } from './panels/header';
import { dataPanel } from './panels/data';
import { modelPanel } from './panels/model';
import { trainPanel } from './panels/train';
import { evaluatePanel } from './panels/evaluate';
import { playgroundPanel } from './panels/playground';
import { runsPanel } from './panels/runs';
import { pretrainingPanel } from './panels/pretraining';
import { storagePanel } from './panels/storage';
import { openTabtuneDb } from '../store/db';
import { listRuns, markInterruptedRuns } from '../store/runs';
import { loadSplits } from './dataset-loader';
import { PageJobs } from './page-jobs';

declare global {
  interface Window {
    /** A hook for tests and the curious (see startApp). */
    __tabtune?: { lossPoints(): number; charts: typeof chartsOnPage };
  }
}

export async function startApp(root: HTMLElement): Promise<void> {
  const settings = settingsFromUrl(location.search);
  const db = await openTabtuneDb();
  // Runs that were training when the tab closed are not running any more: say so, and offer Resume.
  await markInterruptedRuns(db);
  const bus = new Bus();
  let step: StepId = stepFromUrl(location.search, location.hash);
  /** The address bar always holds the settings and the step in view: a link to exactly this page. */
  const url = () => location.pathname + pageQuery(settings, step);
  const base: Omit<AppContext, 'runs' | 'jobs'> = {
    settings,
    bus,
    client: new WorkerClient(),
    db,
    dataset: null,
    backend: null,
    loadSplits: (hash: string) => loadSplits(db, hash),
    saveSettings() {
      history.replaceState({ step }, '', url());
      bus.emit('settings');
    },
  };
  // The queue waits for the worker the page starts below, and shares it.
  let workerStarted!: (ready: unknown) => void;
  const jobs = await PageJobs.open({ db, client: base.client, bus, ready: new Promise((r) => (workerStarted = r)), backend: settings.backend });
  // One object: the run controller reads the same context the panels write (the dataset, the backend).
  const ctx: AppContext = Object.assign(base, { runs: new RunController(base), jobs });
  await ctx.runs.useQueue(jobs);
  // The page owns ctx.backend: whichever worker (re)starts announces its backend, and it is set here only.
  bus.on('backend-ready', (choice) => {
    ctx.backend = choice;
    bus.emit('backend');
  });

  const runs = runsPanel(ctx);
  runs.append(storagePanel(ctx));
  const steps: FlowStep[] = [
    { id: 'data', title: 'Data', num: 1, section: dataPanel(ctx) },
    { id: 'model', title: 'Model', num: 2, section: modelPanel(ctx) },
    { id: 'train', title: 'Train', num: 3, section: trainPanel(ctx) },
    { id: 'evaluate', title: 'Evaluate', num: 4, section: evaluatePanel(ctx) },
    { id: 'play', title: 'Try it', num: 5, section: playgroundPanel(ctx) },
    { id: 'runs', title: 'Runs', num: 6, section: runs },
    { id: 'pretraining', title: 'Why pretraining matters', section: pretrainingPanel(ctx) },
  ];
  // A step change is a new history entry (Back returns to the previous step); back/forward only show the step.
  const flow = new StepFlow(steps, step, (next, cause) => {
    step = next;
    if (cause === 'click' || cause === 'key') history.pushState({ step }, '', url());
    bus.emit('step', step);
  });
  history.replaceState({ step }, '', url()); // `#train` becomes `?step=train`
  addEventListener('popstate', () => {
    const anchor = location.hash.replace(/^#/, '');
    flow.go(isStepId(anchor) ? anchor : stepFromUrl(location.search), 'history');
    // The entry may hold older settings (they are replaced, not pushed): the address bar shows the current ones.
    history.replaceState({ step }, '', url());
  });

  // The rail says where each step stands, from the events the panels redraw on.
  const runState = () => {
    flow.setState('train', trainState(ctx.runs.live));
    flow.setState('evaluate', evaluateState(ctx.runs.live));
    flow.setState('play', playState(ctx.runs.live));
  };
  const storedRuns = async () => flow.setState('runs', runsState((await listRuns(db)).length));
  bus.on('dataset', () => flow.setState('data', dataState(ctx.dataset)));
  bus.on('settings', () => flow.setState('model', modelState(settings.modelId)));
  bus.on('model', () => flow.setState('model', modelState(settings.modelId)));
  bus.on('run-live', runState);
  bus.on('runs', () => void storedRuns());
  bus.on('compare-live', (p) => flow.setState('pretraining', pretrainingState(p)));
  flow.setState('data', dataState(null));
  flow.setState('model', modelState(settings.modelId));
  flow.setState('pretraining', pretrainingState(null));
  runState();
  void storedRuns();

  root.replaceChildren(headerView(ctx), h('div', { class: 'layout' }, flow.rail, h('main', null, ...steps.map((s) => s.section))));

  // A hook for tests and the curious: how many loss points the live run holds, and what each chart shows.
  window.__tabtune = { lossPoints: () => ctx.runs.live?.train.length ?? 0, charts: chartsOnPage };

  const ready = await ctx.client.init(settings.backend);
  bus.emit('backend-ready', ready.choice);
  workerStarted(ready);
}
