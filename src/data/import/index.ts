// Turns a user's file into labelled examples: chat JSONL (the hosted fine-tuning format), CSV/TSV (through
// papaparse) and a JSON array of {text, label}. Every problem is reported with file, line and field; a file
// with errors yields nothing to store unless the user chose to skip bad lines. This is the one entry: each
// format's parser lives in its own module beside it.
import type { ImportFormat, ImportOptions, ImportResult } from './types';
import { detectFormat, formatFromName } from './detect';
import { ChatJsonlParser } from './jsonl';
import { DelimitedParser } from './csv';
import { parseJsonArray } from './json';
import { finalise } from './finalise';

export type { ImportError, ImportFormat, ImportOptions, ImportResult } from './types';

/** Where a file's chunks go once its format is known; `finish` applies the storing policy. */
interface FormatParser {
  push(chunk: string): void;
  finish(): ImportResult;
}

function formatParser(format: ImportFormat, opts: ImportOptions): FormatParser {
  if (format === 'chat-jsonl') {
    const p = new ChatJsonlParser(opts.file);
    return {
      push: (c) => p.push(c),
      finish: () => {
        p.finish();
        return finalise(format, { examples: p.examples, lines: p.lines, errors: p.errors, badLines: p.badLines }, opts, p.instruction);
      },
    };
  }
  if (format === 'json') {
    const parts: string[] = []; // whole-text on purpose: see parseJsonArray
    return { push: (c) => void parts.push(c), finish: () => finalise(format, parseJsonArray(parts.join(''), opts.file), opts) };
  }
  const p = new DelimitedParser(opts, format === 'tsv' ? '\t' : ',');
  return {
    push: (c) => p.push(c),
    finish: () => {
      p.finish();
      return finalise(format, { examples: p.examples, lines: p.lines, errors: p.errors, badLines: p.badLines }, opts);
    },
  };
}

const emptyResult = (format: ImportFormat, file: string): ImportResult => ({ format, examples: [], lines: [], errors: [], skipped: 0, refused: `${file} is empty.` });

export function importText(text: string, opts: ImportOptions): ImportResult {
  const format = opts.format ?? detectFormat(opts.file, text.slice(0, 2000));
  if (!text.trim()) return emptyResult(format, opts.file); // trim() drops a BOM too
  const p = formatParser(format, opts);
  p.push(text);
  return p.finish();
}

/**
 * Streaming import: JSONL, CSV and TSV are parsed chunk by chunk, whatever the chunk boundaries; a JSON array is
 * gathered and parsed at the end. `onProgress` gets the characters read so far after every chunk.
 */
export async function importStream(chunks: AsyncIterable<string>, opts: ImportOptions, onProgress?: (chars: number) => void): Promise<ImportResult> {
  let format = opts.format ?? formatFromName(opts.file);
  let parser: FormatParser | null = null;
  let head = ''; // the first chunks, only while the format still depends on the content
  let content = false;
  let seen = 0;
  for await (const chunk of chunks) {
    seen += chunk.length;
    if (!content && /\S/.test(chunk)) content = true; // \s covers a BOM
    if (parser) parser.push(chunk);
    else {
      head += chunk;
      // Sniffing the content needs its first line, or 2000 characters of it.
      if (format || head.length >= 2000 || /\S[^\n]*\n/.test(head)) {
        format ??= detectFormat(opts.file, head.slice(0, 2000));
        parser = formatParser(format, opts);
        parser.push(head);
        head = '';
      }
    }
    onProgress?.(seen);
  }
  format ??= detectFormat(opts.file, head.slice(0, 2000));
  if (!content) return emptyResult(format, opts.file);
  if (!parser) {
    parser = formatParser(format, opts);
    parser.push(head);
  }
  return parser.finish();
}
