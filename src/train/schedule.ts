// Learning-rate schedule: linear warm-up then linear decay to zero, as Hugging Face's
// get_linear_schedule_with_warmup (so runs here and under `transformers` see the same rates).
export function linearWarmupDecay(step: number, totalSteps: number, warmupSteps: number, peakLr: number): number {
  if (step < warmupSteps) return (peakLr * step) / Math.max(1, warmupSteps);
  return peakLr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}

/** The rate used at every step 0..totalSteps-1, for plotting. */
export function linearWarmupDecaySeries(totalSteps: number, warmupSteps: number, peakLr: number): number[] {
  return Array.from({ length: totalSteps }, (_, s) => linearWarmupDecay(s, totalSteps, warmupSteps, peakLr));
}
