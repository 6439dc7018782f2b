// Everything in one zip for backup (fflate): a manifest, a JSON-lines part per store, and byte payloads
// (checkpoints, resume points, tuned model weights) as binary files beside them (src/store/archive-parts.ts).
// Import checks the whole archive first and writes all of it in one transaction, so a bad archive changes nothing.
import { zipSync, unzipSync, strToU8, strFromU8 } from 'fflate';
import type { StoreNames } from 'idb';
import { DB_VERSION, inTransaction, type TabtuneDb, type TabtuneSchema } from './db';
import { at, checksOf, joinBinary, jsonl, parseJsonl, splitBinary, takePart, verifyParts, type Line, type PartCheck } from './archive-parts';

export const ARCHIVE_FORMAT = 'tabtune-archive';

type Store = StoreNames<TabtuneSchema>;

/** Every store the archive carries, in the order import writes them; a store missing here is a store a restore loses. */
export const ARCHIVE_STORES = [
  'datasets', 'examples', 'runs', 'checkpoints', 'predictions', 'suites',
  'jobFiles', 'jobFileExamples', 'jobs', 'jobEvents', 'jobCheckpoints', 'jobResumePoints', 'jobResults', 'tunedModels', 'tunedModelWeights',
] as const satisfies readonly Store[];

interface Manifest {
  format: string;
  schemaVersion: number;
  created: string;
  /** Records per store; import refuses a part whose line count differs (a truncated or dropped part). */
  counts: Record<string, number>;
  /** Length and SHA-256 of every binary part (archives before the jobs stores have none). */
  parts?: Record<string, PartCheck>;
}

const partOf = (store: Store) => `${store}.jsonl`;

/** A record's key as its store computes it, so a file name and a duplicate check use the same key. */
const keyOf = (keyPath: string | string[], row: Record<string, unknown>): unknown => (Array.isArray(keyPath) ? keyPath.map((p) => row[p]) : row[keyPath]);

/**
 * Runs' checkpoints keep the layout archives had before the generic one (a `file` stem and two named parts), so
 * an archive made now still imports into a tabtune that reads only that layout.
 */
function splitRunCheckpoint(row: Record<string, unknown>, files: Record<string, Uint8Array>) {
  const { adapter, optimizer, ...meta } = row as { adapter: ArrayBuffer; optimizer: ArrayBuffer; runId: string; step: number };
  const base = `checkpoints/${encodeURIComponent(meta.runId)}/${meta.step}`;
  files[`${base}.adapter.safetensors`] = new Uint8Array(adapter);
  files[`${base}.optimizer.safetensors`] = new Uint8Array(optimizer);
  return { ...meta, file: base };
}
function joinRunCheckpoint(l: Line, files: Record<string, Uint8Array>) {
  const { file, ...meta } = l.value as { file: string };
  if (typeof file !== 'string') throw new Error(`${at(l)} has no checkpoint file name.`);
  return { ...meta, adapter: takePart(files, `${file}.adapter.safetensors`, l).slice().buffer, optimizer: takePart(files, `${file}.optimizer.safetensors`, l).slice().buffer };
}

export async function exportArchive(db: TabtuneDb): Promise<Uint8Array> {
  // One read transaction: a job writing while the backup is taken cannot leave a checkpoint without its job.
  const tx = db.transaction([...ARCHIVE_STORES], 'readonly');
  const keyPaths = ARCHIVE_STORES.map((s) => tx.objectStore(s).keyPath as string | string[]);
  const all = await Promise.all(ARCHIVE_STORES.map((s) => tx.objectStore(s).getAll()));
  const files: Record<string, Uint8Array> = {};
  const counts: Record<string, number> = {};
  ARCHIVE_STORES.forEach((store, i) => {
    const rows = all[i] as Record<string, unknown>[];
    const lines = rows.map((row) => {
      if (store === 'checkpoints') return splitRunCheckpoint(row, files);
      const key = [keyOf(keyPaths[i], row)].flat().map((k) => encodeURIComponent(String(k)));
      return splitBinary(row, `${store}/${key.join('/')}`, files);
    });
    files[partOf(store)] = jsonl(lines);
    counts[store] = rows.length;
  });
  const binary = Object.keys(files).filter((f) => !f.endsWith('.jsonl'));
  const manifest: Manifest = { format: ARCHIVE_FORMAT, schemaVersion: DB_VERSION, created: new Date().toISOString(), counts, parts: await checksOf(files, binary) };
  files['manifest.json'] = strToU8(JSON.stringify(manifest, null, 2));
  return zipSync(files, { level: 6 });
}

function readManifest(files: Record<string, Uint8Array>): Manifest {
  if (!files['manifest.json']) throw new Error('This zip has no manifest.json: it is not a tabtune archive.');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(strFromU8(files['manifest.json'])) as Manifest;
  } catch (e) {
    throw new Error(`manifest.json is not valid JSON (${(e as Error).message}).`);
  }
  if (manifest.format !== ARCHIVE_FORMAT) throw new Error(`manifest.json says format "${manifest.format}", expected "${ARCHIVE_FORMAT}".`);
  if (manifest.schemaVersion > DB_VERSION) {
    throw new Error(`This archive was made by a newer tabtune (schema ${manifest.schemaVersion}; this one reads up to ${DB_VERSION}). Update tabtune, then import it.`);
  }
  return manifest;
}

/**
 * Adds an archive's records to `db` in one transaction. A record whose key is already there is kept as it is
 * unless `overwrite`. Returns how many records each store received. Archives made before a store existed have
 * no part for it and add nothing to it.
 */
export async function importArchive(db: TabtuneDb, zip: Uint8Array, { overwrite = false } = {}): Promise<Record<string, number>> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch (e) {
    throw new Error(`This file is not a zip archive (${(e as Error).message}).`);
  }
  const manifest = readManifest(files);
  await verifyParts(files, manifest.parts ?? {});
  const data = new Map<Store, { l: Line; row: Record<string, unknown> }[]>();
  for (const store of ARCHIVE_STORES) {
    const lines = parseJsonl(partOf(store), files[partOf(store)]);
    const want = manifest.counts?.[store];
    if (want !== undefined && want !== lines.length) {
      throw new Error(`${partOf(store)} holds ${lines.length} records; manifest.json counted ${want}: the part is ${files[partOf(store)] ? 'damaged or truncated' : 'missing'}.`);
    }
    data.set(store, lines.map((l) => ({ l, row: store === 'checkpoints' ? joinRunCheckpoint(l, files) : joinBinary(l, files) })));
  }

  const written: Record<string, number> = {};
  const tx = db.transaction([...ARCHIVE_STORES], 'readwrite');
  await inTransaction(tx, async (add) => {
    for (const store of ARCHIVE_STORES) {
      written[store] = 0;
      const s = tx.objectStore(store);
      const keyPath = s.keyPath as string | string[];
      for (const { l, row } of data.get(store)!) {
        const key = keyOf(keyPath, row);
        try {
          // cmp throws on an invalid key; checked first because count(undefined) would count the whole store.
          indexedDB.cmp(key, key);
        } catch {
          throw new Error(`${at(l)} has no valid key (${[keyPath].flat().join(', ')}).`);
        }
        if (!overwrite && (await s.count(key as never)) > 0) continue;
        add(s.put(row as never));
        written[store] += 1;
      }
    }
  });
  return written;
}
