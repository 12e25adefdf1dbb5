/**
 * An append-only, per-user sequence of records (`<prefix>:<user>:e:<seq>`) with a small counter
 * record (`<prefix>:<user>:meta`). Appends of one user run under one mutex, so two runs adding at
 * once get distinct sequence numbers. An unreadable counter record is rebuilt by probing entries.
 */
import type { Kv } from './kv.ts';
import { decodeRead, seqMetaCodec, type Codec, type SeqMeta } from './records.ts';

export interface SeqLogKeys {
  meta: (userId: string) => string;
  entry: (userId: string, seq: number) => string;
  lock: (userId: string) => string;
}

const PROBE_CHUNK = 256;

export class SeqLog<T> {
  private readonly metas = new Map<string, SeqMeta>();

  constructor(
    private readonly kv: Kv,
    private readonly keys: SeqLogKeys,
    private readonly codec: Codec<T>,
  ) {}

  /** Runs `section` under the user's lock (appends, loading a search index). */
  withLock<R>(userId: string, section: () => Promise<R>): Promise<R> {
    return this.kv.mutex.run(this.keys.lock(userId), section);
  }

  /** The counters; call under the lock. */
  async metaLocked(userId: string): Promise<SeqMeta> {
    const cached = this.metas.get(userId);
    if (cached) return cached;
    const key = this.keys.meta(userId);
    const decoded = decodeRead(this.kv, key, await this.kv.get(key), seqMetaCodec, false);
    let meta: SeqMeta;
    if (decoded.state === 'ok') meta = decoded.value;
    else if (decoded.state === 'missing') meta = { v: 1, count: 0, next: 0, updatedAt: Date.now() };
    else {
      await this.kv.quarantine(key, decoded);
      meta = await this.probe(userId);
      if (!this.kv.readOnly) await this.kv.set(key, meta);
    }
    if (this.metas.size > 10_000) this.metas.clear();
    this.metas.set(userId, meta);
    return meta;
  }

  async meta(userId: string): Promise<SeqMeta> {
    return this.metas.get(userId) ?? this.withLock(userId, () => this.metaLocked(userId));
  }

  private async probe(userId: string): Promise<SeqMeta> {
    let count = 0;
    let next = 0;
    for (let start = 0; ; start += PROBE_CHUNK) {
      const reads = await this.kv.getMany(Array.from({ length: PROBE_CHUNK }, (_, i) => this.keys.entry(userId, start + i)));
      const present = reads.filter((r) => r !== undefined).length;
      if (present === 0) break;
      count += present;
      next = start + reads.findLastIndex((r) => r !== undefined) + 1;
    }
    return { v: 1, count, next, updatedAt: Date.now() };
  }

  /**
   * Appends the record built for the next sequence number: the entry is written first, then the
   * counters, so a crash in between loses only the entry being written.
   */
  async append(userId: string, build: (seq: number) => T, after?: (entry: T, meta: SeqMeta) => void): Promise<{ entry: T; meta: SeqMeta }> {
    return this.withLock(userId, async () => {
      const meta = await this.metaLocked(userId);
      const seq = meta.next;
      const entry = build(seq);
      await this.kv.set(this.keys.entry(userId, seq), entry);
      const next: SeqMeta = { v: 1, count: meta.count + 1, next: seq + 1, updatedAt: Date.now() };
      try {
        await this.kv.set(this.keys.meta(userId), next);
      } catch (error) {
        this.metas.delete(userId);
        throw error;
      }
      this.metas.set(userId, next);
      after?.(entry, next);
      return { entry, meta: next };
    });
  }

  /** Entries in sequence order, a chunk at a time; unreadable ones are reported and skipped. */
  async *chunks(userId: string, upTo?: number, chunkSize = 200): AsyncGenerator<T[]> {
    const end = upTo ?? (await this.meta(userId)).next;
    for (let start = 0; start < end; start += chunkSize) {
      const chunkKeys = Array.from({ length: Math.min(chunkSize, end - start) }, (_, i) => this.keys.entry(userId, start + i));
      const reads = await this.kv.getMany(chunkKeys);
      const out: T[] = [];
      reads.forEach((read, i) => {
        const decoded = decodeRead(this.kv, chunkKeys[i] as string, read, this.codec);
        if (decoded.state === 'ok') out.push(decoded.value);
      });
      if (out.length > 0) yield out;
    }
  }

  async get(userId: string, seq: number): Promise<T | undefined> {
    const key = this.keys.entry(userId, seq);
    const decoded = decodeRead(this.kv, key, await this.kv.get(key), this.codec);
    return decoded.state === 'ok' ? decoded.value : undefined;
  }

  async getMany(userId: string, seqs: number[]): Promise<(T | undefined)[]> {
    const entryKeys = seqs.map((seq) => this.keys.entry(userId, seq));
    const reads = await this.kv.getMany(entryKeys);
    return reads.map((read, i) => {
      const decoded = decodeRead(this.kv, entryKeys[i] as string, read, this.codec);
      return decoded.state === 'ok' ? decoded.value : undefined;
    });
  }

  /** Deletes every entry and the counters of the user; call under the lock. */
  async clearLocked(userId: string): Promise<number> {
    const meta = await this.metaLocked(userId);
    let removed = 0;
    for (let seq = 0; seq < meta.next; seq++) {
      if (await this.kv.delete(this.keys.entry(userId, seq))) removed += 1;
    }
    await this.kv.delete(this.keys.meta(userId));
    this.metas.delete(userId);
    return removed;
  }

  clearCache(): void {
    this.metas.clear();
  }
}
