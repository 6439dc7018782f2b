// Learning-rate schedule: linear warm-up then linear decay to zero, exactly Hugging Face's
// get_linear_schedule_with_warmup (a LambdaLR: lr = peak * factor(step)), so a run here and the same run under
// `transformers` (the "bigger machine" export) see the same rate at every step.

/** The rate for optimizer step `step` (0-based: the first update uses step 0, so it is 0 when warming up). */
export function linearWarmupDecay(step: number, totalSteps: number, warmupSteps: number, peakLr: number): number {
  checkArgs(totalSteps, warmupSteps, peakLr);
  if (!Number.isInteger(step) || step < 0) throw new Error(`linearWarmupDecay: step must be an integer >= 0, got ${step}.`);
  // The factor is computed first and then scaled, in that order, as LambdaLR does: same float64 result as Python.
  const factor =
    step < warmupSteps
      ? step / Math.max(1, warmupSteps)
      : Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  return peakLr * factor;
}

/** The rate at every step 0..totalSteps-1, for plotting. */
export function linearWarmupDecaySeries(totalSteps: number, warmupSteps: number, peakLr: number): number[] {
  checkArgs(totalSteps, warmupSteps, peakLr);
  return Array.from({ length: totalSteps }, (_, s) => linearWarmupDecay(s, totalSteps, warmupSteps, peakLr));
}

/**
 * Warm-up steps from a share of all steps, as transformers' TrainingArguments.get_warmup_steps does
 * (math.ceil, not round: 0.1 of 25 steps is 3 warm-up steps there, and must be here too).
 */
export function warmupStepsFromRatio(totalSteps: number, warmupRatio: number): number {
  if (!(warmupRatio >= 0 && warmupRatio <= 1)) throw new Error(`warmupRatio must be in [0, 1], got ${warmupRatio}.`);
  if (!Number.isInteger(totalSteps) || totalSteps < 0) throw new Error(`totalSteps must be an integer >= 0, got ${totalSteps}.`);
  return Math.ceil(totalSteps * warmupRatio);
}

function checkArgs(totalSteps: number, warmupSteps: number, peakLr: number): void {
  if (!Number.isInteger(totalSteps) || totalSteps < 0) throw new Error(`Learning-rate schedule: totalSteps must be an integer >= 0, got ${totalSteps}.`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new Error(`Learning-rate schedule: warmupSteps must be an integer >= 0, got ${warmupSteps}.`);
  if (!Number.isFinite(peakLr) || peakLr < 0) throw new Error(`Learning-rate schedule: peak learning rate must be a finite number >= 0, got ${peakLr}.`);
}
