// A JSON array of {"text", "label"} objects, read whole (see parseJsonArray for why).
import type { Example } from '../../domain';
import type { ImportError, Parsed } from './types';

/**
 * A JSON array is read whole, not streamed: JSON.parse needs the complete text, and arrays of {text, label}
 * large enough for that to matter (100 MB) are rare — big datasets come as JSONL or CSV, which stream. Errors
 * still say where: a bad element is reported as line i + 1 with field `[i]` (its line when the array is written
 * one element per line), and broken JSON on the line of the offset JSON.parse names.
 */
export function parseJsonArray(text: string, file: string): Parsed {
  let arr: unknown;
  try {
    arr = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    return { examples: [], lines: [], errors: [{ file, line: jsonErrorLine(text, (e as Error).message), message: `broken JSON: ${(e as Error).message}` }], badLines: 0 };
  }
  if (!Array.isArray(arr)) return { examples: [], lines: [], errors: [{ file, line: 1, message: 'expected a JSON array of {"text", "label"} objects' }], badLines: 0 };
  const examples: Example[] = [];
  const lines: number[] = [];
  const errors: ImportError[] = [];
  let badLines = 0;
  arr.forEach((item, i) => {
    const where = `[${i}]`;
    const o = item as { text?: unknown; label?: unknown };
    const errs: ImportError[] = [];
    if (!item || typeof item !== 'object') errs.push({ file, line: i + 1, field: where, message: 'must be an object with "text" and "label"' });
    else {
      if (typeof o.text !== 'string' || !o.text.trim()) errs.push({ file, line: i + 1, field: `${where}.text`, message: 'text must be a non-empty string' });
      if (typeof o.label !== 'string' || !o.label.trim()) errs.push({ file, line: i + 1, field: `${where}.label`, message: 'label must be a non-empty string' });
    }
    if (errs.length) {
      errors.push(...errs);
      badLines += 1;
    } else {
      examples.push({ text: o.text as string, label: (o.label as string).trim() });
      lines.push(i + 1);
    }
  });
  return { examples, lines, errors, badLines };
}

/** The line of a JSON.parse error: V8 names it ("line 3 column 5"), or an offset we count lines up to. */
function jsonErrorLine(text: string, message: string): number {
  const named = /\(line (\d+) column \d+\)/.exec(message);
  if (named) return Number(named[1]);
  const at = /in JSON at position (\d+)/.exec(message);
  const offset = at ? Number(at[1]) + (text.charCodeAt(0) === 0xfeff ? 1 : 0) : /end of JSON input/.test(message) ? text.trimEnd().length : 0;
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}
