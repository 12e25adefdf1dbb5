/**
 * How a run ended, told honestly: a run whose every example failed, or whose every example could
 * not be stored, is `failed` with the reason — never `done`. Kept apart from the scheduling in
 * run.ts so the rule has one home.
 */
import type { RunStatus } from './types.ts';

export interface RunTally {
  /** The caller cancelled the run. */
  cancelled: boolean;
  /** Examples that finished (ok or failed). */
  done: number;
  /** Examples with a winner. */
  successful: number;
  /** Finished examples the store could not save. */
  storeFailures: number;
}

export function runOutcome(tally: RunTally): { status: RunStatus; reason?: string } {
  if (tally.cancelled) return { status: 'cancelled' };
  if (tally.done > 0 && tally.successful === 0) {
    return { status: 'failed', reason: `every example failed (${tally.done} of ${tally.done}): no teacher gave a usable answer` };
  }
  if (tally.storeFailures > 0 && tally.storeFailures === tally.done) {
    return { status: 'failed', reason: `no example could be stored (${tally.storeFailures} store failures)` };
  }
  return { status: 'done' };
}
