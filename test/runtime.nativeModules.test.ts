/**
 * The native SQLite drivers load and work on the Node.js version running the suite; .ci/run runs it
 * on every tested major. better-sqlite3 is compiled against one Node ABI (a build for Node 20 does
 * not load on 24), so this fails when an install was not built for the running version; sqlite3
 * (under @keyv/sqlite) is built on Node-API and loads on every version.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'zega-native-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`native SQLite drivers on Node ${process.version}`, () => {
  it('better-sqlite3 opens a database and has full-text search (FTS5)', () => {
    const db = new Database(join(dir, 'better.sqlite'));
    try {
      db.exec("CREATE VIRTUAL TABLE notes USING fts5(body); INSERT INTO notes VALUES ('a dragon guards the bridge'), ('rain on the harbour')");
      const hits = db.prepare('SELECT body FROM notes WHERE notes MATCH ?').all('dragon');
      expect(hits).toEqual([{ body: 'a dragon guards the bridge' }]);
    } finally {
      db.close();
    }
  });

  it('sqlite3 (through @keyv/sqlite) stores and reads a value', async () => {
    const store = new KeyvSqlite({ uri: `sqlite://${join(dir, 'keyv.sqlite')}` });
    try {
      await store.set('k', JSON.stringify({ value: 42 }));
      expect(JSON.parse((await store.get('k')) as string)).toEqual({ value: 42 });
    } finally {
      await store.disconnect();
    }
  });
});
