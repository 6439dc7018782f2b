// "Mixed data": rehearse an earlier dataset while training on a new one, so the model keeps what it learned
// there. Only examples whose label the new dataset also has can be mixed in (the classifier has no output for
// the others); the sample is drawn from a seed, so a resumed run sees exactly the same training data.
import type { Example } from '../domain';
import { createRng, mixSeed } from '../util/rng';

export interface MixOutcome {
  train: Example[];
  /** Examples taken from the earlier dataset. */
  added: number;
  /** Earlier examples left out because the new dataset lacks their label. */
  unusableLabels: string[];
}

/** `train` plus round(share × train.length) examples sampled without replacement from `earlier`. */
export function mixIn(train: Example[], earlier: Example[], labels: string[], share: number, seed: number): MixOutcome {
  if (!(share > 0)) return { train, added: 0, unusableLabels: [] };
  const known = new Set(labels);
  const usable = earlier.filter((e) => known.has(e.label));
  const unusableLabels = [...new Set(earlier.filter((e) => !known.has(e.label)).map((e) => e.label))].sort();
  const want = Math.min(usable.length, Math.round(share * train.length));
  const picked = createRng(mixSeed(seed, 0x6d6978)).shuffle([...usable]).slice(0, want);
  return { train: [...train, ...picked], added: picked.length, unusableLabels };
}
