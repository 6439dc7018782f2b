// The email demo's built-in evaluation suite: 205 emails written by hand for the project, following none of the
// generator's templates (src/data/handwritten-emails.md says how they were written and labelled). Every demo run
// is scored on it beside the generated test split, so the page shows how the tuned model does on text the
// generator did not make. The page bundles the file; the command line reads it from disk.
import { importText } from './import';
import type { Example } from '../domain';

export const DEMO_SUITE_NAME = 'hand-written emails';
export const DEMO_SUITE_FILE = 'handwritten-emails.jsonl';

/** One suite record per demo dataset version, so choosing the demo again never adds it twice. */
export function demoSuiteId(datasetHash: string): string {
  return `builtin:handwritten-emails:${datasetHash}`;
}

export function parseDemoSuite(text: string): Example[] {
  const res = importText(text, { file: DEMO_SUITE_FILE });
  if (res.refused || res.errors.length) {
    const where = res.errors.slice(0, 3).map((e) => `line ${e.line}: ${e.field ? `${e.field}: ` : ''}${e.message}`);
    throw new Error(`${DEMO_SUITE_FILE}: ${where.length ? where.join('; ') : res.refused}`);
  }
  return res.examples.map(({ text: t, label }) => ({ text: t, label }));
}
