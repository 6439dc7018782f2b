// Downloads built in the page: a run's adapter as a PEFT zip, a dataset as JSONL or CSV. Zips through fflate.
import { zipSync, unzipSync, strToU8 } from 'fflate';
import type { AppContext } from './context';
import { listSuites, suiteData } from '../store/suites';
import { modelRef } from '../model/catalogue';
import { newRunRecord } from '../store/runs';
import { recordFinishedRun } from '../store/finished-run';
import { h } from './dom';
import type { RunRecord } from '../store/db';
import type { TabtuneDb } from '../store/db';
import { latestCheckpoint } from '../store/checkpoints';
import { peftFiles } from '../model/peft';
import { accelerateExportFiles } from '../interop/accelerate-export';
import type { DataSplits } from '../domain';

export function download(name: string, data: BlobPart, type: string): void {
  const a = h('a', { attrs: { href: URL.createObjectURL(new Blob([data], { type })), download: name } });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 30_000);
}

/** A run as a zip: PEFT adapter files (LoRA and head-only runs) or the raw checkpoint (full), plus run.json. */
export async function exportRunZip(db: TabtuneDb, run: RunRecord): Promise<void> {
  const ckpt = await latestCheckpoint(db, run.id);
  if (!ckpt) throw new Error('This run has no stored checkpoint to export.');
  const files: Record<string, Uint8Array> = { 'run.json': strToU8(JSON.stringify({ ...run, lossCurve: undefined }, null, 2)) };
  if (run.method === 'full') files['checkpoint.safetensors'] = new Uint8Array(ckpt.adapter);
  else {
    Object.assign(
      files,
      peftFiles({
        modelRef: { id: run.modelId, revision: run.modelRevision === 'bundled' ? undefined : run.modelRevision },
        modelType: run.modelType ?? 'bert',
        hiddenSize: 0,
        config: run.config,
        labels: run.labels,
        pooling: run.pooling ?? 'cls',
        checkpoint: ckpt.adapter,
      }),
    );
  }
  download(`${run.id}.zip`, zipSync(files) as BlobPart, 'application/zip');
}

/** The run as a folder for transformers + peft under accelerate (src/interop/accelerate-export.ts), zipped. */
export async function exportBiggerMachineZip(run: RunRecord, data: DataSplits): Promise<void> {
  const files = accelerateExportFiles({ modelId: run.modelId, config: run.config, data });
  download(`${run.id}-accelerate.zip`, zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)]))) as BlobPart, 'application/zip');
}

/** A PEFT adapter zip (or its files) → evaluated by the worker on the active dataset → stored as a run. */
export async function importAdapterZip(ctx: AppContext, file: File): Promise<string> {
  if (!ctx.dataset) throw new Error('Pick or import a dataset first: the adapter is evaluated on its test split.');
  const entries = unzipSync(new Uint8Array(await file.arrayBuffer()));
  const files: Record<string, ArrayBuffer> = {};
  // Zips often hold a folder: match the PEFT file names wherever they sit.
  for (const [path, bytes] of Object.entries(entries)) {
    const name = path.split('/').pop()!;
    if (['adapter_config.json', 'adapter_model.safetensors', 'tabtune.json'].includes(name)) files[name] = bytes.slice().buffer;
  }
  const ref = modelRef(ctx.settings.modelId, location.href);
  const runId = `import-${Date.now().toString(36)}`;
  const suites = suiteData(await listSuites(ctx.db, ctx.dataset.hash));
  const { result, checkpoint, config } = await ctx.client.importAdapter({ runId, model: ref, files, data: ctx.dataset.splits, config: ctx.settings.config, suites });
  const now = Date.now();
  const run = newRunRecord({
    id: runId,
    dataset: { hash: ctx.dataset.hash, name: ctx.dataset.name, labels: ctx.dataset.splits.labels },
    model: ref,
    config,
    backend: result.backend,
    status: 'completed',
    now,
    notes: `imported PEFT adapter ${file.name}`,
  });
  await recordFinishedRun(ctx.db, { run, result, test: ctx.dataset.splits.test, finished: now, checkpoint });
  return runId;
}
