// CSV and TSV through papaparse, streamed: records are cut out of arbitrary chunks here and parsed a batch at a
// time, each with the line it starts on, so errors name the line in the file.
import Papa from 'papaparse';
import type { Example } from '../../domain';
import type { ImportError, ImportOptions, Parsed } from './types';

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
