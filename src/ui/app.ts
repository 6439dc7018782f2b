// Builds the page: six steps on one page, wired through a small context. Plain TypeScript and DOM helpers
// (src/ui/dom.ts) rather than a framework: the page is a handful of panels that redraw on a few events, and the
// heavy lifting happens in the worker — a framework would add weight without removing any real complexity.
import { h } from './dom';
import { Bus } from './bus';
import { WorkerClient } from './worker-client';
import { settingsFromUrl, settingsToQuery } from './url-settings';
import { RunController } from './run-controller';
import type { AppContext } from './context';
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
import { markInterruptedRuns } from '../store/runs';
import { loadSplits } from './dataset-loader';

declare global {
  interface Window {
    /** A hook for tests and the curious (see startApp). */
    __tabtune?: { lossPoints(): number };
  }
}

export async function startApp(root: HTMLElement): Promise<void> {
  const settings = settingsFromUrl(location.search);
  const db = await openTabtuneDb();
  // Runs that were training when the tab closed are not running any more: say so, and offer Resume.
  await markInterruptedRuns(db);
  const bus = new Bus();
  const base: Omit<AppContext, 'runs'> = {
    settings,
    bus,
    client: new WorkerClient(),
    db,
    dataset: null,
    backend: null,
    loadSplits: (hash: string) => loadSplits(db, hash),
    saveSettings() {
      history.replaceState(null, '', location.pathname + settingsToQuery(settings));
      bus.emit('settings');
    },
  };
  // One object: the run controller reads the same context the panels write (the dataset, the backend).
  const ctx: AppContext = Object.assign(base, { runs: new RunController(base) });
  // The page owns ctx.backend: whichever worker (re)starts announces its backend, and it is set here only.
  bus.on('backend-ready', (choice) => {
    ctx.backend = choice;
    bus.emit('backend');
  });

  root.replaceChildren(
    headerView(ctx),
    h('main', null, dataPanel(ctx), modelPanel(ctx), trainPanel(ctx), evaluatePanel(ctx), playgroundPanel(ctx), pretrainingPanel(ctx), runsPanel(ctx), storagePanel(ctx)),
  );

  // A hook for tests and the curious: how many loss points the live chart holds.
  window.__tabtune = { lossPoints: () => ctx.runs.live?.train.length ?? 0 };

  const ready = await ctx.client.init(settings.backend);
  bus.emit('backend-ready', ready.choice);
}
