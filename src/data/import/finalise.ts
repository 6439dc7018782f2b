// The storing policy every format shares: what makes a parsed file refused, and what is kept of it.
import type { ImportFormat, ImportOptions, ImportResult, Parsed } from './types';

export const MIN_EXAMPLES = 10;

/** Applies the storing policy: errors refuse the file unless skipping was chosen; too few examples refuse it. */
export function finalise(format: ImportFormat, parsed: Parsed, opts: ImportOptions, instruction?: string): ImportResult {
  const { examples, lines, errors, badLines } = parsed;
  const base = { format, instruction, errors, lines: [] as number[] };
  if (errors.length && !opts.skipBadLines) {
    return { ...base, examples: [], skipped: 0, refused: `${errors.length} error${errors.length === 1 ? '' : 's'} in ${badLines || 1} line${badLines === 1 ? '' : 's'}; nothing was stored. Fix them, or choose to skip bad lines.` };
  }
  if (examples.length === 0) return { ...base, examples: [], skipped: badLines, refused: `${opts.file} contains no examples.` };
  if (opts.evaluationOnly) return { ...base, examples, lines, skipped: opts.skipBadLines ? badLines : 0 };
  if (examples.length < MIN_EXAMPLES) {
    return { ...base, examples: [], skipped: badLines, refused: `${opts.file} has only ${examples.length} usable example${examples.length === 1 ? '' : 's'}; at least ${MIN_EXAMPLES} are needed to train and evaluate anything.` };
  }
  const labels = new Set(examples.map((e) => e.label));
  if (labels.size < 2) return { ...base, examples: [], skipped: badLines, refused: `${opts.file} has a single label ("${[...labels][0]}"); a classifier needs at least two.` };
  return { ...base, examples, lines, skipped: opts.skipBadLines ? badLines : 0 };
}
