// CSV and TSV are parsed as they stream in: wherever the chunks happen to end — inside a quoted multi-line
// field, between CR and LF, right after the BOM — the result is the one the whole text gives, line numbers
// included, and memory holds a chunk and one unfinished record rather than the whole file.
import { describe, expect, it } from 'vitest';
import { importStream, importText, type ImportOptions, type ImportResult } from '../../src/data/import';
import { DelimitedParser } from '../../src/data/import/csv';

async function* streamOf(parts: string[]) {
  for (const p of parts) yield p;
}

const stream = (parts: string[], opts: ImportOptions, onProgress?: (n: number) => void) => importStream(streamOf(parts), opts, onProgress);

/** Every way of cutting `text` once, and the one-character-at-a-time cut. */
function* cuts(text: string): Generator<string[]> {
  for (let k = 1; k < text.length; k++) yield [text.slice(0, k), text.slice(k)];
  yield [...text];
}

/** Every way of cutting `text` twice (two boundaries, three chunks, the middle one possibly empty). */
function* doubleCuts(text: string): Generator<string[]> {
  for (let a = 1; a < text.length; a++) for (let b = a; b < text.length; b++) yield [text.slice(0, a), text.slice(a, b), text.slice(b)];
}

async function expectSameForEveryCut(text: string, opts: ImportOptions, expected: ImportResult, twice = false) {
  expect(importText(text, opts)).toEqual(expected);
  let n = 0;
  for (const parts of twice ? doubleCuts(text) : cuts(text)) {
    const got = await stream(parts, opts);
    // toEqual on every cut would be slow to report; compare, and show the cut when one differs.
    if (JSON.stringify(got) !== JSON.stringify(expected)) expect({ parts, got }).toEqual({ parts, got: expected });
    n++;
  }
  return n;
}

// A BOM, CRLF line ends, a quoted field with a comma, one spanning three lines with CRLF and doubled quotes
// inside, spaces after a closing quote, a blank line, an empty label and an empty text.
const CSV = [
  '\uFEFFtext,label', // 1
  '"Hello, world",order', // 2
  '"multi\r\nline ""quoted""\r\ntext",spam', // 3-5
  '', // 6
  'plain row,support', // 7
  '"spaces after"  ,invoice', // 8
  'no label here,', // 9
  ',order', // 10
  'r1,order', // 11
  'r2,spam', // 12
  'r3,invoice', // 13
  'r4,support', // 14
  '"r5",spam', // 15
  'r6,order', // 16
].join('\r\n') + '\r\n';

const CSV_EXAMPLES = [
  { text: 'Hello, world', label: 'order' },
  { text: 'multi\r\nline "quoted"\r\ntext', label: 'spam' },
  { text: 'plain row', label: 'support' },
  { text: 'spaces after', label: 'invoice' },
  { text: 'r1', label: 'order' },
  { text: 'r2', label: 'spam' },
  { text: 'r3', label: 'invoice' },
  { text: 'r4', label: 'support' },
  { text: 'r5', label: 'spam' },
  { text: 'r6', label: 'order' },
];
const CSV_LINES = [2, 3, 7, 8, 11, 12, 13, 14, 15, 16];
const CSV_ERRORS = [
  { file: 'mail.csv', line: 9, field: 'label', message: 'label is empty' },
  { file: 'mail.csv', line: 10, field: 'text', message: 'text is empty' },
];

// TSV: a quoted field holding a tab and a LF, LF line ends, chosen column names, an extra column.
const TSV = [
  'id\tbody\tcategory', // 1
  '1\t"tab\there\nand a second line"\ta', // 2-3
  '2\tsecond\tb', // 4
  '3\t"quote "" inside"\ta', // 5
  '4\t\tb', // 6: empty body
  '5\tfive\ta\textra', // 7: one field too many
  ...Array.from({ length: 8 }, (_, i) => `${6 + i}\tmail ${6 + i}\t${i % 2 ? 'a' : 'b'}`), // 8-15
].join('\n');

const TSV_OPTS: ImportOptions = { file: 'mail.tsv', textColumn: 'body', labelColumn: 'category', skipBadLines: true };
const TSV_RESULT: ImportResult = {
  format: 'tsv',
  instruction: undefined,
  examples: [
    { text: 'tab\there\nand a second line', label: 'a' },
    { text: 'second', label: 'b' },
    { text: 'quote " inside', label: 'a' },
    ...Array.from({ length: 8 }, (_, i) => ({ text: `mail ${6 + i}`, label: i % 2 ? 'a' : 'b' })),
  ],
  lines: [2, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15],
  errors: [
    { file: 'mail.tsv', line: 6, field: 'body', message: 'text is empty' },
    { file: 'mail.tsv', line: 7, message: 'CSV: Too many fields: expected 3 fields but parsed 4' },
  ],
  skipped: 2,
};

