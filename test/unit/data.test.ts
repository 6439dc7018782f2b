import { describe, expect, it } from 'vitest';
import { importText, importStream, type ImportResult } from '../../src/data/import';
import { validateDataset, normaliseText } from '../../src/data/validate';
import { splitDataset, datasetHash } from '../../src/data/split';
import { generateEmails, toChatJsonl, EMAIL_LABELS } from '../../src/data/synth';
import { composeEmails, SCENARIOS, AMBIGUOUS, type EmailRecord } from '../../src/data/synth/compose';
import { createSlots, expand, fill } from '../../src/data/synth/slots';
import { createRng } from '../../src/util/rng';

const line = (user: string, label: string, system = 'You are an email classifier.') =>
  JSON.stringify({ messages: [{ role: 'system', content: system }, { role: 'user', content: user }, { role: 'assistant', content: label }] });
const good = (n: number) => Array.from({ length: n }, (_, i) => line(`Email number ${i}`, i % 2 ? 'spam' : 'order'));

describe('chat JSONL import', () => {
  it('reads text, label and instruction, accepting a BOM, CRLF line ends and blank lines', () => {
    const text = '\uFEFF' + good(12).join('\r\n') + '\r\n\r\n';
    const r = importText(text, { file: 'mail.jsonl' });
    expect(r.format).toBe('chat-jsonl');
    expect(r.errors).toEqual([]);
    expect(r.examples.length).toBe(12);
    expect(r.examples[1]).toEqual({ text: 'Email number 1', label: 'spam' });
    expect(r.instruction).toBe('You are an email classifier.');
  });

  it('names file, line and field for every kind of error, and stores nothing', () => {
    const lines = [
      ...good(10),
      '{"messages": [',
      '{"foo": 1}',
      '{"messages": "hello"}',
      JSON.stringify({ messages: [{ role: 'system', content: 'x' }, { role: 'assistant', content: 'spam' }] }),
      JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
      JSON.stringify({ messages: [{ role: 'user', content: '  ' }, { role: 'assistant', content: 'spam' }] }),
      JSON.stringify({ messages: [{ role: 'user', content: 42 }, { role: 'assistant', content: 'spam' }] }),
      JSON.stringify({ messages: [{ role: 'bot', content: 'hi' }, { role: 'assistant', content: 'spam' }] }),
      JSON.stringify({ messages: [{ role: 'user', content: 'hi', mood: 'happy' }, { role: 'assistant', content: 'spam' }] }),
    ];
    const r = importText(lines.join('\n'), { file: 'bad.jsonl' });
    expect(r.examples).toEqual([]);
    expect(r.refused).toMatch(/^9 errors in 9 lines; nothing was stored/);
    const brief = r.errors.map((e) => `${e.file}:${e.line}:${e.field ?? ''}: ${e.message.replace(/:.*$/, '')}`);
    expect(brief).toEqual([
      'bad.jsonl:11:: broken JSON',
      'bad.jsonl:12:messages: "messages" is missing',
      'bad.jsonl:13:messages: "messages" must be a list',
      'bad.jsonl:14:messages: no user message (the text to classify)',
      'bad.jsonl:15:messages: no assistant message (the label)',
      'bad.jsonl:16:messages[0].content: content is empty',
      'bad.jsonl:17:messages[0].content: content must be a string (got number)',
      'bad.jsonl:18:messages[0].role: unknown role "bot" (allowed',
      'bad.jsonl:19:messages[0].mood: unrecognized key "mood" (allowed',
    ]);
  });

  it('allows the keys the hosted services allow in a message: name and weight', () => {
    const ok = Array.from({ length: 10 }, (_, i) => JSON.stringify({ messages: [{ role: 'system', content: 'Classify.', name: 'setup' }, { role: 'user', content: `mail ${i}`, name: 'alice' }, { role: 'assistant', content: i % 2 ? 'a' : 'b', weight: 1 }] }));
    const r = importText(ok.join('\n'), { file: 'ok.jsonl' });
    expect(r.errors).toEqual([]);
    expect(r.examples.length).toBe(10);
  });

  it('keeps the good lines when asked to skip bad ones, and says how many were skipped', () => {
    const r = importText(['{oops', ...good(11), '', '{"messages": []}'].join('\n'), { file: 'x.jsonl', skipBadLines: true });
    expect(r.refused).toBeUndefined();
    expect(r.examples.length).toBe(11);
    expect(r.skipped).toBe(2);
    // Each kept example's line in the file, for checks made after import (an evaluation file's labels).
    expect(r.lines).toEqual(Array.from({ length: 11 }, (_, i) => i + 2));
    const arr = importText(JSON.stringify([{ text: 'x' }, ...Array.from({ length: 10 }, (_, i) => ({ text: `t${i}`, label: i % 2 ? 'a' : 'b' }))]), { file: 'a.json', skipBadLines: true });
    expect(arr.lines).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
  });

  it('refuses an empty file and fewer than 10 examples, with a reason', () => {
    expect(importText('\n\n', { file: 'e.jsonl' }).refused).toBe('e.jsonl is empty.');
    expect(importText(good(9).join('\n'), { file: 's.jsonl' }).refused).toBe('s.jsonl has only 9 usable examples; at least 10 are needed to train and evaluate anything.');
  });

  it('streams a large file to the same result as reading it whole', async () => {
    const text = toChatJsonl(generateEmails({ count: 3000, seed: 9 }));
    const whole = importText(text, { file: 'big.jsonl' });
    async function* chunks() {
      for (let i = 0; i < text.length; i += 4093) yield text.slice(i, i + 4093);
    }
    let progress = 0;
    const streamed: ImportResult = await importStream(chunks(), { file: 'big.jsonl' }, (n) => (progress = n));
    expect(progress).toBe(text.length);
    expect(streamed.examples).toEqual(whole.examples);
    expect(streamed.examples.length).toBe(3000);
  });
});

