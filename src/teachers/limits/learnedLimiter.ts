/**
 * In-memory `TeacherLimiter` for one process: paces calls evenly (a virtual schedule, so no burst
 * at the turn of a minute), caps calls in flight, and learns the provider's real limit.
 *
 * Learning (additive/multiplicative in spirit):
 * - Start from the roster's rpm (or unpaced when there is none, or RATE_LIMITS=off).
 * - While calls queue for the rate and no 429 came, double the pace every sixth of a window (slow start),
 *   from half a window after the first call (a paid key's 3× limit is found within about a
 *   minute and a half); after a 429, raise by only 5 % a window,
 *   and not before ten windows have passed, so a learned limit is not probed again and again.
 * - On a 429: pause for the provider's wait, and set the pace to the limit it named (Gemini
 *   quotaValue, Groq's "Limit N") or, failing that, to 98 % of the calls it accepted in the last
 *   window. Further 429s of calls already on their way do not lower it again.
 * - `remaining: 0` in headers pauses until the reset; an "overloaded" answer (Ollama busy, HF
 *   loading) halves the calls in flight and pauses for its hint.
 * - A roster `max_rpm` is a hard ceiling no learning passes.
 */
import { systemClock, type Clock } from './clock.ts';
import type { AcquireOptions, LimitSnapshot, Permit, RateReport, TeacherLimiter } from './limiter.ts';

export interface LearnedLimiterOptions {
  /** Starting requests per minute (the roster's); undefined = not paced until the provider says so. */
  rpm?: number;
  /** Hard ceiling on the pace (roster `max_rpm`). */
  maxRpm?: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** The provider's rate window; one minute except in tests and benchmarks. */
  windowMs?: number;
  clock?: Clock;
}

/**
 * What a restart must not forget (persistedLimits.ts keeps it): the calls started within the
 * window, the schedule, a pause the provider asked for, and a limit learned from it.
 */
export interface LimiterState {
  starts: number[];
  nextStart: number;
  pausedUntil: number;
  rpm?: number;
  source?: 'learned' | 'provider';
}

/** Calls are spaced this much wider than the limit allows, so network jitter cannot crowd a window. */
const PACING_MARGIN = 0.02;
/** A learned limit is used at this share, for the same reason. */
const LEARNED_SHARE = 0.98;
const SLOW_START_FACTOR = 2;
const AFTER_THROTTLE_STEP = 0.05;
const REPROBE_WINDOWS = 10;
const LATENCY_WEIGHT = 0.2;
/** Until a call has finished, a slot held by a call in flight is assumed to free after this long. */
const UNKNOWN_LATENCY_MS = 1_000;

export class LearnedLimiter implements TeacherLimiter {
  private rpm: number | undefined;
  private source: LimitSnapshot['source'];
  private readonly maxRpm: number;
  private readonly windowMs: number;
  private readonly clock: Clock;
  private readonly maxConcurrency: number;
  private concurrency: number;
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  /** Earliest start of the next call (virtual schedule). */
  private nextStart = 0;
  private pausedUntil = 0;
  private latencyMs = 0;
  /** When the calls the provider accepted within the last window were answered, oldest first. */
  private readonly accepted: number[] = [];
  private lastRateBlockAt = Number.NEGATIVE_INFINITY;
  private lastIncreaseAt: number;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private throttledEver = false;
  private increaseAllowedAt = 0;
  private throttled = 0;
  private firstCallAt: number | undefined;
  /** When the calls of the last window started (what a restarted process must still count). */
  private readonly starts: number[] = [];
  private watcher: (() => void) | undefined;

  constructor(options: LearnedLimiterOptions) {
    this.clock = options.clock ?? systemClock;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxRpm = options.maxRpm ?? Number.POSITIVE_INFINITY;
    this.rpm = options.rpm === undefined ? undefined : Math.min(options.rpm, this.maxRpm);
    this.source = this.rpm === undefined ? 'unlimited' : 'roster';
    this.maxConcurrency = Math.max(1, options.concurrency);
    this.concurrency = this.maxConcurrency;
    this.lastIncreaseAt = this.clock.now();
  }

  private interval(): number {
    return this.rpm === undefined ? 0 : (this.windowMs / this.rpm) * (1 + PACING_MARGIN);
  }

  private slotWait(): number {
    const queued = this.inFlight + this.slotWaiters.length;
    if (queued < this.concurrency) return 0;
    const latency = this.latencyMs || UNKNOWN_LATENCY_MS;
    return Math.ceil(((queued - this.concurrency + 1) / this.concurrency) * latency);
  }

