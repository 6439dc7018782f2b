// The demo's built-in hand-written suite: what the page bundles and `train --data demo` reads.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import handwritten from '../../src/data/handwritten-emails.jsonl?raw';
import { DEMO_SUITE_FILE, demoSuiteId, parseDemoSuite } from '../../src/data/demo-suite';
import { EMAIL_LABELS, generateEmails } from '../../src/data/synth';
import { checkSuite } from '../../src/store/suites';
import { splitDataset } from '../../src/data/split';
import { DEMO_DATASET } from '../../src/config';

describe('the hand-written email suite', () => {
  it('is the file on disk, 205 emails in the four demo labels, none of them in the generated training split', () => {
    expect(handwritten).toBe(readFileSync(`src/data/${DEMO_SUITE_FILE}`, 'utf8'));
    const examples = parseDemoSuite(handwritten);
    expect(examples).toHaveLength(205);
    const counts = Object.fromEntries(EMAIL_LABELS.map((l) => [l, examples.filter((e) => e.label === l).length]));
    expect(counts).toEqual({ invoice: 52, order: 51, support: 52, spam: 50 });
    const demo = generateEmails({ count: DEMO_DATASET.count, seed: DEMO_DATASET.seed });
    const split = splitDataset(demo, { seed: 0 });
    const check = checkSuite(DEMO_SUITE_FILE, examples, undefined, [...EMAIL_LABELS].sort(), split.train.map((e) => e.text));
    expect(check).toEqual({ errors: [], warnings: [] });
  });

  it('gets one id per dataset version, and a broken file is refused with its line', () => {
    expect(demoSuiteId('abc')).toBe('builtin:handwritten-emails:abc');
    expect(demoSuiteId('abc')).not.toBe(demoSuiteId('abd'));
    expect(() => parseDemoSuite('{"text": "hello", "label": "spam"}\n{oops\n')).toThrow(/handwritten-emails\.jsonl: .*line 2/);
  });
});
