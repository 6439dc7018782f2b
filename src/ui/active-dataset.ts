// The dataset the page works on: its stored version (content hash), name and pinned splits.
import type { DataSplits } from '../domain';

export interface ActiveDataset {
  hash: string;
  name: string;
  instruction?: string;
  splits: DataSplits;
}
