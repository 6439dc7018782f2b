// A dataset's evaluation suite: its pinned test split plus any number of user-added evaluation files. Every run
// on the dataset is scored on all of them, and the promotion gate compares runs suite by suite.
import type { EvalSuiteData, Example } from '../domain';
import type { ImportError } from '../data/import';
import type { SuiteRecord, TabtuneDb } from './db';

export function listSuites(db: TabtuneDb, datasetHash: string): Promise<SuiteRecord[]> {
  return db.getAllFromIndex('suites', 'datasetHash', datasetHash).then((rows) => rows.sort((a, b) => a.created - b.created));
}

export async function addSuite(db: TabtuneDb, record: SuiteRecord): Promise<void> {
  await db.add('suites', record);
}

export async function deleteSuite(db: TabtuneDb, id: string): Promise<void> {
  await db.delete('suites', id);
}

/** What the worker needs to score a run on the suites. */
export function suiteData(suites: SuiteRecord[]): EvalSuiteData[] {
  return suites.map((s) => ({ id: s.id, name: s.name, examples: s.examples }));
}

export interface SuiteCheck {
  errors: ImportError[];
  warnings: string[];
}

/**
 * An evaluation file must speak the dataset's labels (a label the model has no output for cannot be scored), and
 * should not repeat training examples (those measure memory, not generalisation). `lines` gives each example's
 * line in the file, so every error names it.
 */
export function checkSuite(file: string, examples: Example[], lines: number[] | undefined, labels: string[], trainTexts: Iterable<string>): SuiteCheck {
  const known = new Set(labels);
  const errors: ImportError[] = [];
  examples.forEach((e, i) => {
    if (!known.has(e.label)) errors.push({ file, line: lines?.[i] ?? i + 1, field: 'label', message: `label "${e.label}" is not one of this dataset's labels (${labels.join(', ')}); the model has no output for it.` });
  });
  const warnings: string[] = [];
  const norm = (t: string) => t.trim().toLowerCase().replace(/\s+/g, ' ');
  const train = new Set([...trainTexts].map(norm));
  const overlap = examples.filter((e) => train.has(norm(e.text))).length;
  if (overlap) warnings.push(`${overlap} of ${examples.length} examples also appear in the training split: a model scores well on them by memory, so they say little about new texts.`);
  const missing = labels.filter((l) => !examples.some((e) => e.label === l));
  if (missing.length) warnings.push(`No examples of ${missing.map((l) => `"${l}"`).join(', ')}: this suite cannot tell whether those labels regress.`);
  return { errors, warnings };
}
