import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accelerateExportFiles } from '../../src/interop/accelerate-export';
import { DEFAULT_TRAIN_CONFIG } from '../../src/config';
import { generateEmails } from '../../src/data/synth';
import { splitDataset } from '../../src/data/split';
import { importText } from '../../src/data/import';

describe('train on a bigger machine', () => {
  it('exports a train.py that compiles, a config equal to the run, and the pinned splits', () => {
    const ex = generateEmails({ count: 200, seed: 1 });
    const sp = splitDataset(ex, { seed: 0 });
    const strip = (xs: { text: string; label: string }[]) => xs.map(({ text, label }) => ({ text, label }));
    const config = { ...DEFAULT_TRAIN_CONFIG, lr: 3e-4, loraR: 16, loraTargets: ['query', 'key', 'value'] };
    const files = accelerateExportFiles({ modelId: 'sentence-transformers/all-MiniLM-L6-v2', config, data: { labels: ['invoice', 'order', 'spam', 'support'], train: strip(sp.train), validation: strip(sp.validation), test: strip(sp.test) } });
    const dir = mkdtempSync(join(tmpdir(), 'bigger-'));
    mkdirSync(join(dir, 'data'));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    const r = spawnSync('/usr/bin/python3', ['-m', 'py_compile', join(dir, 'train.py')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(files['config.json'])).toMatchObject({ base_model: 'sentence-transformers/all-MiniLM-L6-v2', method: 'lora', learning_rate: 3e-4, epochs: 3, batch_size: 16, lora: { r: 16, alpha: 16, target_modules: ['query', 'key', 'value'] } });
    expect(importText(files['data/test.jsonl'], { file: 'test.jsonl' }).examples).toEqual(strip(sp.test));
    expect(files['README.md']).toMatch(/accelerate launch train.py/);
    // The adapter it writes names its labels, so it imports back (src/model/peft.ts reads tabtune.json).
    expect(files['train.py']).toContain('open("adapter/tabtune.json", "w")');
  });
});
