// Turns a user's file into labelled examples: chat JSONL (the hosted fine-tuning format), CSV/TSV (through
// papaparse) and a JSON array of {text, label}. Every problem is reported with file, line and field; a file
// with errors yields nothing to store unless the user chose to skip bad lines.
import Papa from 'papaparse';
import type { Example } from '../domain';

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
  /** The line each example starts on in the file (examples[i] at lines[i]), for errors found after import. */
  lines: number[];
  instruction?: string;
  errors: ImportError[];
  /** Bad lines dropped because the user chose to skip them. */
  skipped: number;
  /** Why nothing can be stored (empty file, too few examples, errors without skipping). */
  refused?: string;
}

export const MIN_EXAMPLES = 10;
const MESSAGE_KEYS = new Set(['role', 'content', 'name', 'weight']);
const ROLES = new Set(['system', 'user', 'assistant']);

/** The format a file's extension names, if it names one. */
function formatFromName(file: string): ImportFormat | undefined {
  const ext = file.toLowerCase().split('.').pop();
  if (ext === 'jsonl' || ext === 'ndjson') return 'chat-jsonl';
  if (ext === 'tsv' || ext === 'tab') return 'tsv';
  if (ext === 'csv') return 'csv';
  return undefined;
}

export function detectFormat(file: string, head: string): ImportFormat {
  const byName = formatFromName(file);
  if (byName) return byName;
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
    // The hosted services' format checker refuses keys it does not know and allows `name` and `weight`: refusing
    // them here too means a file that passes tabtune's validation also passes theirs.
    const unknown = Object.keys(m).filter((k) => !MESSAGE_KEYS.has(k));
    if (unknown.length) return errors.push(err(`unrecognized key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (allowed: role, content, name, weight)`, `${where}.${unknown[0]}`));
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
  readonly lines: number[] = [];
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
      this.lines.push(this.line);
      this.instruction ??= r.instruction;
    }
  }
}

/** What papaparse's `skipEmptyLines: 'greedy'` skips: a row whose fields are all blank. */
const isBlankRow = (values: string[]) => values.join('').trim() === '';
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
/** Complete records handed to papaparse at a time: bounds the memory of one parse. */
const BATCH = 1000;

/**
 * Incremental CSV/TSV parsing. Chunks may end anywhere (inside a quoted field, between CR and LF, after a BOM):
 * a small scanner finds where each record ends, following papaparse's own quoting rules (a quote opens a field
 * only at its start, `""` is a quote, a quote closes only before the delimiter or the line end, spaces allowed),
 * and counts the line each record starts on. Only complete records go to papaparse, a batch at a time, so
 * memory holds one chunk, the unfinished record and the examples — never the whole text nor its whole parse.
 */
export class DelimitedParser {
  readonly examples: Example[] = [];
  readonly lines: number[] = [];
  readonly errors: ImportError[] = [];
  badLines = 0;
  /** A non-blank character was read: an all-blank file is empty, not a file without columns. */
  sawContent = false;
  private readonly textCol: string;
  private readonly labelCol: string;
  private readonly delim: number;
  private fields: string[] | null = null;
  private textIdx = -1;
  private labelIdx = -1;
  /** The header lacks the chosen columns: reported once, the rows are not read. */
  private missingColumns = false;
  private started = false;
  // Scanner state. `buf` holds the unfinished record from `recStart`, and text not yet scanned from `pos`.
  private buf = '';
  private pos = 0;
  private recStart = 0;
  private line = 1;
  private recLine = 1;
  private quoted = false;
  private fieldStart = true;
  /** The line end: LF (also for CRLF, whose CR is dropped) or CR alone (old Mac exports), read off the first one. */
  private eol = 0;
  private pending: { raw: string; line: number }[] = [];

  constructor(
    private readonly opts: ImportOptions,
    private readonly delimiter: ',' | '\t',
  ) {
    this.textCol = opts.textColumn ?? 'text';
    this.labelCol = opts.labelColumn ?? 'label';
    this.delim = delimiter.charCodeAt(0);
  }

