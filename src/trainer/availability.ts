/**
 * Per-run circuit breaker: a teacher whose key is refused or whose quota is gone is marked
 * unavailable for the rest of the run instead of failing (and losing a vote) on every example.
 */
import type { TeacherFailure } from '../teachers/types.ts';

/** A rate limit asking us to wait longer than this means the quota is gone for now. */
export const QUOTA_GONE_AFTER_MS = 60_000;
/** Consecutive rate-limited or unreachable calls before a teacher is taken out of the run. */
export const MAX_CONSECUTIVE_FAILURES = 3;

export class TeacherAvailability {
  private readonly unavailable = new Map<string, string>();
  private readonly streaks = new Map<string, number>();

  isAvailable(teacherId: string): boolean {
    return !this.unavailable.has(teacherId);
  }

  reason(teacherId: string): string | undefined {
    return this.unavailable.get(teacherId);
  }

  recordSuccess(teacherId: string): void {
    this.streaks.set(teacherId, 0);
  }

  /** Returns the reason when this failure takes the teacher out of the run (only the first time). */
  recordFailure(teacherId: string, failure: TeacherFailure): string | undefined {
    if (this.unavailable.has(teacherId) || failure.kind === 'cancelled') return undefined;
    let reason: string | undefined;
    if (failure.kind === 'auth') reason = `the provider refused the API key (${failure.status ?? 'auth'})`;
    else if (failure.kind === 'rate_limited' && (failure.retryAfterMs ?? 0) > QUOTA_GONE_AFTER_MS)
      reason = `quota exhausted: the provider asked to wait ${Math.round((failure.retryAfterMs ?? 0) / 1000)} s`;
    else if (failure.kind === 'rate_limited' || failure.kind === 'network') {
      const streak = (this.streaks.get(teacherId) ?? 0) + 1;
      this.streaks.set(teacherId, streak);
      if (streak >= MAX_CONSECUTIVE_FAILURES) reason = `${streak} ${failure.kind === 'network' ? 'unreachable' : 'rate-limited'} calls in a row`;
    } else this.streaks.set(teacherId, 0);
    if (reason) this.unavailable.set(teacherId, reason);
    return reason;
  }
}
