// `npm run -s validate -- FILE [--max-len N] [--skip-bad-lines]`: errors as FILE:LINE: message and exit 1,
// or one JSON summary (counts, labels, warnings) and exit 0.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { importText } from '../../src/data/import';
import { validateDataset } from '../../src/data/validate';
import { splitDataset } from '../../src/data/split';
import { createTokenizer } from '../../src/model/tokenizer';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'max-len': { type: 'string', default: '128' }, 'skip-bad-lines': { type: 'boolean' }, 'text-column': { type: 'string' }, 'label-column': { type: 'string' } },
});
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: npm run -s validate -- FILE [--max-len 128] [--skip-bad-lines] [--text-column text --label-column label]\n');
  process.exit(2);
}
let text: string;
try {
  text = readFileSync(file, 'utf8');
} catch (e) {
  process.stderr.write(`${file}: ${(e as Error).message}\n`);
  process.exit(1);
}
const r = importText(text, { file, skipBadLines: values['skip-bad-lines'], textColumn: values['text-column'], labelColumn: values['label-column'] });
for (const e of r.errors) process.stdout.write(`${e.file}:${e.line}: ${e.field ? `${e.field}: ` : ''}${e.message}\n`);
if (r.refused) {
  process.stdout.write(`${file}: ${r.refused}\n`);
  process.exit(1);
}
// Token counts with the built-in model's real tokenizer, so "longer than max-len" is exact for it.
const dir = resolve('public/models/tiny-bert');
const tok = createTokenizer(JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8')), JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, 'utf8')), 'bert');
const maxLen = Number(values['max-len']);
const report = validateDataset(r.examples, { maxLen, countTokens: (t) => tok.encode(t, 1 << 20).length, splits: splitDataset(r.examples, { seed: 0 }) });
process.stdout.write(
  JSON.stringify({
    file,
    format: r.format,
    examples: report.total,
    skipped: r.skipped,
    instruction: r.instruction,
    labels: Object.fromEntries(report.labels.map((l) => [l.label, l.count])),
    warnings: report.warnings.map((w) => ({ kind: w.kind, message: w.message, why: w.why })),
  }) + '\n',
);