  push(chunk: string): void {
    if (!this.started) {
      if (!chunk) return;
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (!this.sawContent && /\S/.test(chunk)) this.sawContent = true;
    this.buf = this.buf.slice(this.recStart) + chunk;
    this.pos -= this.recStart;
    this.recStart = 0;
    if (!this.eol) this.eol = lineEnd(this.buf, false);
    if (this.eol) this.scan(false);
    this.flush();
  }

  finish(): void {
    this.eol ||= lineEnd(this.buf, true);
    this.scan(true);
    let raw = this.buf.slice(this.recStart);
    if (this.eol === LF && raw.endsWith('\r')) raw = raw.slice(0, -1);
    this.record(raw, this.recLine);
    this.buf = '';
    this.pos = this.recStart = 0;
    this.flush();
    if (!this.fields && this.sawContent) this.reportMissing([], 1);
  }

  /** Walks `buf` from `pos`, cutting a record at every line end outside quotes; stops where it must see further. */
  private scan(final: boolean): void {
    const s = this.buf;
    const n = s.length;
    const d = this.delim;
    const E = this.eol;
    let i = this.pos;
    let line = this.line;
    let quoted = this.quoted;
    let fieldStart = this.fieldStart;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (quoted) {
        if (c === E) line += 1;
        else if (c === QUOTE) {
          // Does this quote close the field? That takes a look at what follows, maybe in the next chunk.
          if (s.charCodeAt(i + 1) === QUOTE) {
            i += 2;
            continue;
          }
          let j = i + 1;
          while (j < n && s.charCodeAt(j) !== d && s.charCodeAt(j) !== E && /\s/.test(s[j])) j += 1;
          if (j === n && !final) break;
          if (j === n || s.charCodeAt(j) === d || s.charCodeAt(j) === E) {
            quoted = false;
            fieldStart = false;
            i = j;
            continue;
          }
          // Otherwise a malformed quote: papaparse keeps it in the field, which stays open.
        }
        i += 1;
        continue;
      }
      if (c === E) {
        const end = E === LF && i > this.recStart && s.charCodeAt(i - 1) === CR ? i - 1 : i;
        this.record(s.slice(this.recStart, end), this.recLine);
        line += 1;
        i += 1;
        this.recStart = i;
        this.recLine = line;
        fieldStart = true;
        continue;
      }
      if (c === d) fieldStart = true;
      else {
        if (fieldStart && c === QUOTE) quoted = true;
        fieldStart = false;
      }
      i += 1;
    }
    this.pos = i;
    this.line = line;
    this.quoted = quoted;
    this.fieldStart = fieldStart;
  }

  private record(raw: string, line: number): void {
    if (!raw.trim()) return; // a blank line
    this.pending.push({ raw, line });
    if (this.pending.length >= BATCH) this.flush();
  }

  /** Parses the complete records gathered so far with papaparse, in one call when it agrees on the rows. */
  private flush(): void {
    if (!this.pending.length) return;
    const records = this.pending;
    this.pending = [];
    const config = { delimiter: this.delimiter, newline: '\n' as const, header: false, skipEmptyLines: false };
    const res = Papa.parse<string[]>(records.map((r) => r.raw).join('\n'), config);
    if (res.data.length === records.length) {
      const errorsOf = new Map<number, Papa.ParseError[]>();
      for (const e of res.errors) errorsOf.set(e.row ?? 0, [...(errorsOf.get(e.row ?? 0) ?? []), e]);
      records.forEach((r, i) => this.row(r.raw, res.data[i], errorsOf.get(i) ?? [], r.line));
      return;
    }
    // papaparse read the rows differently from the scanner (a malformed file): one record at a time keeps lines right.
    for (const r of records) {
      const one = Papa.parse<string[]>(r.raw, config);
      this.row(r.raw, one.data.flat(), one.errors, r.line);
    }
  }

