/**
 * Admission of calls to one teacher: how many a window (learned from the provider), how many at
 * once, and how long a call takes. The trainer asks `waitEstimate` to plan an example and
 * `acquire` to reserve a start; what the provider said about its limits comes back through
 * `observe`. The in-memory implementation (`LearnedLimiter`) serves one process; a shared one
 * (e.g. over Redis, for several worker processes) implements the same interface.
 */

/** What one call told us about the provider's limits, from status, headers or error body. */
export interface RateReport {
  /** How the call ended, as far as limits are concerned. */
  outcome: 'ok' | 'rate_limited' | 'overloaded' | 'other';
  /** Wall time of the call. */
  latencyMs: number;
  /** Provider's wait hint (429 Retry-After, Gemini RetryInfo, HF estimated_time). */
  retryAfterMs?: number;
  /** Requests per minute the provider named (Gemini QuotaFailure quotaValue, Groq's 429 text). */
  limitPerMinute?: number;
  /** Requests left until `resetMs` (Groq x-ratelimit-remaining-requests / -reset-requests). */
  remaining?: number;
  resetMs?: number;
}

export interface Permit {
  /** Frees the in-flight slot; call exactly once when the HTTP call is over. */
  release(): void;
}

export interface AcquireOptions {
  /** Give up (reserve nothing) if the call could not start within this many ms. */
  maxWaitMs: number;
  signal?: AbortSignal;
}

export interface LimitSnapshot {
  /** Requests per minute the limiter currently paces to; undefined = not paced. */
  rpm?: number;
  /** Where the current rpm comes from. */
  source: 'roster' | 'unlimited' | 'learned' | 'provider';
  concurrency: number;
  inFlight: number;
  /** Set while the provider asked us to wait. */
  pausedUntil?: number;
  latencyMs: number;
  /** 429 answers seen. */
  throttled: number;
}

export interface TeacherLimiter {
  /** Milliseconds until a call could start if asked now; reserves nothing. */
  waitEstimate(): number;
  /**
   * Reserves a start within `maxWaitMs` and resolves with a permit once the call may start, or
   * null when it cannot start in time (or the signal aborted), with nothing held.
   */
  acquire(options: AcquireOptions): Promise<Permit | null>;
  /** Learns from what the provider said about one call. */
  observe(report: RateReport): void;
  snapshot(): LimitSnapshot;
}

/** A limiter that admits everything at once: teachers built without a roster entry (tests). */
export const unlimitedLimiter: TeacherLimiter = {
  waitEstimate: () => 0,
  acquire: (options) => Promise.resolve(options.signal?.aborted ? null : { release() {} }),
  observe() {},
  snapshot: () => ({ source: 'unlimited', concurrency: Number.POSITIVE_INFINITY, inFlight: 0, latencyMs: 0, throttled: 0 }),
};
