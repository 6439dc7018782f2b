// Deterministic, stratified train/validation/test splits, and the content hash that names a dataset version.
// The split depends only on the examples and the seed, so a dataset version's test split is pinned: every run
// on it is evaluated on the same examples and runs stay comparable.
import type { Example, SplitExample, SplitName } from '../domain';
import { createRng, mixSeed } from '../util/rng';

export interface SplitOptions {
  seed: number;
  /** Shares of the data for validation and test (default 0.1 each). */
  validationFraction?: number;
  testFraction?: number;
}

export interface DatasetSplit {
  train: SplitExample[];
  validation: SplitExample[];
  test: SplitExample[];
}

export function splitDataset(examples: Example[], { seed, validationFraction = 0.1, testFraction = 0.1 }: SplitOptions): DatasetSplit {
  const byLabel = new Map<string, number[]>();
  examples.forEach((e, i) => byLabel.set(e.label, [...(byLabel.get(e.label) ?? []), i]));
  const assigned = new Array<SplitName>(examples.length);
  // Labels in sorted order, each with its own seeded shuffle: adding a label does not reshuffle the others.
  for (const label of [...byLabel.keys()].sort()) {
    const idx = createRng(mixSeed(seed, hashString(label))).shuffle([...byLabel.get(label)!]);
    const n = idx.length;
    let nTest = Math.round(n * testFraction);
    let nVal = Math.round(n * validationFraction);
    // Every label with at least 3 examples appears in each split that is asked for.
    if (n >= 3) {
      if (testFraction > 0) nTest = Math.max(1, nTest);
      if (validationFraction > 0) nVal = Math.max(1, nVal);
    }
    idx.forEach((i, k) => (assigned[i] = k < nTest ? 'test' : k < nTest + nVal ? 'validation' : 'train'));
  }
  const out: DatasetSplit = { train: [], validation: [], test: [] };
  examples.forEach((e, index) => out[assigned[index]].push({ text: e.text, label: e.label, index, split: assigned[index] }));
  return out;
}

/** One line per example, in order: JSON of [text, label]. Order matters: reordering makes a new version. */
export function canonicalContent(examples: Example[]): string {
  return examples.map((e) => JSON.stringify([e.text, e.label])).join('\n');
}

/** SHA-256 (hex) of the canonical content, through WebCrypto (browsers, workers and Node 20 alike). */
export async function datasetHash(examples: Example[]): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalContent(examples)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
