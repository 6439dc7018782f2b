// Datasets out, in the formats they came in: chat JSONL (hosted fine-tuning services) and CSV. Both import back
// unchanged (test/unit/data.test.ts).
import Papa from 'papaparse';
import type { Example } from '../domain';
export { toChatJsonl } from './synth';

export function toCsv(examples: Example[]): string {
  return Papa.unparse({ fields: ['text', 'label'], data: examples.map((e) => [e.text, e.label]) }, { newline: '\n' }) + '\n';
}
