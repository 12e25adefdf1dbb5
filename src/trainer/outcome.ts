/**
 * How a run ended, told honestly: a run whose results could not be stored, or whose every example
 * failed, is `failed` with the reason — never `done`, and never `cancelled` unless it was.
 * Kept apart from the scheduling in run.ts so the rule has one home.
 */
import type { RunStatus } from './types.ts';

export interface RunTally {
  /** The caller cancelled the run. */
  cancelled: boolean;
  /** Why storing results failed (the run stopped then), if it did. */
  storeError?: string;
  /** Examples that finished (ok or failed) and were stored. */
  done: number;
  /** Examples with a winner. */
  successful: number;
}

export function runOutcome(tally: RunTally): { status: RunStatus; error?: string } {
  if (tally.storeError !== undefined) return { status: 'failed', error: tally.storeError };
  if (tally.cancelled) return { status: 'cancelled' };
  if (tally.done > 0 && tally.successful === 0) {
    return { status: 'failed', error: `every example failed (${tally.done} of ${tally.done}): no teacher gave a usable answer` };
  }
  return { status: 'done' };
}
