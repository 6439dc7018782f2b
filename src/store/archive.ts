// Everything in one zip for backup (fflate): a manifest, JSON lines per store, and checkpoints as binary files.
// Import checks the manifest first and writes all of it in one transaction, so a bad archive changes nothing.
import { zipSync, unzipSync, strToU8, strFromU8 } from 'fflate';
import { DB_VERSION, inTransaction, type CheckpointRecord, type TabtuneDb } from './db';

export const ARCHIVE_FORMAT = 'tabtune-archive';

interface Manifest {
  format: string;
  schemaVersion: number;
  created: string;
  counts: Record<string, number>;
}

const jsonl = (rows: unknown[]) => strToU8(rows.map((r) => JSON.stringify(r)).join('\n'));
const parseJsonl = <T>(bytes: Uint8Array | undefined): T[] => (bytes ? strFromU8(bytes).split('\n').filter(Boolean).map((l) => JSON.parse(l) as T) : []);

export async function exportArchive(db: TabtuneDb): Promise<Uint8Array> {
  const [datasets, examples, runs, checkpoints, predictions, suites] = await Promise.all([
    db.getAll('datasets'),
    db.getAll('examples'),
    db.getAll('runs'),
    db.getAll('checkpoints'),
    db.getAll('predictions'),
    db.getAll('suites'),
  ]);
  const files: Record<string, Uint8Array> = {};
  const ckptMeta = checkpoints.map(({ adapter, optimizer, ...meta }) => {
    const base = `checkpoints/${encodeURIComponent(meta.runId)}/${meta.step}`;
    files[`${base}.adapter.safetensors`] = new Uint8Array(adapter);
    files[`${base}.optimizer.safetensors`] = new Uint8Array(optimizer);
    return { ...meta, file: base };
  });
  const manifest: Manifest = {
    format: ARCHIVE_FORMAT,
    schemaVersion: DB_VERSION,
    created: new Date().toISOString(),
    counts: { datasets: datasets.length, examples: examples.length, runs: runs.length, checkpoints: checkpoints.length, predictions: predictions.length, suites: suites.length },
  };
  files['manifest.json'] = strToU8(JSON.stringify(manifest, null, 2));
  files['datasets.jsonl'] = jsonl(datasets);
  files['examples.jsonl'] = jsonl(examples);
  files['runs.jsonl'] = jsonl(runs);
  files['checkpoints.jsonl'] = jsonl(ckptMeta);
  files['predictions.jsonl'] = jsonl(predictions);
  files['suites.jsonl'] = jsonl(suites);
  return zipSync(files, { level: 6 });
}

export async function importArchive(db: TabtuneDb, zip: Uint8Array, { overwrite = false } = {}): Promise<Record<string, number>> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch (e) {
    throw new Error(`This file is not a zip archive (${(e as Error).message}).`);
  }
  if (!files['manifest.json']) throw new Error('This zip has no manifest.json: it is not a tabtune archive.');
  const manifest = JSON.parse(strFromU8(files['manifest.json'])) as Manifest;
  if (manifest.format !== ARCHIVE_FORMAT) throw new Error(`manifest.json says format "${manifest.format}", expected "${ARCHIVE_FORMAT}".`);
  if (manifest.schemaVersion > DB_VERSION) {
    throw new Error(`This archive was made by a newer tabtune (schema ${manifest.schemaVersion}; this one reads up to ${DB_VERSION}). Update tabtune, then import it.`);
  }
  const checkpoints = parseJsonl<Omit<CheckpointRecord, 'adapter' | 'optimizer'> & { file: string }>(files['checkpoints.jsonl']).map(({ file, ...meta }) => {
    const a = files[`${file}.adapter.safetensors`];
    const o = files[`${file}.optimizer.safetensors`];
    if (!a || !o) throw new Error(`The archive lists checkpoint ${file} but its files are missing.`);
    return { ...meta, adapter: a.slice().buffer, optimizer: o.slice().buffer } as CheckpointRecord;
  });
  const data = {
    datasets: parseJsonl(files['datasets.jsonl']),
    examples: parseJsonl(files['examples.jsonl']),
    runs: parseJsonl(files['runs.jsonl']),
    checkpoints,
    predictions: parseJsonl(files['predictions.jsonl']),
    // Archives from schema 1 have no suites file: nothing to add.
    suites: parseJsonl(files['suites.jsonl']),
  } as const;
  const written: Record<string, number> = {};
  const stores = ['datasets', 'examples', 'runs', 'checkpoints', 'predictions', 'suites'] as const;
  const tx = db.transaction([...stores], 'readwrite');
  await inTransaction(tx, async (add) => {
    for (const store of stores) {
      written[store] = 0;
      for (const row of data[store] as never[]) {
        const s = tx.objectStore(store);
        if (!overwrite) {
          const key = s.keyPath as string | string[];
          const k = Array.isArray(key) ? key.map((p) => (row as Record<string, unknown>)[p]) : (row as Record<string, unknown>)[key];
          if ((await s.count(k as never)) > 0) continue;
        }
        add(s.put(row));
        written[store] += 1;
      }
    }
  });
  return written;
}