  private row(raw: string, values: string[], csvErrors: Papa.ParseError[], line: number): void {
    const file = this.opts.file;
    if (!csvErrors.length && isBlankRow(values)) return;
    if (this.missingColumns) return;
    if (!this.fields) {
      // The header, read by papaparse as it always did (BOM stripped, repeated names made unique).
      this.fields = Papa.parse(raw, { delimiter: this.delimiter, newline: '\n', header: true }).meta.fields ?? [];
      this.textIdx = this.fields.indexOf(this.textCol);
      this.labelIdx = this.fields.indexOf(this.labelCol);
      if (this.textIdx < 0 || this.labelIdx < 0) this.reportMissing(this.fields, line);
      return;
    }
    const errs: ImportError[] = csvErrors.map((e) => ({ file, line, message: `CSV: ${e.message}` }));
    const expected = this.fields.length;
    if (values.length !== expected) {
      errs.push({ file, line, message: `CSV: Too ${values.length > expected ? 'many' : 'few'} fields: expected ${expected} fields but parsed ${values.length}` });
    }
    const t = values[this.textIdx];
    const l = values[this.labelIdx];
    if (typeof t !== 'string' || !t.trim()) errs.push({ file, line, field: this.textCol, message: 'text is empty' });
    if (typeof l !== 'string' || !l.trim()) errs.push({ file, line, field: this.labelCol, message: 'label is empty' });
    if (errs.length) {
      this.errors.push(...errs);
      this.badLines += 1;
    } else {
      this.examples.push({ text: t, label: l.trim() });
      this.lines.push(line);
    }
  }

  private reportMissing(fields: string[], line: number): void {
    this.missingColumns = true;
    const missing = [this.textCol, this.labelCol].filter((c) => !fields.includes(c));
    this.errors.push({
      file: this.opts.file,
      line,
      field: missing.join(', '),
      message: `missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(' and ')} (found: ${fields.join(', ') || 'none'}); choose the text and label columns`,
    });
  }
}

/** LF or CR: whichever line end comes first (CRLF counts as LF); 0 while a chunk ends before one is certain. */
function lineEnd(text: string, final: boolean): number {
  const lf = text.indexOf('\n');
  const cr = text.indexOf('\r');
  if (cr === -1 || (lf !== -1 && lf < cr)) return lf !== -1 || final ? LF : 0;
  if (cr + 1 < text.length) return text.charCodeAt(cr + 1) === LF ? LF : CR;
  return final ? CR : 0;
}

export function parseDelimited(text: string, opts: ImportOptions, delimiter: ',' | '\t'): Parsed {
  const p = new DelimitedParser(opts, delimiter);
  p.push(text);
  p.finish();
  return { examples: p.examples, lines: p.lines, errors: p.errors, badLines: p.badLines };
}

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

/** What a format's parser hands to `finalise`. */
export interface Parsed {
  examples: Example[];
  lines: number[];
  errors: ImportError[];
  badLines: number;
}

/** Applies the storing policy: errors refuse the file unless skipping was chosen; too few examples refuse it. */
export function finalise(format: ImportFormat, parsed: Parsed, opts: ImportOptions, instruction?: string): ImportResult {
  const { examples, lines, errors, badLines } = parsed;
  const base = { format, instruction, errors, lines: [] as number[] };
  if (errors.length && !opts.skipBadLines) {
    return { ...base, examples: [], skipped: 0, refused: `${errors.length} error${errors.length === 1 ? '' : 's'} in ${badLines || 1} line${badLines === 1 ? '' : 's'}; nothing was stored. Fix them, or choose to skip bad lines.` };
  }
  if (examples.length === 0) return { ...base, examples: [], skipped: badLines, refused: `${opts.file} contains no examples.` };
  if (examples.length < MIN_EXAMPLES) {
    return { ...base, examples: [], skipped: badLines, refused: `${opts.file} has only ${examples.length} usable example${examples.length === 1 ? '' : 's'}; at least ${MIN_EXAMPLES} are needed to train and evaluate anything.` };
  }
  const labels = new Set(examples.map((e) => e.label));
  if (labels.size < 2) return { ...base, examples: [], skipped: badLines, refused: `${opts.file} has a single label ("${[...labels][0]}"); a classifier needs at least two.` };
  return { ...base, examples, lines, skipped: opts.skipBadLines ? badLines : 0 };
}

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