describe('CSV, TSV and JSON import', () => {
  it('reads quoted commas and newlines in CSV and names the real line of an empty label', () => {
    const rows = ['text,label', '"Hello, world",order', '"multi\nline text",spam', ...Array.from({ length: 9 }, (_, i) => `row ${i},order`), 'no label here,'];
    const r = importText(rows.join('\n'), { file: 'd.csv' });
    expect(r.errors).toEqual([{ file: 'd.csv', line: 14, field: 'label', message: 'label is empty' }]);
    const ok = importText(rows.slice(0, -1).join('\n'), { file: 'd.csv' });
    expect(ok.examples[0]).toEqual({ text: 'Hello, world', label: 'order' });
    expect(ok.examples[1]).toEqual({ text: 'multi\nline text', label: 'spam' });
    expect(ok.examples.length).toBe(11);
  });

  it('uses other column names when chosen, and says which columns are missing', () => {
    const rows = ['body\tcategory', ...Array.from({ length: 12 }, (_, i) => `mail ${i}\t${i % 2 ? 'a' : 'b'}`)].join('\n');
    expect(importText(rows, { file: 't.tsv' }).errors[0].message).toMatch(/missing columns "text" and "label" \(found: body, category\)/);
    expect(importText(rows, { file: 't.tsv', textColumn: 'body', labelColumn: 'category' }).examples.length).toBe(12);
  });

  it('reads a JSON array of {text, label} and names a bad element', () => {
    const arr = Array.from({ length: 10 }, (_, i) => ({ text: `t${i}`, label: i % 2 ? 'x' : 'y' }));
    expect(importText(JSON.stringify(arr), { file: 'a.json' }).examples.length).toBe(10);
    const bad = importText(JSON.stringify([...arr, { text: 'x' }]), { file: 'a.json' });
    expect(bad.errors).toEqual([{ file: 'a.json', line: 11, field: '[10].label', message: 'label must be a non-empty string' }]);
  });
});

describe('warnings that teach', () => {
  it('flags small data, rare classes, imbalance, duplicates, conflicts, truncation and leakage, each with a why', () => {
    const ex = [
      ...Array.from({ length: 60 }, (_, i) => ({ text: `order ${i} shipped to you`, label: 'order' })),
      ...Array.from({ length: 5 }, (_, i) => ({ text: `invoice number ${i}`, label: 'invoice' })),
      { text: 'same text', label: 'order' },
      { text: 'same text', label: 'invoice' },
      { text: 'word '.repeat(200), label: 'order' },
    ];
    const r = validateDataset(ex, { maxLen: 128, splits: splitDataset(ex, { seed: 0 }) });
    const kinds = r.warnings.map((w) => w.kind);
    expect(kinds).toEqual(['too-few', 'rare-class', 'imbalance', 'duplicates', 'near-duplicates', 'conflicting-labels', 'truncated', 'leakage']);
    expect(r.warnings.every((w) => w.why.endsWith('.') && w.why.length > 30)).toBe(true);
    expect(r.warnings.find((w) => w.kind === 'imbalance')!.message).toBe('Imbalanced labels: "order" has 10.3× as many examples as "invoice".');
    expect(r.warnings.find((w) => w.kind === 'truncated')!.count).toBe(1);
  });

  it('stays quiet on a healthy dataset', () => {
    const ex = generateEmails({ count: 2000, seed: 3 });
    const r = validateDataset(ex, { maxLen: 512, splits: splitDataset(ex, { seed: 0 }) });
    expect(r.warnings.filter((w) => ['too-few', 'rare-class', 'imbalance', 'conflicting-labels', 'truncated'].includes(w.kind))).toEqual([]);
  });
});

