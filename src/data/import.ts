// Turns a user's file into labelled examples: chat JSONL (the hosted fine-tuning format), CSV/TSV (through
// papaparse) and a JSON array of {text, label}. Every problem is reported with file, line and field; a file
// with errors yields nothing to store unless the user chose to skip bad lines.
import Papa from 'papaparse';
import type { Example } from './types';

export type ImportFormat = 'chat-jsonl' | 'csv' | 'tsv' | 'json';

export interface ImportError {
  file: string;
  line: number;
  field?: string;
  message: string;
}

export interface ImportOptions {
  file: string;
  format?: ImportFormat;
  skipBadLines?: boolean;
  textColumn?: string;
  labelColumn?: string;
}

export interface ImportResult {
  format: ImportFormat;
  examples: Example[];
  instruction?: string;
  errors: ImportError[];
  /** Bad lines dropped because the user chose to skip them. */
  skipped: number;
  /** Why nothing can be stored (empty file, too few examples, errors without skipping). */
  refused?: string;
}

export const MIN_EXAMPLES = 10;
const ROLES = new Set(['system', 'user', 'assistant']);

export function detectFormat(file: string, head: string): ImportFormat {
  const ext = file.toLowerCase().split('.').pop();
  if (ext === 'jsonl' || ext === 'ndjson') return 'chat-jsonl';
  if (ext === 'tsv' || ext === 'tab') return 'tsv';
  if (ext === 'csv') return 'csv';
  const t = head.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('[')) return 'json';
  if (t.startsWith('{')) return 'chat-jsonl';
  const first = t.split(/\r?\n/, 1)[0];
  return first.includes('\t') && !first.includes(',') ? 'tsv' : 'csv';
}

/** One chat JSONL line → an example, or the errors it has (several fields can be wrong at once). */
export function parseChatLine(raw: string, line: number, file: string): { example?: Example; instruction?: string; errors: ImportError[] } {
  const err = (message: string, field?: string): ImportError => ({ file, line, field, message });
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch (e) {
    return { errors: [err(`broken JSON: ${(e as Error).message}`)] };
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return { errors: [err('each line must be a JSON object with a "messages" list')] };
  const messages = (obj as { messages?: unknown }).messages;
  if (messages === undefined) return { errors: [err('"messages" is missing', 'messages')] };
  if (!Array.isArray(messages)) return { errors: [err('"messages" must be a list', 'messages')] };
  const errors: ImportError[] = [];
  let user: string | undefined;
  let assistant: string | undefined;
  let system: string | undefined;
  messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    if (!m || typeof m !== 'object') return errors.push(err('must be an object with "role" and "content"', where));
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || !ROLES.has(role)) return errors.push(err(`unknown role ${JSON.stringify(role)} (allowed: system, user, assistant)`, `${where}.role`));
    if (typeof content !== 'string') return errors.push(err(`content must be a string (got ${content === null ? 'null' : typeof content})`, `${where}.content`));
    if (!content.trim()) return errors.push(err('content is empty', `${where}.content`));
    if (role === 'user' && user === undefined) user = content;
    if (role === 'assistant' && assistant === undefined) assistant = content.trim();
    if (role === 'system' && system === undefined) system = content;
  });
  if (errors.length) return { errors };
  if (user === undefined) errors.push(err('no user message (the text to classify)', 'messages'));
  if (assistant === undefined) errors.push(err('no assistant message (the label)', 'messages'));
  if (errors.length) return { errors };
  return { example: { text: user!, label: assistant! }, instruction: system, errors };
}

/** Incremental chat-JSONL parsing, line by line, so huge files never have to be one string. */
export class ChatJsonlParser {
  readonly examples: Example[] = [];
  readonly errors: ImportError[] = [];
  badLines = 0;
  instruction?: string;
  private line = 0;
  private rest = '';
  constructor(private file: string) {}

  push(chunk: string): void {
    const text = this.rest + chunk;
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    for (const p of parts) this.handle(p);
  }

  finish(): void {
    if (this.rest) this.handle(this.rest);
    this.rest = '';
  }

  private handle(raw: string): void {
    this.line += 1;
    let s = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.line === 1) s = s.replace(/^\uFEFF/, '');
    if (!s.trim()) return;
    const r = parseChatLine(s, this.line, this.file);
    if (r.errors.length) {
      this.errors.push(...r.errors);
      this.badLines += 1;
    } else {
      this.examples.push(r.example!);
      this.instruction ??= r.instruction;
    }
  }
}

export function parseDelimited(text: string, opts: ImportOptions, delimiter: ',' | '\t'): { examples: Example[]; errors: ImportError[]; badLines: number } {
  const textCol = opts.textColumn ?? 'text';
  const labelCol = opts.labelColumn ?? 'label';
  const res = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), { header: true, delimiter, skipEmptyLines: 'greedy' });
  const errors: ImportError[] = [];
  const fields = res.meta.fields ?? [];
  const missing = [textCol, labelCol].filter((c) => !fields.includes(c));
  if (missing.length) {
    return { examples: [], errors: [{ file: opts.file, line: 1, field: missing.join(', '), message: `missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(' and ')} (found: ${fields.join(', ') || 'none'}); choose the text and label columns` }], badLines: 0 };
  }
  // papaparse reports rows, not lines; quoted fields may span lines, so count newlines to name real lines.
  const lineOfRow = rowLines(text.replace(/^\uFEFF/, ''), delimiter);
  const examples: Example[] = [];
  let badLines = 0;
  res.data.forEach((row, i) => {
    const line = lineOfRow[i + 1] ?? i + 2;
    const rowErrors: ImportError[] = [];
    const t = row[textCol];
    const l = row[labelCol];
    if (typeof t !== 'string' || !t.trim()) rowErrors.push({ file: opts.file, line, field: textCol, message: 'text is empty' });
    if (typeof l !== 'string' || !l.trim()) rowErrors.push({ file: opts.file, line, field: labelCol, message: 'label is empty' });
    if (rowErrors.length) {
      errors.push(...rowErrors);
      badLines += 1;
    } else examples.push({ text: t, label: l.trim() });
  });
  for (const e of res.errors) {
    if (e.code === 'UndetectableDelimiter') continue;
    errors.push({ file: opts.file, line: lineOfRow[(e.row ?? 0) + 1] ?? (e.row ?? 0) + 2, message: `CSV: ${e.message}` });
  }
  return { examples, errors, badLines };
}

