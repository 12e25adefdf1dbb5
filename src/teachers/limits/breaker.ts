/**
 * Circuit breaker of one teacher. Closed: calls go. Timeouts, 5xx and unreachable calls in a row
 * open it (the teacher is out); a refused key opens it for good; a quota gone for longer than a
 * minute opens it for as long as the provider asked. After a cool-down it is half-open: exactly
 * one probe call goes, and its answer decides — back in, or out again for twice as long.
 */
import { systemClock, type Clock } from './clock.ts';
import type { TeacherFailure } from '../types.ts';

/** A rate limit asking us to wait longer than this means the quota is gone for now. */
export const QUOTA_GONE_AFTER_MS = 60_000;
/** Consecutive timeouts, server errors or unreachable calls that take a teacher out. */
export const MAX_CONSECUTIVE_FAILURES = 3;
export const DEFAULT_COOL_DOWN_MS = 30_000;
const MAX_COOL_DOWN_MS = 10 * 60_000;

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  coolDownMs?: number;
  failuresToOpen?: number;
  clock?: Clock;
}

/** What a call's end changed: the teacher went out (with why), came back, or nothing. */
export type BreakerChange = { change: 'out'; reason: string; retryAt?: number } | { change: 'back'; afterMs: number } | undefined;

export type Passage = 'call' | 'probe' | 'blocked';

export class TeacherBreaker {
  private state: BreakerState = 'closed';
  private streak = 0;
  private openedAt = 0;
  private retryAt = 0;
  private coolDownMs: number;
  private readonly baseCoolDownMs: number;
  private readonly failuresToOpen: number;
  private readonly clock: Clock;
  private probing = false;
  private permanent = false;
  private why = '';

  constructor(options: BreakerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.baseCoolDownMs = options.coolDownMs ?? DEFAULT_COOL_DOWN_MS;
    this.coolDownMs = this.baseCoolDownMs;
    this.failuresToOpen = options.failuresToOpen ?? MAX_CONSECUTIVE_FAILURES;
  }

  /** Milliseconds until a call (or the probe) may go: 0 now, Infinity never again this run. */
  waitMs(): number {
    if (this.state === 'closed') return 0;
    if (this.permanent) return Number.POSITIVE_INFINITY;
    if (this.state === 'half-open') return this.probing ? Math.max(1, this.coolDownMs) : 0;
    return Math.max(0, this.retryAt - this.clock.now());
  }

  /** Whether a call may go now; in half-open state the first caller takes the only probe. */
  pass(): Passage {
    if (this.state === 'closed') return 'call';
    if (this.permanent) return 'blocked';
    if (this.state === 'open' && this.clock.now() >= this.retryAt) this.state = 'half-open';
    if (this.state === 'half-open' && !this.probing) {
      this.probing = true;
      return 'probe';
    }
    return 'blocked';
  }

  /** A probe that never went (its example was cancelled or skipped it): let the next one try. */
  cancelProbe(): void {
    this.probing = false;
  }

  status(): { state: BreakerState; reason?: string; retryAt?: number } {
    if (this.state === 'closed') return { state: 'closed' };
    return { state: this.state, reason: this.why, ...(this.permanent ? {} : { retryAt: this.retryAt }) };
  }

  onSuccess(wasProbe: boolean): BreakerChange {
    this.streak = 0;
    if (!wasProbe || this.state === 'closed') return undefined;
    const afterMs = this.clock.now() - this.openedAt;
    this.state = 'closed';
    this.probing = false;
    this.coolDownMs = this.baseCoolDownMs;
    return { change: 'back', afterMs };
  }

  onFailure(failure: TeacherFailure, wasProbe: boolean): BreakerChange {
    if (failure.kind === 'cancelled') {
      if (wasProbe) this.probing = false;
      return undefined;
    }
    // Late answers of calls sent before the teacher went out change nothing.
    if (this.state !== 'closed' && !wasProbe) return undefined;
    let reason: string | undefined;
    let waitMs = this.coolDownMs;
    if (failure.kind === 'auth') {
      reason = `the provider refused the API key (${failure.status ?? 'auth'})`;
      this.permanent = true;
    } else if (failure.kind === 'rate_limited' && (failure.retryAfterMs ?? 0) > QUOTA_GONE_AFTER_MS) {
      reason = `quota exhausted: the provider asked to wait ${Math.round((failure.retryAfterMs ?? 0) / 1000)} s`;
      waitMs = failure.retryAfterMs ?? waitMs;
    } else if (failure.kind === 'timeout' || failure.kind === 'server_error' || failure.kind === 'network') {
      this.streak += 1;
      if (wasProbe || this.streak >= this.failuresToOpen) reason = failureReason(failure, wasProbe ? 1 : this.streak);
    } else if (wasProbe) {
      // A probe answered (badly, but it answered): the teacher is reachable again.
      return this.onSuccess(true);
    }
    if (!reason) return undefined;
    const wasOpen = this.state !== 'closed';
    if (wasOpen && wasProbe) this.coolDownMs = Math.min(MAX_COOL_DOWN_MS, this.coolDownMs * 2);
    this.state = 'open';
    this.probing = false;
    this.why = reason;
    if (!wasOpen) this.openedAt = this.clock.now();
    this.retryAt = this.clock.now() + (wasOpen && wasProbe ? this.coolDownMs : waitMs);
    // A failed probe keeps the teacher out: not news for the progress display.
    if (wasOpen) return undefined;
    return { change: 'out', reason, ...(this.permanent ? {} : { retryAt: this.retryAt }) };
  }
}

function failureReason(failure: TeacherFailure, count: number): string {
  const what = failure.kind === 'timeout' ? 'timed out' : failure.kind === 'network' ? 'unreachable' : `server error${failure.status ? ` ${failure.status}` : ''}`;
  return count === 1 ? `probe ${what}` : `${count} calls in a row ${what}`;
}
