// Versions that answer "what fixed what": promotion through the gate, and a change log built from the records.
import type { RunRecord, TabtuneDb } from './db';
import { listRuns, updateRun } from './runs';
import { promotionGate, type GateDecision, type SuiteResult } from '../guards/promotion';
import { getExamples } from './datasets';
import { listSuites } from './suites';

/** The evaluation suites a run was scored on: the dataset's pinned test split, and each user-added suite that
 * still exists and that the run was scored on (the gate reports the ones it was not). */
export async function suitesOf(db: TabtuneDb, run: RunRecord): Promise<SuiteResult[]> {
  if (!run.after) return [];
  const test = (await getExamples(db, run.datasetHash, 'test')).sort((a, b) => a.index - b.index);
  const labels = run.after.perClass.map((c) => c.label);
  const out: SuiteResult[] = [{ suite: 'test split', accuracy: run.after.accuracy, macroF1: run.after.macroF1, correct: run.after.predictions.map((p, i) => labels[p] === test[i]?.label) }];
  const stored = new Map((await listSuites(db, run.datasetHash)).map((s) => [s.id, s]));
  for (const r of run.suites ?? []) {
    const suite = stored.get(r.suiteId);
    if (!suite) continue;
    out.push({ suite: `suite "${suite.name}"`, accuracy: r.after.accuracy, macroF1: r.after.macroF1, correct: r.after.predictions.map((p, i) => labels[p] === suite.examples[i]?.label) });
  }
  return out;
}

export async function promotedRuns(db: TabtuneDb, datasetHash: string): Promise<RunRecord[]> {
  return (await listRuns(db)).filter((r) => r.datasetHash === datasetHash && r.promotedAt).sort((a, b) => a.promotedAt! - b.promotedAt!);
}

export interface PromotionOutcome extends GateDecision {
  against?: RunRecord;
}

/** Promotes `runId` when it does not fall below the current version on any suite by more than `tolerance`. */
export async function promote(db: TabtuneDb, runId: string, tolerance: number): Promise<PromotionOutcome> {
  const run = (await listRuns(db)).find((r) => r.id === runId);
  if (!run?.after) throw new Error('Only a completed run can be promoted.');
  const history = await promotedRuns(db, run.datasetHash);
  const current = history[history.length - 1];
  const decision = promotionGate(await suitesOf(db, run), current ? await suitesOf(db, current) : null, tolerance);
  if (decision.ok) await updateRun(db, runId, { promoted: true, promotedAt: Date.now() });
  return { ...decision, against: current };
}

export interface ChangeLogEntry {
  runId: string;
  date: number;
  summary: string;
  changes: string[];
}

/** One entry per promoted version: what changed in data and settings, metric deltas, examples fixed and broken. */
export async function changeLog(db: TabtuneDb, datasetHash: string): Promise<ChangeLogEntry[]> {
  const versions = await promotedRuns(db, datasetHash);
  const out: ChangeLogEntry[] = [];
  for (let i = 0; i < versions.length; i++) {
    const v = versions[i];
    const prev = versions[i - 1];
    const changes: string[] = [];
    if (!prev) changes.push(`first version: ${v.method} on ${v.modelId}, data ${v.datasetHash.slice(0, 12)}`);
    else {
      if (prev.modelId !== v.modelId) changes.push(`model ${prev.modelId} → ${v.modelId}`);
      if (prev.method !== v.method) changes.push(`method ${prev.method} → ${v.method}`);
      for (const [k, val] of Object.entries(v.config)) {
        const was = (prev.config as unknown as Record<string, unknown>)[k];
        if (JSON.stringify(was) !== JSON.stringify(val)) changes.push(`${k} ${JSON.stringify(was)} → ${JSON.stringify(val)}`);
      }
      const before = await suitesOf(db, prev);
      const after = await suitesOf(db, v);
      const [a] = before;
      const [b] = after;
      const fixedBroken = (x: SuiteResult, y: SuiteResult) => [x.correct.filter((ok, j) => !ok && y.correct[j]).length, x.correct.filter((ok, j) => ok && !y.correct[j]).length];
      const [fixed, broken] = fixedBroken(a, b);
      changes.push(`accuracy ${(a.accuracy * 100).toFixed(1)} → ${(b.accuracy * 100).toFixed(1)} %, macro-F1 ${(a.macroF1 * 100).toFixed(1)} → ${(b.macroF1 * 100).toFixed(1)} %`);
      changes.push(`fixed ${fixed} test example${fixed === 1 ? '' : 's'}, broke ${broken}`);
      for (const y of after.slice(1)) {
        const x = before.find((s) => s.suite === y.suite);
        if (!x) continue;
        const [f, k] = fixedBroken(x, y);
        changes.push(`${y.suite}: accuracy ${(x.accuracy * 100).toFixed(1)} → ${(y.accuracy * 100).toFixed(1)} %, fixed ${f}, broke ${k}`);
      }
    }
    out.push({ runId: v.id, date: v.promotedAt!, summary: `v${i + 1}: ${(v.after!.accuracy * 100).toFixed(1)} % accuracy`, changes });
  }
  return out;
}
