/**
 * A thin layer over one keyv instance: JSON (de)serialisation that never throws on a bad row,
 * backend errors turned into StorageErrors naming the file, per-key mutex, read-only guard, and a
 * report of rows that could not be decoded. Repositories use only this, never keyv directly, so a
 * new backend (Redis, PostgreSQL) is a change in `backend.ts` alone.
 */
import type Keyv from 'keyv';
import type { DeserializedData } from 'keyv';
import { describeFileError, StorageError } from './errors.ts';
import { KeyedMutex } from './mutex.ts';
import { keys } from './keys.ts';

/** What a raw row decoded to: a JSON value, or a row we could not read. */
export type KvRead = { ok: true; value: unknown } | { ok: false; raw: unknown; reason: string };

/** A row skipped because it could not be decoded or validated. */
export interface StorageIssue {
  key: string;
  reason: string;
  at: number;
}

/** Pino-compatible subset; the store logs skipped rows and backend error events through it. */
export interface StorageLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Stands in for a row whose text is not valid JSON, so keyv hands it back instead of throwing. */
export class CorruptValue {
  constructor(
    readonly raw: string,
    readonly reason: string,
  ) {}
}

export function serialize(data: DeserializedData<unknown>): string {
  return JSON.stringify(data);
}

/** keyv calls this for every row; it must not throw, or one bad row would fail a whole list. */
export function deserialize<Value>(text: string): DeserializedData<Value> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { value: new CorruptValue(text, 'not valid JSON') as Value };
  }
  if (parsed !== null && typeof parsed === 'object' && 'value' in parsed) return parsed as DeserializedData<Value>;
  return { value: new CorruptValue(text, 'not a keyv record envelope') as Value };
}

const MANY_CHUNK = 200;
const MAX_ISSUES = 100;

export class Kv {
  readonly mutex = new KeyedMutex();
  /** The most recent skipped rows (at most 100); `issueCount` counts them all. */
  readonly issues: StorageIssue[] = [];
  issueCount = 0;
  private closed = false;

  constructor(
    private readonly keyv: Keyv,
    /** File path for sqlite, `memory://` otherwise: what error messages name. */
    readonly location: string,
    readonly readOnly: boolean,
    private readonly logger?: StorageLogger,
  ) {}

  private check(write: boolean): void {
    if (this.closed) throw new StorageError(`The store at ${this.location} is closed.`, 'CLOSED');
    if (write && this.readOnly) {
      throw new StorageError(`The store at ${this.location} was opened read-only; this change needs the bot's store.`, 'READ_ONLY');
    }
  }

  private toRead(value: unknown): KvRead | undefined {
    if (value === undefined || value === null) return undefined;
    if (value instanceof CorruptValue) return { ok: false, raw: value.raw, reason: value.reason };
    return { ok: true, value };
  }

  async get(key: string): Promise<KvRead | undefined> {
    this.check(false);
    try {
      return this.toRead(await this.keyv.get<unknown>(key));
    } catch (error) {
      throw describeFileError(error, this.location, 'reading');
    }
  }

  async getMany(keyList: readonly string[]): Promise<(KvRead | undefined)[]> {
    this.check(false);
    const out: (KvRead | undefined)[] = [];
    try {
      for (let i = 0; i < keyList.length; i += MANY_CHUNK) {
        const chunk = keyList.slice(i, i + MANY_CHUNK);
        const values = await this.keyv.getMany<unknown>(chunk);
        for (const value of values) out.push(this.toRead(value));
      }
    } catch (error) {
      throw describeFileError(error, this.location, 'reading');
    }
    return out;
  }

  async set(key: string, value: unknown): Promise<void> {
    this.check(true);
    try {
      await this.keyv.set(key, value);
    } catch (error) {
      throw describeFileError(error, this.location, 'writing to');
    }
  }

  async delete(key: string): Promise<boolean> {
    this.check(true);
    try {
      return await this.keyv.delete(key);
    } catch (error) {
      throw describeFileError(error, this.location, 'writing to');
    }
  }

  /** Records a row that was skipped; lists go on without it. */
  report(key: string, reason: string): void {
    this.issueCount += 1;
    this.issues.push({ key, reason, at: Date.now() });
    if (this.issues.length > MAX_ISSUES) this.issues.shift();
    this.logger?.warn({ key, reason, store: this.location }, 'storage: skipped a row that could not be read');
  }

  /**
   * Copies an unreadable row aside before a read-modify-write replaces it, so nothing is lost
   * for good; an operator can inspect `quarantine:*` rows.
   */
  async quarantine(key: string, read: { raw: unknown; reason: string }): Promise<void> {
    this.report(key, read.reason);
    if (this.readOnly) return;
    const at = Date.now();
    await this.set(keys.quarantine(key, at), { v: 1, key, reason: read.reason, raw: read.raw, at });
  }

  logError(error: unknown): void {
    this.logger?.error({ err: error, store: this.location }, 'storage: backend error');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.keyv.disconnect();
    } catch (error) {
      throw describeFileError(error, this.location, 'closing');
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
