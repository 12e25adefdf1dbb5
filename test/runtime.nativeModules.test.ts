/**
 * The native SQLite drivers load and work on the Node.js version running the suite; .ci/run runs it
 * on every tested major. better-sqlite3 is compiled or prebuilt for the running version (13 on
 * Node 22+, 12 on Node 20: see src/storage/sqliteDriver.ts), so this fails when an install was not
 * made for it; sqlite3 (under @keyv/sqlite) is built on Node-API and loads on every version.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import KeyvSqlite from '@keyv/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { describeLoadFailure, sqliteDriver, sqliteDriverPackage } from '../src/storage/sqliteDriver.ts';

const dir = mkdtempSync(join(tmpdir(), 'zega-native-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`native SQLite drivers on Node ${process.version}`, () => {
  it('picks better-sqlite3 13 from Node 22 on and 12 on Node 20', () => {
    expect(sqliteDriverPackage('20.19.0')).toBe('better-sqlite3-node20');
    expect(sqliteDriverPackage('22.13.0')).toBe('better-sqlite3');
    expect(sqliteDriverPackage('24.21.0')).toBe('better-sqlite3');
    const loaded = createRequire(import.meta.url)(`${sqliteDriverPackage()}/package.json`) as { version: string };
    expect(loaded.version.split('.')[0]).toBe(process.versions.node.split('.')[0] === '20' ? '12' : '13');
  });

  it('the driver opens a database and has full-text search (FTS5)', () => {
    const Database = sqliteDriver();
    const db = new Database(join(dir, 'better.sqlite'));
    try {
      db.exec("CREATE VIRTUAL TABLE notes USING fts5(body); INSERT INTO notes VALUES ('a dragon guards the bridge'), ('rain on the harbour')");
      const hits = db.prepare('SELECT body FROM notes WHERE notes MATCH ?').all('dragon');
      expect(hits).toEqual([{ body: 'a dragon guards the bridge' }]);
    } finally {
      db.close();
    }
  });

  it('a process that prepares and drops many statements exits cleanly (no abort in a statement finalizer)', async () => {
    // better-sqlite3 12 on Node 24.21 aborted this process 6 times out of 6 (SIGABRT).
    {
      const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/fixtures/sqliteStatementChurn.ts'], { timeout: 120_000 })
        .then(() => 'exit 0', (error: { code?: unknown; signal?: unknown; stderr?: string }) => `exit ${String(error.code)} ${String(error.signal)}: ${error.stderr?.slice(0, 400) ?? ''}`);
      expect(result).toBe('exit 0');
    }
  }, 120_000);

  it('a driver that cannot load names the command that fixes it', () => {
    const missing = Object.assign(new Error("Cannot find module 'better-sqlite3'"), { code: 'MODULE_NOT_FOUND' });
    expect(describeLoadFailure('better-sqlite3', missing)).toMatch(/not installed.*Run `npm install` with Node\.js v/);
    const wrongAbi = new Error('The module was compiled against a different Node.js version using NODE_MODULE_VERSION 115.');
    expect(describeLoadFailure('better-sqlite3-node20', wrongAbi)).toMatch(/built for another Node\.js version.*`npm rebuild`/);
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
