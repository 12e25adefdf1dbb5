/**
 * What every repository is built on: the Kysely handle, the dialect, how to write (one
 * transaction), and where unreadable rows are reported. `bind(context, trx)` gives the same
 * repositories inside an open transaction, so the trainer's per-example transaction reuses them.
 */
import type { Kysely } from 'kysely';
import type { SqlDialect } from './database.ts';
import type { Database } from './schema.ts';

/** A row skipped because it could not be read. */
export interface StorageIssue {
  source: string;
  key: string;
  reason: string;
  at: number;
}

/** Pino-compatible subset. */
export interface StorageLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
}

const MAX_ISSUES = 100;

/** Counts and logs rows that could not be read; callers show the count in their output. */
export class StorageIssues {
  readonly recent: StorageIssue[] = [];
  count = 0;

  constructor(private readonly logger?: StorageLogger) {}

  report(source: string, key: string, reason: string): void {
    this.count += 1;
    this.recent.push({ source, key, reason, at: Date.now() });
    if (this.recent.length > MAX_ISSUES) this.recent.shift();
    this.logger?.warn({ source, key, reason }, 'storage: a row could not be read');
  }
}

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialect;
  /** Runs `work` in one transaction (or inside the current one, when bound to a transaction). */
  write<T>(work: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  readonly issues: StorageIssues;
}

export function bind(context: StoreContext, trx: Kysely<Database>): StoreContext {
  return { db: trx, dialect: context.dialect, issues: context.issues, write: (work) => work(trx) };
}

/** Parses a JSON column; a bad one is reported and read as `fallback`. */
export function parseJson<T>(context: StoreContext, source: string, key: string, text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    context.issues.report(source, key, 'not valid JSON');
    return fallback;
  }
}
