/**
 * What a button press has to find again — a /write draft, an /autotrain setup panel — kept on the
 * store's key-value state (keyv: `@keyv/sqlite` in the state file beside the database, `@keyv/postgres` when scaled
 * out) with a lifetime, under the owner's key prefix (so /forget erases it too). Nothing lives in
 * the process: a restart loses no draft or panel, and whichever bot process receives the press
 * can serve it.
 *
 * keyv forgets an expired record when it is read; records nobody reads again are swept from time
 * to time (`sweep`), so abandoned drafts do not pile up in the database.
 */
import type { KeyValueState } from '../storage/state.ts';

export class ButtonState<T> {
  private lastSweep = 0;

  constructor(
    /** The record's key: one of `stateKeys` (under the user's prefix). */
    private readonly key: (userId: string, token: string) => string,
    /** How long a record lives after it was last written. */
    readonly ttlMs: number,
    /** Where expired records of every user are found when sweeping, e.g. `draft:`. */
    private readonly sweepPrefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  get(state: KeyValueState, userId: string, token: string): Promise<T | undefined> {
    return state.get<T>(this.key(userId, token));
  }

  /** Stores the record; its lifetime starts again. */
  async set(state: KeyValueState, userId: string, token: string, value: T): Promise<void> {
    await state.set(this.key(userId, token), value, this.ttlMs);
  }

  /** Removes the record; false when it was already gone (expired, or taken by another press). */
  delete(state: KeyValueState, userId: string, token: string): Promise<boolean> {
    return state.delete(this.key(userId, token));
  }

  /**
   * Deletes the expired records of every user, at most once per lifetime per process (reading the
   * records through keyv's iterator drops the expired ones). Returns whether it swept.
   */
  async sweep(state: KeyValueState): Promise<boolean> {
    const now = this.now();
    if (now - this.lastSweep < this.ttlMs) return false;
    this.lastSweep = now;
    await state.entries(this.sweepPrefix);
    return true;
  }
}
