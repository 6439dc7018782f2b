// `npm run -s generate -- --count N --seed S --out FILE`: the built-in synthetic emails as chat JSONL.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { generateEmails, toChatJsonl } from '../../src/data/synth';

const { values } = parseArgs({ options: { count: { type: 'string', default: '2000' }, seed: { type: 'string', default: '0' }, out: { type: 'string' }, ambiguity: { type: 'string' } } });
const count = Number(values.count);
const seed = Number(values.seed);
if (!Number.isInteger(count) || count < 100 || count > 50_000) {
  process.stderr.write(`generate: --count must be an integer from 100 to 50,000 (got ${values.count}).\n`);
  process.exit(2);
}
if (!Number.isInteger(seed) || seed < 0) {
  process.stderr.write(`generate: --seed must be a non-negative integer (got ${values.seed}).\n`);
  process.exit(2);
}
const text = toChatJsonl(generateEmails({ count, seed, ambiguity: values.ambiguity === undefined ? undefined : Number(values.ambiguity) }));
if (values.out) {
  writeFileSync(values.out, text);
  process.stderr.write(`wrote ${count} emails to ${values.out}\n`);
} else process.stdout.write(text);
