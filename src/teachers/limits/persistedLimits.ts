/**
 * Each teacher's rate window kept across restarts (embedded mode): a process that starts again
 * within a window still counts the calls the previous one made in it, keeps its schedule and any
 * pause the provider asked for, so a restart never lets a burst through a quota. Kept in the
 * store (rate_windows) with a lifetime; a cluster shares its windows on Redis instead.
 */
import type { Teacher } from '../types.ts';
import { systemClock, type Clock } from './clock.ts';
import { LearnedLimiter, type LimiterState } from './learnedLimiter.ts';

/** Where each teacher's state is kept, with a lifetime (the store's rate windows). */
export interface LimitStateStore {
  get(teacherId: string): Promise<unknown>;
  set(teacherId: string, state: LimiterState, ttlMs: number): Promise<unknown>;
}

/** Long enough for the window and a learned limit to outlive a quick restart. */
const KEEP_WINDOWS = 10;

function isState(value: unknown): value is LimiterState {
  const s = value as Partial<LimiterState> | undefined;
  return typeof s === 'object' && s !== null && Array.isArray(s.starts) && typeof s.nextStart === 'number' && typeof s.pausedUntil === 'number';
}

/**
 * Writes no more often than this per teacher. At a provider's quota (a call every few seconds)
 * each start is still written as it happens; only faster callers (no quota, or a paid tier's
 * hundreds a minute) have their starts of one second written together: a process killed outright
 * forgets at most that second of its window. Writing every start instead wrote the whole window
 * (one timestamp per call) hundreds of times a second — 2,000–2,800 writes and 1.0–1.3 million
 * timestamps in the overhead benchmark's 1,000 × 7 calls, for as much CPU as the storage gave it.
 */
export const WRITE_EVERY_MS = 1_000;

/** Writes one teacher's state as it changes: one write at a time, the latest state last. */
class StateWriter {
  /** A change not written yet. */
  private dirty = false;
  private writing = false;
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private cancelTimer: (() => void) | undefined;
  /** The write under way. */
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: LimitStateStore,
    private readonly teacherId: string,
    private readonly limiter: LearnedLimiter,
    private readonly windowMs: number,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
  ) {}

  changed(): void {
    this.dirty = true;
    this.schedule();
  }

  /** Writes what is pending at once, without waiting for its turn (shutdown, tests). */
  async flushed(): Promise<void> {
    for (;;) {
      this.cancelTimer?.();
      this.cancelTimer = undefined;
      if (this.writing) await this.idle;
      else if (this.dirty) this.idle = this.write();
      else return;
    }
  }

  /** Starts a write now, or when WRITE_EVERY_MS has passed since the last one. */
  private schedule(): void {
    if (this.writing || this.cancelTimer || !this.dirty) return;
    const wait = this.lastWriteAt + WRITE_EVERY_MS - this.clock.now();
    if (wait > 0) {
      this.cancelTimer = this.clock.timer(wait, () => {
        this.cancelTimer = undefined;
        this.schedule();
      });
      return;
    }
    this.idle = this.write();
  }

  private async write(): Promise<void> {
    this.writing = true;
    this.dirty = false;
    this.lastWriteAt = this.clock.now();
    try {
      // Read now, not when the change happened: the latest state is the one to keep.
      const state = this.limiter.state();
      const ttlMs = Math.max(KEEP_WINDOWS * this.windowMs, state.pausedUntil - this.clock.now() + this.windowMs);
      await this.store.set(this.teacherId, state, ttlMs).catch(this.onError);
    } finally {
      this.writing = false;
    }
    // Changes made during the write wait for their turn like any other.
    this.schedule();
  }
}

export interface PersistedLimits {
  /** Resolves once every state change so far is written (shutdown, tests). */
  flushed(): Promise<void>;
}

/**
 * Restores each teacher's window from the state an earlier process left, then keeps it there as
 * calls start. Teachers without a learned limiter (none, or a cluster's shared one) are left alone.
 */
export async function persistLimits(
  teachers: readonly Teacher[],
  store: LimitStateStore,
  options: { windowMs: number; clock?: Clock; onError?: (err: unknown) => void },
): Promise<PersistedLimits> {
  const clock = options.clock ?? systemClock;
  const onError = options.onError ?? (() => undefined);
  const writers: StateWriter[] = [];
  for (const teacher of teachers) {
    const limiter = teacher.limiter;
    if (!(limiter instanceof LearnedLimiter)) continue;
    const saved = await store.get(teacher.id).catch((err: unknown) => onError(err));
    if (isState(saved)) limiter.restore(saved);
    const writer = new StateWriter(store, teacher.id, limiter, options.windowMs, clock, onError);
    writers.push(writer);
    limiter.watch(() => writer.changed());
  }
  return { flushed: () => Promise.all(writers.map((w) => w.flushed())).then(() => undefined) };
}
