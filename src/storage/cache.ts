/**
 * Write-through cache of small, hot records (statistics, counters, runs): read once, then updated
 * in memory and written back under the key's mutex. If a write fails the entry is dropped, so the
 * next access reloads what is really stored. Bounded: the least recently used entries go first.
 */
import type { Kv } from './kv.ts';
import { decodeRead, type Codec } from './records.ts';

export class CachedRecords<T> {
  private readonly cache = new Map<string, T>();

  constructor(
    private readonly kv: Kv,
    private readonly codec: Codec<T>,
    private readonly max = 2000,
  ) {}

  private remember(key: string, value: T): void {
    this.cache.delete(key);
    this.cache.set(key, value);
    if (this.cache.size > this.max) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }

  /** The stored record (do not mutate it), or undefined when missing or unreadable (reported). */
  async read(key: string): Promise<T | undefined> {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    return this.kv.mutex.run(key, async () => {
      const again = this.cache.get(key);
      if (again !== undefined) return again;
      const decoded = decodeRead(this.kv, key, await this.kv.get(key), this.codec);
      if (decoded.state !== 'ok') return undefined;
      this.remember(key, decoded.value);
      return decoded.value;
    });
  }

  /**
   * Applies `mutate` to the record (created by `init` when missing; an unreadable row is first
   * copied aside, then `recover` or `init` starts it again) and writes it back. Returns the record.
   */
  async update(key: string, init: () => T, mutate: (current: T) => void | Promise<void>, recover?: () => Promise<T>): Promise<T> {
    return this.kv.mutex.run(key, async () => {
      let current = this.cache.get(key);
      if (current === undefined) {
        const decoded = decodeRead(this.kv, key, await this.kv.get(key), this.codec, false);
        if (decoded.state === 'ok') current = decoded.value;
        else if (decoded.state === 'missing') current = init();
        else {
          await this.kv.quarantine(key, decoded);
          current = recover ? await recover() : init();
        }
      }
      try {
        await mutate(current);
        await this.kv.set(key, current);
      } catch (error) {
        this.cache.delete(key);
        throw error;
      }
      this.remember(key, current);
      return current;
    });
  }

  forget(key: string): void {
    this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }
}
