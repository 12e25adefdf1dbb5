/**
 * Button state (/write drafts, /autotrain panels) lives on the store's keyv state: what one bot
 * process saves, another process on the same SQLite file reads; it expires after its lifetime,
 * and a sweep deletes expired records nobody reads again. Time is a fake clock (Date only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ButtonState } from '../src/commands/buttonState.ts';
import { openStore, stateKeys, type ZegaStore } from '../src/storage/index.ts';
import { stateFileFor } from '../src/storage/state.ts';
import { sqliteDriver } from '../src/storage/sqliteDriver.ts';

const TTL = 15 * 60_000;
const START = Date.UTC(2026, 0, 1);

describe('button state on keyv', () => {
  let dir: string;
  const stores: ZegaStore[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zega-buttons-'));
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(START);
  });
  afterEach(async () => {
    vi.useRealTimers();
    while (stores.length) await stores.pop()?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = async () => {
    const store = await openStore(`sqlite://${join(dir, 'zega.sqlite')}`);
    stores.push(store);
    return store;
  };

  it('what one process saves another reads, until it expires', async () => {
    const [one, two] = [await open(), await open()];
    // Each process has its own ButtonState, as each bot process has its own module.
    const drafts = (clock = Date.now) => new ButtonState<{ text: string }>(stateKeys.draft, TTL, 'draft:', clock);
    await drafts().set(one.state, 'alice', 'alice-t1', { text: 'a story' });
    expect(await drafts().get(two.state, 'alice', 'alice-t1')).toEqual({ text: 'a story' });
    expect(await drafts().get(two.state, 'bob', 'alice-t1')).toBeUndefined();

    // Written again (Regenerate), its lifetime starts again.
    vi.setSystemTime(START + TTL - 1000);
    await drafts().set(two.state, 'alice', 'alice-t1', { text: 'a second take' });
    vi.setSystemTime(START + TTL + 1000);
    expect(await drafts().get(one.state, 'alice', 'alice-t1')).toEqual({ text: 'a second take' });
    vi.setSystemTime(START + 2 * TTL);
    expect(await drafts().get(one.state, 'alice', 'alice-t1')).toBeUndefined();

    // Taken once: a second delete (a double press in another process) finds it gone.
    await drafts().set(one.state, 'alice', 'alice-t2', { text: 'x' });
    expect(await drafts().delete(two.state, 'alice', 'alice-t2')).toBe(true);
    expect(await drafts().delete(one.state, 'alice', 'alice-t2')).toBe(false);
  });

  it('a sweep deletes the expired records of every user, at most once per lifetime', async () => {
    const store = await open();
    const panels = new ButtonState<{ n: number }>(stateKeys.panel, TTL, 'panel:');
    await panels.set(store.state, 'alice', 'a1', { n: 1 });
    await panels.set(store.state, 'bob', 'b1', { n: 2 });
    vi.setSystemTime(START + TTL / 2);
    await panels.set(store.state, 'bob', 'b2', { n: 3 });
    await store.state.set(stateKeys.ledger('alice'), [{ token: 't', at: START, examples: 1 }]);

    vi.setSystemTime(START + TTL + 1);
    expect(await panels.sweep(store.state)).toBe(true);
    expect(await panels.sweep(store.state)).toBe(false);
    // Only the live panel and the ledger (no lifetime) are left, read without expiry checks.
    const rows = rawKeys(stateFileFor(join(dir, 'zega.sqlite')));
    expect(rows.sort()).toEqual([`zega:${stateKeys.ledger('alice')}`, `zega:${stateKeys.panel('bob', 'b2')}`]);
  });
});

function rawKeys(file: string): string[] {
  const Database = sqliteDriver();
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('select key from kv_state').all() as { key: string }[]).map((r) => r.key);
  } finally {
    db.close();
  }
}
