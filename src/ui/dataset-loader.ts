// From examples to an active, stored dataset version: split (pinned by content hash and seed), validate, store
// in one transaction, and hand the splits to the rest of the page.
import type { AppContext } from './context';
import type { ActiveDataset } from './active-dataset';
import type { DataSplits, Example } from '../domain';
import { splitDataset, datasetHash } from '../data/split';
import { validateDataset, type ValidationReport } from '../data/validate';
import { saveDataset, getDataset, getExamples } from '../store/datasets';
import type { TabtuneDb } from '../store/db';
import { ensureDemoSuite } from './demo-suite';

export const SPLIT_SEED = 0;

export async function activateDataset(
  ctx: AppContext,
  examples: Example[],
  meta: { name: string; sourceFile: string; format: string; instruction?: string },
): Promise<{ dataset: ActiveDataset; report: ValidationReport }> {
  const hash = await datasetHash(examples);
  const split = splitDataset(examples, { seed: SPLIT_SEED });
  const report = validateDataset(examples, { maxLen: ctx.settings.config.maxLen, splits: split });
  const labels = [...new Set(examples.map((e) => e.label))].sort();
  if (!(await getDataset(ctx.db, hash))) {
    await saveDataset(
      ctx.db,
      {
        hash,
        name: meta.name,
        sourceFile: meta.sourceFile,
        format: meta.format,
        instruction: meta.instruction,
        labels,
        countsPerLabel: Object.fromEntries(labels.map((l) => [l, examples.filter((e) => e.label === l).length])),
        total: examples.length,
        splitSeed: SPLIT_SEED,
        splitCounts: { train: split.train.length, validation: split.validation.length, test: split.test.length },
        created: Date.now(),
      },
      [...split.train, ...split.validation, ...split.test].sort((a, b) => a.index - b.index),
    );
  }
  // The generated demo comes with its hand-written suite, so every demo run shows a figure on real text.
  if (meta.format === 'generated') await ensureDemoSuite(ctx.db, hash);
  const splits: DataSplits = { labels, train: strip(split.train), validation: strip(split.validation), test: strip(split.test) };
  ctx.dataset = { hash, name: meta.name, instruction: meta.instruction, splits };
  ctx.bus.emit('dataset');
  return { dataset: ctx.dataset, report };
}

export async function loadSplits(db: TabtuneDb, hash: string): Promise<DataSplits> {
  const record = await getDataset(db, hash);
  if (!record) throw new Error(`Dataset ${hash.slice(0, 12)} is no longer stored in this browser.`);
  const rows = (await getExamples(db, hash)).sort((a, b) => a.index - b.index);
  const pick = (s: string) => rows.filter((r) => r.split === s).map((r) => ({ text: r.text, label: r.label }));
  return { labels: record.labels, train: pick('train'), validation: pick('validation'), test: pick('test') };
}

function strip(rows: { text: string; label: string }[]): Example[] {
  return rows.map((r) => ({ text: r.text, label: r.label }));
}
