/**
 * On SQLite the key-value state (@keyv/sqlite, a second copy of SQLite) lives in a file of its own,
 * never in the database file better-sqlite3 writes; an older database's state moves there on open.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/storage/index.ts';
import { stateFileFor } from '../src/storage/state.ts';
import { sqliteDriver } from '../src/storage/sqliteDriver.ts';

const Database = sqliteDriver();
const dir = mkdtempSync(join(tmpdir(), 'zega-statefile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tablesOf(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe('key-value state file (SQLite)', () => {
  it('is named after the database file', () => {
    expect(stateFileFor('data/zega.sqlite')).toBe('data/zega.state.sqlite');
    expect(stateFileFor('/srv/zega.db')).toBe('/srv/zega.db.state');
  });

  it('keeps the state beside the database, not in it', async () => {
    const file = join(dir, 'fresh.sqlite');
    const store = await openStore(`sqlite://${file}`);
    await store.state.set('ledger:u1:2026-11-29', { used: 3 }, 60_000);
    expect(await store.state.get('ledger:u1:2026-11-29')).toEqual({ used: 3 });
    await store.close();
    expect(tablesOf(file)).not.toContain('kv_state');
    expect(tablesOf(stateFileFor(file))).toContain('kv_state');
  });

  it("moves an older database's state into its file on open, keeping values and lifetimes", async () => {
    const file = join(dir, 'older.sqlite');
    // An older Zega: its keyv rows (serialised with their expiry) in the database file itself.
    await (await openStore(`sqlite://${file}`)).close();
    const raw = new Database(file);
    const live = JSON.stringify({ value: { used: 7 }, expires: Date.now() + 3_600_000 });
    const expired = JSON.stringify({ value: { text: 'old draft' }, expires: Date.now() - 1_000 });
    raw.exec('create table kv_state (key VARCHAR(255) PRIMARY KEY, value TEXT )');
    raw.prepare('insert into kv_state values (?, ?), (?, ?)').run('zega:ledger:u2:2026-11-29', live, 'zega:draft:u2:d1', expired);
    raw.close();

    const store = await openStore(`sqlite://${file}`);
    expect(await store.state.get('ledger:u2:2026-11-29')).toEqual({ used: 7 });
    expect(await store.state.get('draft:u2:d1')).toBeUndefined();
    await store.close();
    expect(tablesOf(file)).not.toContain('kv_state');
    // Opening again finds nothing left to move and keeps the moved value.
    const again = await openStore(`sqlite://${file}`);
    expect(await again.state.get('ledger:u2:2026-11-29')).toEqual({ used: 7 });
    await again.close();
  });

  it('a read-only store reads a missing state file as empty and does not create it', async () => {
    const file = join(dir, 'readonly.sqlite');
    await (await openStore(`sqlite://${file}`)).close();
    rmSync(stateFileFor(file), { force: true });
    const store = await openStore(`sqlite://${file}`, { readOnly: true });
    expect(await store.state.get('ledger:u3:2026-11-29')).toBeUndefined();
    expect(await store.state.entries('ledger:')).toEqual([]);
    await expect(store.state.set('ledger:u3:2026-11-29', { used: 1 })).rejects.toMatchObject({ code: 'READ_ONLY' });
    await store.close();
    expect(existsSync(stateFileFor(file))).toBe(false);
  });
});
