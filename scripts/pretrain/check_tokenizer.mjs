// Loads tabtune-mini's tokenizer.json with @xenova/transformers' BertTokenizer (what the app uses) and checks it
// gives the same ids as the Python WordPiece that trained the model, on the cases tokenizer_cases.py wrote.
// usage: node scripts/pretrain/check_tokenizer.mjs [work dir] [model dir]
import { readFileSync } from 'node:fs';
import { BertTokenizer } from '@xenova/transformers';

const work = process.argv[2] ?? 'tmp/pretrain';
const dir = process.argv[3] ?? 'public/models/tabtune-mini';
const tokenizerJson = JSON.parse(readFileSync(`${dir}/tokenizer.json`, 'utf8'));
const tokenizerConfig = JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, 'utf8'));
const tok = new BertTokenizer(tokenizerJson, tokenizerConfig);
const cases = JSON.parse(readFileSync(`${work}/tokenizer_cases.json`, 'utf8'));
let bad = 0;
for (const { text, ids } of cases) {
  const got = tok.encode(text).map(Number);
  if (got.length !== ids.length || got.some((x, i) => x !== ids[i])) {
    bad++;
    console.log(`MISMATCH ${JSON.stringify(text)}\n  python ${JSON.stringify(ids)}\n  js     ${JSON.stringify(got)}`);
  }
}
console.log(`${cases.length - bad} passed, ${bad} failed`);
process.exit(bad ? 1 : 0);