describe('splits and versions', () => {
  const ex = generateEmails({ count: 1000, seed: 2 });
  it('is deterministic and stratified 80/10/10 per label', () => {
    const a = splitDataset(ex, { seed: 7 });
    const b = splitDataset(ex, { seed: 7 });
    expect(a.test.map((e) => e.index)).toEqual(b.test.map((e) => e.index));
    expect(splitDataset(ex, { seed: 8 }).test.map((e) => e.index)).not.toEqual(a.test.map((e) => e.index));
    for (const label of EMAIL_LABELS) {
      expect(a.train.filter((e) => e.label === label).length).toBe(200);
      expect(a.validation.filter((e) => e.label === label).length).toBe(25);
      expect(a.test.filter((e) => e.label === label).length).toBe(25);
    }
  });

  it('names a version by the SHA-256 of its canonical content', async () => {
    const h = await datasetHash([{ text: 'a', label: 'x' }]);
    // sha256('["a","x"]')
    expect(h).toBe('40c0bc08fb0525db40e29b471e3a9d104357bddc4e10f852cb32d53cd4feb59b');
    expect(await datasetHash(ex)).toBe(await datasetHash([...ex]));
    expect(await datasetHash(ex.slice(1))).not.toBe(await datasetHash(ex));
  });
});