describe('CSV streaming', () => {
  it('gives the whole-text result for every cut of a small file (quoted CRLF lines, BOM, blank line)', async () => {
    const strict: ImportResult = {
      format: 'csv',
      instruction: undefined,
      examples: [],
      lines: [],
      errors: CSV_ERRORS,
      skipped: 0,
      refused: '2 errors in 2 lines; nothing was stored. Fix them, or choose to skip bad lines.',
    };
    const lenient: ImportResult = { format: 'csv', instruction: undefined, examples: CSV_EXAMPLES, lines: CSV_LINES, errors: CSV_ERRORS, skipped: 2 };
    expect(await expectSameForEveryCut(CSV, { file: 'mail.csv' }, strict)).toBe(CSV.length);
    expect(await expectSameForEveryCut(CSV, { file: 'mail.csv', skipBadLines: true }, lenient)).toBe(CSV.length);
  });

  it('gives the same result for every pair of cuts', async () => {
    const text = CSV.split('\r\n').slice(0, 6).join('\r\n') + '\r\n' + Array.from({ length: 9 }, (_, i) => `r${i},${i % 2 ? 'a' : 'b'}`).join('\n');
    const whole = importText(text, { file: 'p.csv' });
    expect(whole.examples.length).toBe(11);
    expect(whole.examples[1]).toEqual({ text: 'multi\r\nline "quoted"\r\ntext', label: 'spam' });
    const n = await expectSameForEveryCut(text, { file: 'p.csv' }, whole, true);
    expect(n).toBe(((text.length - 1) * text.length) / 2);
  });

  it('cuts inside the CRLF pair, inside the doubled quote and right after the BOM', async () => {
    const lenient = { file: 'mail.csv', skipBadLines: true };
    const at = (s: string) => CSV.indexOf(s);
    for (const k of [1, at('\r\n"Hello') + 1, at('""quoted') + 1, at('\r\nline') + 1, at('"  ,invoice') + 1, at('"  ,invoice') + 2]) {
      expect(CSV.slice(0, k).length).toBe(k);
      const r = await stream([CSV.slice(0, k), CSV.slice(k)], lenient);
      expect(r.examples).toEqual(CSV_EXAMPLES);
      expect(r.errors.map((e) => e.line)).toEqual([9, 10]);
    }
  });

  it('names the real line of every error, multi-line fields counted', async () => {
    const text = [
      'text,label', // 1
      '"one\ntwo\nthree",a', // 2-4
      'x,y,z', // 5: too many fields
      '', // 6
      '"a ""b""\n",', // 7-8: empty label
      'lonely', // 9: too few fields, no label
      ...Array.from({ length: 10 }, (_, i) => `t${i},${i % 2 ? 'a' : 'b'}`), // 10-19
      '"never closed,a', // 20 to the end: unterminated quote
      'more,b',
    ].join('\n');
    const expected = [
      { file: 'e.csv', line: 5, message: 'CSV: Too many fields: expected 2 fields but parsed 3' },
      { file: 'e.csv', line: 7, field: 'label', message: 'label is empty' },
      { file: 'e.csv', line: 9, message: 'CSV: Too few fields: expected 2 fields but parsed 1' },
      { file: 'e.csv', line: 9, field: 'label', message: 'label is empty' },
      { file: 'e.csv', line: 20, message: 'CSV: Quoted field unterminated' },
      { file: 'e.csv', line: 20, message: 'CSV: Too few fields: expected 2 fields but parsed 1' },
      { file: 'e.csv', line: 20, field: 'label', message: 'label is empty' },
    ];
    const whole = importText(text, { file: 'e.csv', skipBadLines: true });
    expect(whole.errors).toEqual(expected);
    expect(whole.skipped).toBe(4);
    expect(whole.examples).toEqual([{ text: 'one\ntwo\nthree', label: 'a' }, ...Array.from({ length: 10 }, (_, i) => ({ text: `t${i}`, label: i % 2 ? 'a' : 'b' }))]);
    for (const parts of cuts(text)) expect((await stream(parts, { file: 'e.csv', skipBadLines: true })).errors).toEqual(expected);
  });

  it('reads a quoted two-line header after a BOM, and a malformed quote the way papaparse does, for every cut', async () => {
    const text = [
      '\uFEFF"email\nbody","label"', // 1-2: spreadsheets write header cells with line breaks
      '"he said "  hi\nthere",a', // 3-4: a quote that does not close (papaparse: InvalidQuotes), then one that does
      ...Array.from({ length: 10 }, (_, i) => `"q${i}" ,${i % 2 ? 'a' : 'b'}`), // 5-14: spaces after the closing quote
    ].join('\n');
    const opts = { file: 'q.csv', skipBadLines: true, textColumn: 'email\nbody' };
    const whole = importText(text, opts);
    expect(whole.examples).toEqual(Array.from({ length: 10 }, (_, i) => ({ text: `q${i}`, label: i % 2 ? 'a' : 'b' })));
    expect(whole.errors).toEqual([{ file: 'q.csv', line: 3, message: 'CSV: Trailing quote on quoted field is malformed' }]);
    expect(await expectSameForEveryCut(text, opts, whole)).toBe(text.length);
  });

  it('reads CR-only line ends (old Mac exports), for every cut', async () => {
    const text = ['text,label', '"two\rlines",a', 'no label,', ...Array.from({ length: 10 }, (_, i) => `c${i},${i % 2 ? 'a' : 'b'}`)].join('\r') + '\r';
    const expected: ImportResult = {
      format: 'csv',
      instruction: undefined,
      examples: [{ text: 'two\rlines', label: 'a' }, ...Array.from({ length: 10 }, (_, i) => ({ text: `c${i}`, label: i % 2 ? 'a' : 'b' }))],
      lines: [2, ...Array.from({ length: 10 }, (_, i) => 5 + i)],
      errors: [{ file: 'mac.csv', line: 4, field: 'label', message: 'label is empty' }],
      skipped: 1,
    };
    expect(await expectSameForEveryCut(text, { file: 'mac.csv', skipBadLines: true }, expected)).toBe(text.length);
  });

  it('names the header line when the chosen columns are missing, after leading blank lines', async () => {
    const text = '\r\n\r\nbody,category\r\n' + Array.from({ length: 12 }, (_, i) => `m${i},${i % 2 ? 'a' : 'b'}`).join('\r\n');
    const expected = [{ file: 'h.csv', line: 3, field: 'text, label', message: 'missing columns "text" and "label" (found: body, category); choose the text and label columns' }];
    for (const parts of cuts(text)) expect((await stream(parts, { file: 'h.csv' })).errors).toEqual(expected);
    const chosen = await stream([...text], { file: 'h.csv', textColumn: 'body', labelColumn: 'category' });
    expect(chosen.examples.length).toBe(12);
    expect(chosen.examples[11]).toEqual({ text: 'm11', label: 'a' });
  });

  it('refuses an empty file, a blank one and one with fewer than 10 examples, however it is cut', async () => {
    for (const text of ['', '\uFEFF', '\r\n\r\n  \n']) {
      expect(await stream([...text], { file: 'z.csv' })).toEqual({ format: 'csv', examples: [], lines: [], errors: [], skipped: 0, refused: 'z.csv is empty.' });
    }
    const nine = ['text,label', ...Array.from({ length: 9 }, (_, i) => `n${i},${i % 2 ? 'a' : 'b'}`)].join('\r\n');
    for (const parts of cuts(nine)) {
      expect((await stream(parts, { file: 'n.csv' })).refused).toBe('n.csv has only 9 usable examples; at least 10 are needed to train and evaluate anything.');
    }
  });

  it('a 20 MB CSV streamed in 64 KB chunks: every row, the right line for the error, progress to the end', async () => {
    const labels = ['invoice', 'order', 'support', 'spam'];
    const rows = ['text,label'];
    let i = 0;
    let size = 11;
    while (size < 20 * 1024 * 1024) {
      // Every seventh row spans two lines and quotes a comma: real lines run ahead of rows.
      const row = i % 7 === 3 ? `"Message ${i}, about ""${labels[i % 4]}""\r\nsecond line of message ${i}",${labels[i % 4]}` : `Message number ${i} asks about the ${labels[i % 4]} in plain words,${labels[i % 4]}`;
      rows.push(row);
      size += row.length + 2;
      i++;
    }
    const count = i;
    const lines = 1 + count + Math.floor((count - 4) / 7) + 1; // header, rows, extra lines of the two-line rows
    rows.push('the last row has no label,');
    const text = rows.join('\r\n');
    expect(text.length).toBeGreaterThan(20 * 1024 * 1024);
    const CHUNK = 64 * 1024;
    let calls = 0;
    let last = 0;
    const r = await importStream(
      (async function* () {
        for (let k = 0; k < text.length; k += CHUNK) yield text.slice(k, k + CHUNK);
      })(),
      { file: 'big.csv', skipBadLines: true },
      (n) => {
        calls++;
        last = n;
      },
    );
    expect(r.examples.length).toBe(count);
    expect(r.skipped).toBe(1);
    expect(r.errors).toEqual([{ file: 'big.csv', line: lines + 1, field: 'label', message: 'label is empty' }]);
    expect(r.examples[3]).toEqual({ text: 'Message 3, about "spam"\r\nsecond line of message 3', label: 'spam' });
    expect(r.examples[count - 1].text).toContain(`${count - 1}`);
    expect(new Set(r.examples.map((e) => e.label))).toEqual(new Set(labels));
    expect(calls).toBe(Math.ceil(text.length / CHUNK));
    expect(last).toBe(text.length);
  });

  it('holds one chunk and the unfinished record, not the text read so far', () => {
    const p = new DelimitedParser({ file: 'm.csv' }, ',');
    const internals = p as unknown as { buf: string; pending: unknown[] };
    const row = (i: number) => `"row ${i}\nhas two lines",${i % 2 ? 'a' : 'b'}\n`;
    let text = 'text,label\n';
    for (let i = 0; i < 20_000; i++) text += row(i);
    const CHUNK = 4096;
    let most = 0;
    for (let k = 0; k < text.length; k += CHUNK) {
      p.push(text.slice(k, k + CHUNK));
      most = Math.max(most, internals.buf.length);
      expect(internals.pending.length).toBe(0);
    }
    p.finish();
    expect(most).toBeLessThan(CHUNK + row(20_000).length);
    expect(p.examples.length).toBe(20_000);
    expect(p.examples[19_999]).toEqual({ text: 'row 19999\nhas two lines', label: 'a' });
    expect(p.errors).toEqual([]);
  });
});

