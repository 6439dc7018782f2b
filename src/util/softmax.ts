// Probabilities from scores on the host, for the few rows that are read back (a split's predictions, zero-shot's
// similarities): shifted by the largest score so that no exp overflows.
export function softmax(z: readonly number[]): number[] {
  const max = Math.max(...z);
  const e = z.map((x) => Math.exp(x - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}
