/**
 * Each teacher's rate window kept across restarts (embedded mode): a process that starts again
 * within a window still counts the calls the previous one made in it, keeps its schedule and any
 * pause the provider asked for, so a restart never lets a burst through a quota. Kept in the
 * store (rate_windows) with a lifetime; a cluster shares its windows on Redis instead.
 */
import type { Teacher } from '../types.ts';
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

/** Writes one teacher's state as it changes: one write at a time, the latest state last. */
class StateWriter {
  private pending: LimiterState | undefined;
  private writing = false;
  /** Resolves when everything handed in so far is written. */
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: LimitStateStore,
    private readonly teacherId: string,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly onError: (err: unknown) => void,
  ) {}

  write(state: LimiterState): void {
    this.pending = state;
    if (!this.writing) this.idle = this.drain();
  }

  flushed(): Promise<void> {
    return this.idle;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending) {
        const state = this.pending;
        this.pending = undefined;
        const ttlMs = Math.max(KEEP_WINDOWS * this.windowMs, state.pausedUntil - this.now() + this.windowMs);
        await this.store.set(this.teacherId, state, ttlMs).catch(this.onError);
      }
    } finally {
      this.writing = false;
    }
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
  options: { windowMs: number; now?: () => number; onError?: (err: unknown) => void },
): Promise<PersistedLimits> {
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => undefined);
  const writers: StateWriter[] = [];
  for (const teacher of teachers) {
    const limiter = teacher.limiter;
    if (!(limiter instanceof LearnedLimiter)) continue;
    const saved = await store.get(teacher.id).catch((err: unknown) => onError(err));
    if (isState(saved)) limiter.restore(saved);
    const writer = new StateWriter(store, teacher.id, options.windowMs, now, onError);
    writers.push(writer);
    limiter.watch((state) => writer.write(state));
  }
  return { flushed: () => Promise.all(writers.map((w) => w.flushed())).then(() => undefined) };
}
