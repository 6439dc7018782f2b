// What every panel shares: settings, the event bus, the worker, the database and the live state.
import type { Bus } from './bus';
import type { WorkerClient } from './worker-client';
import type { PageSettings } from './url-settings';
import type { BackendChoice } from '../runtime/backend';
import type { DataSplits } from '../domain';
import type { TabtuneDb } from '../store/db';
import type { RunController } from './run-controller';
import type { ActiveDataset } from './active-dataset';
import type { PageJobs } from './page-jobs';

export type { ActiveDataset };

export interface AppContext {
  settings: PageSettings;
  bus: Bus;
  client: WorkerClient;
  db: TabtuneDb;
  dataset: ActiveDataset | null;
  /** Set by the page (src/ui/app.ts) from the bus's 'backend-ready' event, and only there. */
  backend: BackendChoice | null;
  runs: RunController;
  /** The jobs API on this page's database and worker: the queue every Train runs through. */
  jobs: PageJobs;
  /** The stored splits of a dataset version (for resuming and comparing runs). */
  loadSplits(hash: string): Promise<DataSplits>;
  /** Writes the settings into the URL (replaceState), so the address bar is always a shareable link. */
  saveSettings(): void;
}