  /** When the provider's window has room again, by our own log of what it accepted. */
  private windowRoomAt(now: number): number {
    if (this.rpm === undefined) return 0;
    this.pruneAccepted(now);
    // A learned pace is kept just under the limit it came from; the window holds the limit itself.
    const limit = this.source === 'roster' ? this.rpm : this.rpm / LEARNED_SHARE;
    const cap = Math.max(1, Math.floor(limit + 1e-9));
    // Calls in flight are already counted by the provider: they are the newest entries.
    const counted = this.accepted.length + this.inFlight;
    if (counted < cap) return 0;
    const oldestThatMustLeave = counted - cap;
    return (oldestThatMustLeave < this.accepted.length ? (this.accepted[oldestThatMustLeave] as number) : now) + this.windowMs;
  }

  waitEstimate(): number {
    const now = this.clock.now();
    const rateWait = Math.max(0, this.nextStart - now, this.pausedUntil - now, this.windowRoomAt(now) - now);
    if (this.nextStart > now) this.lastRateBlockAt = now;
    return Math.max(rateWait, this.slotWait());
  }

  async acquire({ maxWaitMs, signal }: AcquireOptions): Promise<Permit | null> {
    if (signal?.aborted || this.waitEstimate() > maxWaitMs) return null;
    const now = this.clock.now();
    this.firstCallAt ??= now;
    const start = Math.max(now, this.nextStart, this.pausedUntil, this.windowRoomAt(now));
    const interval = this.interval();
    this.nextStart = start + interval;
    if (start > now && !(await this.clock.sleep(start - now, signal))) {
      // Give the reserved start back if nobody reserved after it.
      if (this.nextStart === start + interval) this.nextStart = start;
      return null;
    }
    // The provider may have asked for a pause while this call waited for its turn.
    if (this.pausedUntil > this.clock.now()) return null;
    if (this.inFlight >= this.concurrency) {
      const got = await new Promise<boolean>((resolve) => {
        const onAbort = () => {
          const i = this.slotWaiters.indexOf(wake);
          if (i >= 0) this.slotWaiters.splice(i, 1);
          resolve(false);
        };
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(true);
        };
        this.slotWaiters.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      if (!got) return null;
    } else this.inFlight += 1;
    this.recordStart(this.clock.now());
    this.changed();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.freeSlot();
      },
    };
  }

  private freeSlot(): void {
    this.inFlight -= 1;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    while (this.inFlight < this.concurrency && this.slotWaiters.length > 0) {
      this.inFlight += 1;
      (this.slotWaiters.shift() as () => void)();
    }
  }

  observe(report: RateReport): void {
    const before = `${this.pausedUntil}:${this.rpm}`;
    this.learn(report);
    if (`${this.pausedUntil}:${this.rpm}` !== before) this.changed();
  }

  private learn(report: RateReport): void {
    const now = this.clock.now();
    if (report.outcome === 'ok') {
      this.latencyMs = this.latencyMs === 0 ? report.latencyMs : this.latencyMs * (1 - LATENCY_WEIGHT) + report.latencyMs * LATENCY_WEIGHT;
      // Logged when the answer came, a little after the provider counted the call on arrival:
      // our window frees a little later than the provider's, never earlier.
      this.accepted.push(now);
      this.pruneAccepted(now);
      if (report.remaining === 0 && report.resetMs !== undefined) this.pausedUntil = Math.max(this.pausedUntil, now + report.resetMs);
      this.maybeIncrease(now);
      if (this.concurrency < this.maxConcurrency) {
        this.concurrency += 1;
        this.wakeWaiters();
      }
      return;
    }
    if (report.outcome === 'overloaded') {
      this.pausedUntil = Math.max(this.pausedUntil, now + (report.retryAfterMs ?? 1_000));
      this.concurrency = Math.max(1, Math.floor(Math.min(this.concurrency, this.inFlight) / 2));
      return;
    }
    if (report.outcome !== 'rate_limited') return;
    this.throttled += 1;
    this.pausedUntil = Math.max(this.pausedUntil, now + (report.retryAfterMs ?? Math.max(1_000, this.interval())));
    // A call that started before the last decrease was sent at the old pace: already accounted for.
    if (now - report.latencyMs <= this.lastDecreaseAt) return;
    this.lastDecreaseAt = now;
    this.throttledEver = true;
    this.increaseAllowedAt = now + REPROBE_WINDOWS * this.windowMs;
    if (report.limitPerMinute !== undefined && report.limitPerMinute > 0) {
      this.setRpm(report.limitPerMinute * LEARNED_SHARE, 'provider');
      return;
    }
    this.pruneAccepted(now);
    const acceptedRpm = (this.accepted.length * 60_000) / this.windowMs;
    // Nothing accepted in the window says nothing about the pace: the pause alone answers it.
    if (acceptedRpm > 0) this.setRpm(acceptedRpm * LEARNED_SHARE, 'learned');
    else if (this.rpm !== undefined) this.setRpm(this.rpm / 2, 'learned');
  }

  private maybeIncrease(now: number): void {
    if (this.rpm === undefined || this.rpm >= this.maxRpm || now < this.increaseAllowedAt) return;
    // Not before half a window at the starting pace: an overshoot before the provider's window
    // holds much costs a pause until its oldest call leaves it.
    if (this.firstCallAt === undefined || now - this.firstCallAt < this.windowMs / 2) return;
    const step = this.throttledEver ? this.windowMs : this.windowMs / 6;
    // Only a limit that holds calls back is worth raising.
    if (now - this.lastIncreaseAt < step || now - this.lastRateBlockAt > step) return;
    this.lastIncreaseAt = now;
    this.setRpm(this.throttledEver ? this.rpm * (1 + AFTER_THROTTLE_STEP) : this.rpm * SLOW_START_FACTOR, 'learned');
  }

  private setRpm(rpm: number, source: LimitSnapshot['source']): void {
    const next = Math.max(1, Math.min(this.maxRpm, rpm));
    const now = this.clock.now();
    // Re-space what is already reserved at the new pace from now on.
    if (this.rpm !== undefined && this.nextStart > now) this.nextStart = now + ((this.nextStart - now) * this.rpm) / next;
    this.rpm = next;
    this.source = source;
  }

  private pruneAccepted(now: number): void {
    const from = now - this.windowMs;
    let drop = 0;
    while (drop < this.accepted.length && (this.accepted[drop] as number) <= from) drop++;
    if (drop > 0) this.accepted.splice(0, drop);
  }

  /** Logs a start and forgets those that left the window, so the log holds one window at most. */
  private recordStart(now: number): void {
    this.starts.push(now);
    this.pruneStarts(now);
  }

  private pruneStarts(now: number): void {
    const from = now - this.windowMs;
    let drop = 0;
    while (drop < this.starts.length && (this.starts[drop] as number) <= from) drop++;
    if (drop > 0) this.starts.splice(0, drop);
  }

  /**
   * Told after each call that starts and each pause or limit the provider causes; it reads
   * `state()` when it needs it. Not handed the state: a copy of the window's starts at every call
   * costs O(calls in the window) per call, where the state is written far less often.
   */
  watch(watcher: () => void): void {
    this.watcher = watcher;
  }

  private changed(): void {
    this.watcher?.();
  }

  state(): LimiterState {
    this.pruneStarts(this.clock.now());
    const learned = this.source === 'learned' || this.source === 'provider' ? this.source : undefined;
    return { starts: [...this.starts], nextStart: this.nextStart, pausedUntil: this.pausedUntil, ...(learned && this.rpm !== undefined ? { rpm: this.rpm, source: learned } : {}) };
  }

  /**
   * Takes over what an earlier process of this teacher left: its calls of the window count as
   * accepted by the provider (it counted them on arrival), its schedule and pause hold, and a
   * limit the provider taught it is kept.
   */
  restore(state: LimiterState): void {
    const from = this.clock.now() - this.windowMs;
    const starts = state.starts.filter((t) => Number.isFinite(t) && t > from);
    this.accepted.push(...starts);
    this.accepted.sort((a, b) => a - b);
    this.starts.push(...starts);
    this.starts.sort((a, b) => a - b);
    if (Number.isFinite(state.nextStart)) this.nextStart = Math.max(this.nextStart, state.nextStart);
    if (Number.isFinite(state.pausedUntil)) this.pausedUntil = Math.max(this.pausedUntil, state.pausedUntil);
    if (state.source && state.rpm !== undefined && Number.isFinite(state.rpm) && state.rpm > 0) this.setRpm(state.rpm, state.source);
  }

  snapshot(): LimitSnapshot {
    const now = this.clock.now();
    return {
      ...(this.rpm !== undefined ? { rpm: Math.round(this.rpm * 10) / 10 } : {}),
      source: this.source,
      concurrency: this.concurrency,
      inFlight: this.inFlight,
      ...(this.pausedUntil > now ? { pausedUntil: this.pausedUntil } : {}),
      latencyMs: Math.round(this.latencyMs),
      throttled: this.throttled,
    };
  }
}
