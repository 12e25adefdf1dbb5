/**
 * Prepared statements kept by their SQL text for Kysely's SQLite dialect, which otherwise
 * prepares (parses and plans) every statement anew on each call: a training example runs the same
 * dozen statements, so reusing them saves that work per example. SQLite re-prepares a kept
 * statement by itself when the schema changes. A statement still being iterated is busy and cannot
 * run twice at once: the caller then gets a fresh one.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct statements kept; the oldest goes first beyond this (ad-hoc SQL must not grow memory). */
export const MAX_CACHED_STATEMENTS = 200;

export function cachingStatements(raw: BetterSqlite3.Database, max = MAX_CACHED_STATEMENTS): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql: string): SqliteStatement {
      const kept = cache.get(sql);
      if (kept && !kept.busy) return kept;
      const statement = raw.prepare(sql);
      if (!kept) {
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(sql, statement);
      }
      return statement;
    },
    close: () => {
      cache.clear();
      raw.close();
    },
  };
}