/** Start line (1-based) of each record, honouring quoted newlines. */
function rowLines(text: string, delimiter: string): number[] {
  void delimiter;
  const starts = [1];
  let line = 1;
  let quoted = false;
  let atRowStart = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (atRowStart && ch !== '\n' && ch !== '\r') {
      starts.push(line);
      atRowStart = false;
    }
    if (ch === '"') quoted = !quoted;
    else if (ch === '\n') {
      line += 1;
      if (!quoted) atRowStart = true;
    }
  }
  return starts;
}

export function parseJsonArray(text: string, file: string): { examples: Example[]; errors: ImportError[]; badLines: number } {
  let arr: unknown;
  try {
    arr = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    return { examples: [], errors: [{ file, line: 1, message: `broken JSON: ${(e as Error).message}` }], badLines: 0 };
  }
  if (!Array.isArray(arr)) return { examples: [], errors: [{ file, line: 1, message: 'expected a JSON array of {"text", "label"} objects' }], badLines: 0 };
  const examples: Example[] = [];
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
    } else examples.push({ text: o.text as string, label: (o.label as string).trim() });
  });
  return { examples, errors, badLines };
}

/** Applies the storing policy: errors refuse the file unless skipping was chosen; too few examples refuse it. */
export function finalise(format: ImportFormat, parsed: { examples: Example[]; errors: ImportError[]; badLines: number }, opts: ImportOptions, instruction?: string): ImportResult {
  const { examples, errors, badLines } = parsed;
  const base = { format, instruction, errors };
  if (errors.length && !opts.skipBadLines) {
    return { ...base, examples: [], skipped: 0, refused: `${errors.length} error${errors.length === 1 ? '' : 's'} in ${badLines || 1} line${badLines === 1 ? '' : 's'}; nothing was stored. Fix them, or choose to skip bad lines.` };
  }
  if (examples.length === 0) return { ...base, examples: [], skipped: badLines, refused: `${opts.file} contains no examples.` };
  if (examples.length < MIN_EXAMPLES) {
    return { ...base, examples: [], skipped: badLines, refused: `${opts.file} has only ${examples.length} usable example${examples.length === 1 ? '' : 's'}; at least ${MIN_EXAMPLES} are needed to train and evaluate anything.` };
  }
  const labels = new Set(examples.map((e) => e.label));
  if (labels.size < 2) return { ...base, examples: [], skipped: badLines, refused: `${opts.file} has a single label ("${[...labels][0]}"); a classifier needs at least two.` };
  return { ...base, examples, skipped: opts.skipBadLines ? badLines : 0 };
}

export function importText(text: string, opts: ImportOptions): ImportResult {
  const format = opts.format ?? detectFormat(opts.file, text.slice(0, 2000));
  if (!text.replace(/^\uFEFF/, '').trim()) return { format, examples: [], errors: [], skipped: 0, refused: `${opts.file} is empty.` };
  if (format === 'chat-jsonl') {
    const p = new ChatJsonlParser(opts.file);
    p.push(text);
    p.finish();
    return finalise(format, { examples: p.examples, errors: p.errors, badLines: p.badLines }, opts, p.instruction);
  }
  if (format === 'json') return finalise(format, parseJsonArray(text, opts.file), opts);
  return finalise(format, parseDelimited(text, opts, format === 'tsv' ? '\t' : ','), opts);
}

/** Streaming import: JSONL is parsed chunk by chunk; CSV and JSON arrays need their whole text. */
export async function importStream(chunks: AsyncIterable<string>, opts: ImportOptions, onProgress?: (chars: number) => void): Promise<ImportResult> {
  let format = opts.format;
  let parser: ChatJsonlParser | null = null;
  const buffered: string[] = [];
  let seen = 0;
  for await (const chunk of chunks) {
    seen += chunk.length;
    format ??= detectFormat(opts.file, chunk.slice(0, 2000));
    if (format === 'chat-jsonl') {
      parser ??= new ChatJsonlParser(opts.file);
      parser.push(chunk);
    } else buffered.push(chunk);
    onProgress?.(seen);
  }
  if (parser) {
    parser.finish();
    if (parser.examples.length === 0 && parser.errors.length === 0) return { format: 'chat-jsonl', examples: [], errors: [], skipped: 0, refused: `${opts.file} is empty.` };
    return finalise('chat-jsonl', { examples: parser.examples, errors: parser.errors, badLines: parser.badLines }, opts, parser.instruction);
  }
  return importText(buffered.join(''), { ...opts, format: format ?? 'csv' });
}