describe('the email generator', () => {
  it('is deterministic, balanced, varied and exports chat JSONL that imports back unchanged', () => {
    const a = generateEmails({ count: 1001, seed: 5 });
    expect(generateEmails({ count: 1001, seed: 5 })).toEqual(a);
    expect(generateEmails({ count: 1001, seed: 6 })).not.toEqual(a);
    const counts = EMAIL_LABELS.map((l) => a.filter((e) => e.label === l).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(new Set(a.map((e) => e.text)).size).toBeGreaterThan(990);
    const back = importText(toChatJsonl(a), { file: 'g.jsonl' });
    expect(back.examples).toEqual(a);
    expect(() => generateEmails({ count: 50_001, seed: 1 })).toThrow(/1 to 50,000/);
  });

  // 2,000 mails, as the demo trains on; the figures below are what a generator a model cannot memorise looks like.
  const mails = composeEmails({ count: 2000, seed: 0, ambiguity: 0.05 });
  const words = (t: string) => t.match(/\S+/g)?.length ?? 0;
  const share = (pred: (m: EmailRecord) => boolean, xs: EmailRecord[] = mails) => xs.filter(pred).length / xs.length;

  it('writes 60+ body patterns per class from 20+ kinds of mail, and almost no two bodies alike', () => {
    for (const label of EMAIL_LABELS) {
      const own = mails.filter((m) => m.label === label);
      expect(new Set(own.map((m) => m.pattern)).size, label).toBeGreaterThanOrEqual(60);
      expect(new Set(own.map((m) => m.scenario)).size, label).toBeGreaterThanOrEqual(20);
      expect(SCENARIOS[label].length, label).toBeGreaterThanOrEqual(18);
    }
    expect(new Set(mails.map((m) => m.text)).size).toBeGreaterThanOrEqual(1995);
    // Not even the same words with other numbers: near-duplicates are what templates with slots usually produce.
    expect(new Set(mails.map((m) => normaliseText(m.text))).size).toBeGreaterThanOrEqual(1980);
    // Every slot and [a|b] alternative is filled.
    expect(mails.filter((m) => /\{\w+\}|undefined|NaN|\[[^\]\n]*\|/.test(m.text))).toEqual([]);
  });

  it('renders every template of every kind of mail, each slot known', () => {
    const rng = createRng(1);
    let n = 0;
    for (const sc of [...Object.values(SCENARIOS).flat(), ...AMBIGUOUS]) {
      for (const t of [...sc.subjects, ...sc.opens, ...(sc.details ?? []), ...(sc.asks ?? []), ...(sc.shorts ?? [])]) {
        const slots = createSlots(rng);
        expect(fill(expand(rng, t), slots.get), `${sc.id}: ${t}`).not.toMatch(/\{\w*\}?|\[[^\]]*\||undefined|NaN/);
        n++;
      }
    }
    expect(n).toBeGreaterThan(1200);
  });

  it('mixes one-liners, ordinary mails and long ones, none too long for 512 tokens', () => {
    const n = mails.map((m) => words(m.text));
    expect(share((m) => words(m.text) <= 15)).toBeGreaterThan(0.07);
    expect(share((m) => words(m.text) > 80)).toBeGreaterThan(0.05);
    expect(share((m) => words(m.text) > 80)).toBeLessThan(0.3);
    expect(Math.min(...n)).toBeGreaterThanOrEqual(3);
    expect(Math.max(...n)).toBeLessThanOrEqual(300);
  });

  it('has the structure of real mail: subjects, quoted replies, forwards, signatures, line items, many currencies', () => {
    expect(share((m) => m.subject)).toBeGreaterThan(0.2);
    expect(share((m) => !!m.quoted)).toBeGreaterThan(0.05);
    expect(share((m) => /^> /m.test(m.text))).toBeGreaterThan(0.03);
    expect(share((m) => /Forwarded message|Begin forwarded message|Original Message/.test(m.text))).toBeGreaterThan(0.04);
    expect(share((m) => m.items)).toBeGreaterThan(0.02);
    expect(share((m) => /\+\d{1,3} [\d -]{6,}|\(\d{3}\) \d{3}-\d{4}/.test(m.text))).toBeGreaterThan(0.03);
    expect(share((m) => /Sent from my|Get Outlook/.test(m.text))).toBeGreaterThan(0.01);
    // 1.234,56 and 1,234.56 both, and money in at least a dozen currencies.
    expect(share((m) => /\d\.\d{3},\d{2}/.test(m.text))).toBeGreaterThan(0.005);
    expect(share((m) => /\d,\d{3}\.\d{2}/.test(m.text))).toBeGreaterThan(0.02);
    const currencies = ['$', '€', '£', '₹', '¥', 'zł', ' kr', 'CHF', 'R$', '₦', 'KSh', 'AED', 'Kč', 'A$', 'CA$', 'Rs.'];
    expect(currencies.filter((c) => mails.some((m) => m.text.includes(c))).length).toBeGreaterThanOrEqual(12);
    // Names from many regions, not only English ones.
    expect(share((m) => /[À-žŁłŞşİı]/.test(m.text))).toBeGreaterThan(0.08);
  });

  it('says each class without its obvious keyword most of the time', () => {
    const without = (label: string, re: RegExp) => share((m) => !re.test(m.text), mails.filter((m) => m.label === label));
    expect(without('invoice', /invoice/i)).toBeGreaterThan(0.6);
    expect(without('order', /\border/i)).toBeGreaterThan(0.35);
    expect(without('support', /support|help/i)).toBeGreaterThan(0.6);
    expect(without('spam', /click|win|free|prize/i)).toBeGreaterThan(0.6);
  });

  it('adds writing noise: typos, lower case, shouting, text-speak', () => {
    expect(share((m) => m.noise.length > 0)).toBeGreaterThan(0.2);
    expect(share((m) => m.noise.length > 0)).toBeLessThan(0.6);
    expect(share((m) => m.text === m.text.toLowerCase())).toBeGreaterThan(0.01);
    expect(share((m) => m.text === m.text.toUpperCase())).toBeGreaterThan(0.005);
    for (const k of ['slips', 'text-speak', 'non-native', 'no-punctuation'] as const) expect(share((m) => m.noise.includes(k)), k).toBeGreaterThan(0.01);
  });

  it('keeps the share of ambiguous mails to the option, classes still balanced', () => {
    expect(share((m) => m.ambiguous)).toBeGreaterThan(0.03);
    expect(share((m) => m.ambiguous)).toBeLessThan(0.07);
    expect(composeEmails({ count: 500, seed: 1, ambiguity: 0 }).filter((m) => m.ambiguous)).toEqual([]);
    const half = composeEmails({ count: 2000, seed: 1, ambiguity: 0.5 });
    expect(share((m) => m.ambiguous, half)).toBeGreaterThan(0.45);
    expect(share((m) => m.ambiguous, half)).toBeLessThan(0.55);
    for (const label of EMAIL_LABELS) expect(half.filter((m) => m.label === label).length).toBe(500);
  });

  it('labels ambiguous mails by the written rule, and the outermost message decides', () => {
    // The tie-breaks of the labelling rule (src/data/synth.ts), one line per kind of ambiguous mail.
    const RULE: Record<string, string> = {
      'phish-invoice': 'spam', 'phish-order': 'spam', 'phish-refund': 'spam', 'phish-delivery-known-shop': 'spam', 'payment-redirect-supplier': 'spam',
      'unsolicited-bill': 'spam', 'shop-promo': 'spam', 'gift-card-colleague': 'spam',
      'forwarded-phishing': 'support', 'relative-scam': 'support', 'complaint-order': 'support', 'dispute-invoice': 'support', 'invoice-feature-howto': 'support',
      'cancel-blocked': 'support', 'legit-account': 'support', 'case-survey': 'support',
      'seller-delay': 'order', 'replacement-reply': 'order', 'refund-return': 'order', 'shipped-with-receipt': 'order', 'collect-balance': 'order',
      'buyer-change': 'order', 'colleague-status': 'order',
      'billing-credit-reply': 'invoice', 'service-credit': 'invoice', 'angry-unpaid': 'invoice', 'purchase-tax-receipt': 'invoice', 'reissue-address': 'invoice',
    };
    const all = composeEmails({ count: 4000, seed: 2, ambiguity: 1 });
    expect(new Set(all.map((m) => m.scenario.replace('ambiguous/', '')))).toEqual(new Set(Object.keys(RULE)));
    expect(AMBIGUOUS.every((a) => a.why && a.why.length > 20)).toBe(true);
    for (const m of all) expect(m.label, m.scenario).toBe(RULE[m.scenario.replace('ambiguous/', '')]);
    // Mails that imitate a bill, delivery or refund are spam because they push a link, a phone number or new bank details.
    for (const m of [...all, ...mails].filter((x) => x.label === 'spam' && /phish|payment-redirect|fake-invoice/.test(x.scenario))) expect(m.text, m.scenario).toMatch(/https?:|hxxp|bit\.ly|tinyurl|\.[a-z]{2,}\/|\+\d|\d{3}[\s-]\d{3}|account|bank/i);

    // Quoted and forwarded text is context: the label is the outer message's, except for a bare or FYI forward.
    const regular = mails.filter((m) => !m.ambiguous);
    for (const m of regular) expect(m.scenario.startsWith(`${m.label}/`), m.scenario).toBe(true);
    expect(mails.filter((m) => m.quoted && m.quoted !== m.label).length).toBeGreaterThan(30);
    const forwards = mails.filter((m) => m.forwarded);
    expect(forwards.filter((m) => m.label !== m.forwarded).every((m) => m.scenario === 'ambiguous/forwarded-phishing')).toBe(true);
    expect(forwards.length).toBeGreaterThan(40);
  });

  it('makes 2,000 mails (time printed, not asserted: no test fails on a time)', () => {
    generateEmails({ count: 200, seed: 1 });
    const t0 = performance.now();
    expect(generateEmails({ count: 2000, seed: 4 })).toHaveLength(2000);
    console.log(`generator: 2,000 emails in ${(performance.now() - t0).toFixed(0)} ms`);
  });
});

describe('dataset export', () => {
  it('writes CSV that imports back unchanged, quotes, commas and newlines included', async () => {
    const { toCsv } = await import('../../src/data/export');
    const ex = [...generateEmails({ count: 100, seed: 8 }), { text: 'He said "hi", then\nleft', label: 'support' }];
    const back = importText(toCsv(ex), { file: 'x.csv' });
    expect(back.errors).toEqual([]);
    expect(back.examples).toEqual(ex);
  });
});

describe('mixed data (rehearsing an earlier dataset)', () => {
  it('adds a seeded sample of the earlier examples whose labels the new dataset has', async () => {
    const { mixIn } = await import('../../src/data/mix');
    const train = Array.from({ length: 20 }, (_, i) => ({ text: `new ${i}`, label: i % 2 ? 'a' : 'b' }));
    const earlier = Array.from({ length: 30 }, (_, i) => ({ text: `old ${i}`, label: ['a', 'b', 'c'][i % 3] }));
    const m = mixIn(train, earlier, ['a', 'b'], 0.25, 7);
    expect(m.added).toBe(5);
    expect(m.train.slice(0, 20)).toEqual(train);
    expect(m.train.slice(20).every((e) => e.text.startsWith('old') && e.label !== 'c')).toBe(true);
    expect(new Set(m.train.slice(20).map((e) => e.text)).size).toBe(5);
    expect(m.unusableLabels).toEqual(['c']);
    // The same seed gives the same sample (a resumed run trains on the same data); another seed, another one.
    expect(mixIn(train, earlier, ['a', 'b'], 0.25, 7).train).toEqual(m.train);
    expect(mixIn(train, earlier, ['a', 'b'], 0.25, 8).train).not.toEqual(m.train);
    // Never more than there is; off at share 0.
    expect(mixIn(train, earlier, ['a', 'b'], 5, 7).added).toBe(20);
    expect(mixIn(train, earlier, ['a', 'b'], 0, 7)).toEqual({ train, added: 0, unusableLabels: [] });
  });
});
