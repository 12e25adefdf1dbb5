/** Rate checks over recorded timestamps, shared by the Discord simulator and the tests that read its records. */

/** Largest number of timestamps (ascending, in ms) inside any window of `windowMs`. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
