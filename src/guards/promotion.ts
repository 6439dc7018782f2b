// Versions that answer "what fixed what": a run may be promoted only when it does not regress on any evaluation
// suite by more than a tolerance against the currently promoted run.

export interface SuiteResult {
  suite: string;
  accuracy: number;
  macroF1: number;
  /** Per example: correct or not, in the suite's fixed order. */
  correct: boolean[];
}

export interface Regression {
  suite: string;
  metric: 'accuracy' | 'macroF1';
  promoted: number;
  candidate: number;
  /** Examples the promoted run got right and the candidate gets wrong. */
  broken: number[];
}

export interface GateDecision {
  ok: boolean;
  regressions: Regression[];
  /** Suites the promoted run was evaluated on and the candidate was not: evaluate them before promoting. */
  missing: string[];
}

export function promotionGate(candidate: SuiteResult[], promoted: SuiteResult[] | null, tolerance: number): GateDecision {
  if (!promoted) return { ok: true, regressions: [], missing: [] };
  const bySuite = new Map(candidate.map((s) => [s.suite, s]));
  const regressions: Regression[] = [];
  const missing: string[] = [];
  for (const p of promoted) {
    const c = bySuite.get(p.suite);
    if (!c) {
      missing.push(p.suite);
      continue;
    }
    const broken = p.correct.flatMap((ok, i) => (ok && c.correct[i] === false ? [i] : []));
    for (const metric of ['accuracy', 'macroF1'] as const) {
      if (c[metric] < p[metric] - tolerance) regressions.push({ suite: p.suite, metric, promoted: p[metric], candidate: c[metric], broken });
    }
  }
  return { ok: regressions.length === 0 && missing.length === 0, regressions, missing };
}
