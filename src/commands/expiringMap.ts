/**
 * In-memory state a button press comes back for (a /write draft, an /autotrain setup panel),
 * keyed by the token in the button's custom id. Each entry is forgotten `ttlMs` after it was last
 * set, and at most `maxEntries` are kept (the oldest go first): however many commands users send,
 * the bot's memory stays bounded. Lost at a restart, by design (the buttons then say so).
 */
export interface ExpiringMapLimits {
  ttlMs: number;
  maxEntries: number;
}

export class ExpiringMap<V> {
  /** In insertion order, oldest first: `set` re-inserts, so the first entry is the oldest. */
  private readonly entries = new Map<string, { value: V; at: number }>();

  constructor(
    private readonly limits: ExpiringMapLimits,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Entries held in memory (expired ones go at the next `set`, or when `get` finds them). */
  get size(): number {
    return this.entries.size;
  }

  /** The live entry, or undefined once it expired (a button pressed too late finds nothing). */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.expired(entry.at, this.now())) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores `value` (restarting its lifetime), dropping expired entries and the oldest beyond the cap. */
  set(key: string, value: V): void {
    const now = this.now();
    this.sweep(now);
    this.entries.delete(key);
    this.entries.set(key, { value, at: now });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.limits.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  private expired(at: number, now: number): boolean {
    return now - at > this.limits.ttlMs;
  }

  private sweep(now: number): void {
    // Oldest first: stop at the first entry still alive.
    for (const [key, entry] of this.entries) {
      if (!this.expired(entry.at, now)) break;
      this.entries.delete(key);
    }
  }
}
