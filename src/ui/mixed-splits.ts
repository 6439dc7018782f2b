// The training split a run gets: with an earlier dataset's examples mixed in when its settings ask for it (seeded,
// so a resumed run, and the page's count of what a run trains, see the very same data).
import type { TrainConfig } from '../config';
import type { DataSplits } from '../domain';
import { mixIn } from '../data/mix';

export async function withMixedData(splits: DataSplits, config: Pick<TrainConfig, 'mixShare' | 'mixFrom' | 'seed'>, loadSplits: (hash: string) => Promise<DataSplits>): Promise<DataSplits> {
  if (!(config.mixShare > 0) || !config.mixFrom) return splits;
  const earlier = await loadSplits(config.mixFrom);
  return { ...splits, train: mixIn(splits.train, earlier.train, splits.labels, config.mixShare, config.seed).train };
}
