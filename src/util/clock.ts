// Milliseconds from a monotonic clock where there is one (browsers, workers, Node), the wall clock otherwise:
// durations measured with it do not jump when the system time is set.
export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