describe('TSV streaming', () => {
  it('gives the whole-text result for every cut, chosen columns and line numbers included', async () => {
    expect(await expectSameForEveryCut(TSV, TSV_OPTS, TSV_RESULT)).toBe(TSV.length);
  });

  it('with CRLF and a BOM too', async () => {
    const crlf = '\uFEFF' + TSV.replace(/\n/g, '\r\n');
    const expected: ImportResult = {
      ...TSV_RESULT,
      examples: TSV_RESULT.examples.map((e, i) => (i === 0 ? { text: 'tab\there\r\nand a second line', label: 'a' } : e)),
    };
    expect(await expectSameForEveryCut(crlf, TSV_OPTS, expected)).toBe(crlf.length);
  });

  it('detects TSV from the content of an extensionless file even when the first chunk is one character', async () => {
    const text = ['text\tlabel', ...Array.from({ length: 10 }, (_, i) => `tab ${i}\t${i % 2 ? 'a' : 'b'}`)].join('\n');
    const r = await stream([...text], { file: 'upload' });
    expect(r.format).toBe('tsv');
    expect(r.examples.length).toBe(10);
    expect(r.examples[9]).toEqual({ text: 'tab 9', label: 'a' });
  });
});

describe('JSON array through the stream', () => {
  it('is gathered and parsed whole, with progress, and broken JSON names its line', async () => {
    const arr = Array.from({ length: 10 }, (_, i) => ({ text: `t${i}`, label: i % 2 ? 'x' : 'y' }));
    const text = JSON.stringify(arr, null, 1);
    let progress = 0;
    const r = await stream([...text], { file: 'a.json' }, (n) => (progress = n));
    expect(progress).toBe(text.length);
    expect(r.examples).toEqual(arr);
    const broken = '[\n{"text": "a", "label": "b"},\n{"text": "c", label: "d"}\n]';
    const b = await stream([broken.slice(0, 5), broken.slice(5)], { file: 'b.json' });
    expect(b.errors.map((e) => e.line)).toEqual([3]);
    expect(b.errors[0].message).toMatch(/^broken JSON: /);
  });
});
