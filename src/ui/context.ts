// What every panel shares: settings, the event bus, the worker, the database and the live state.
import type { Bus } from './bus';
import type { WorkerClient } from './worker-client';
import type { PageSettings } from './url-settings';
import type { BackendChoice } from '../runtime/backend';
import type { DataSplits } from '../domain';
import type { TabtuneDb } from '../store/db';
import type { RunController } from './run-controller';

export interface ActiveDataset {
  hash: string;
  name: string;
  instruction?: string;
  splits: DataSplits;
}

export interface AppContext {
  settings: PageSettings;
  bus: Bus;
  client: WorkerClient;
  db: TabtuneDb;
  dataset: ActiveDataset | null;
  backend: BackendChoice | null;
  runs: RunController;
  /** The stored splits of a dataset version (for resuming and comparing runs). */
  loadSplits(hash: string): Promise<DataSplits>;
  /** Writes the settings into the URL (replaceState), so the address bar is always a shareable link. */
  saveSettings(): void;
}
