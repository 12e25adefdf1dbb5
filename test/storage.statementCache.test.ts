import { afterEach, describe, expect, it } from 'vitest';
import { cachingStatements } from '../src/storage/statementCache.ts';
import { sqliteDriver, type SqliteConnection } from '../src/storage/sqliteDriver.ts';

const BetterSqlite3 = sqliteDriver();
let raw: SqliteConnection | undefined;
afterEach(() => raw?.open && raw.close());

function open() {
  raw = new BetterSqlite3(':memory:');
  raw.exec('create table t (n integer)');
  raw.exec('insert into t values (1), (2), (3)');
  return raw;
}

describe('cachingStatements', () => {
  it('prepares a statement once and reuses it', () => {
    const db = cachingStatements(open());
    const first = db.prepare('select n from t order by n');
    expect(db.prepare('select n from t order by n')).toBe(first);
    expect(first.all([])).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('gives a fresh statement while the kept one is being iterated', () => {
    const db = cachingStatements(open());
    const sql = 'select n from t order by n';
    const outer = db.prepare(sql);
    const seen: unknown[] = [];
    for (const row of outer.iterate([])) seen.push([row, db.prepare(sql).all([]).length]);
    expect(seen).toEqual([[{ n: 1 }, 3], [{ n: 2 }, 3], [{ n: 3 }, 3]]);
  });

  it('keeps at most `max` statements, dropping the oldest', () => {
    const db = cachingStatements(open(), 2);
    const a = db.prepare('select 1');
    db.prepare('select 2');
    db.prepare('select 3');
    expect(db.prepare('select 1')).not.toBe(a);
  });
});
