/**
 * A database written by Zega's v1 storage (keyv rows in the `keyv` table) is migrated on first
 * open, with every story, run, example, statistic, memory entry, dataset row and fine-tune round.
 * The v1 rows come from test/fixtures/storage-v1.json, dumped from a database that the v1 code
 * itself wrote (two users, one in a guild, a /write story, an edited story, a round); this test
 * writes them back with raw keyv writes, so it does not need the v1 modules.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/storage/index.ts';
import { runCli } from '../src/cli/index.ts';
import type { CliIo } from '../src/cli/io.ts';
import { sqliteDriver } from '../src/storage/sqliteDriver.ts';

/** Raw access to the file, through the driver Zega itself loads on this Node.js. */
const Database = sqliteDriver();

const dir = mkdtempSync(join(tmpdir(), 'zega-v1-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Fixture {
  rows: { key: string; value: string }[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/storage-v1.json', import.meta.url), 'utf8')) as Fixture;

const ALICE = '111111111111111111';
const BOB = '222222222222222222';
const GUILD = '999999999999999999';

/** A v1 database file: the fixture's rows (plus extra raw rows) written through keyv + @keyv/sqlite, as v1 did. */
async function buildV1(file: string, extra: { key: string; value: string }[] = []): Promise<void> {
  const adapter = new KeyvSqlite({ uri: `sqlite://${file}` });
  // Raw rows (already serialized by v1): stored as they are, one by one, exactly as v1 left them.
  const keyv = new Keyv({ store: adapter, namespace: 'zega', serialize: (d) => JSON.stringify(d), deserialize: (t) => JSON.parse(t) as never });
  await keyv.set('probe', 1);
  await keyv.delete('probe');
  for (const row of [...fixture.rows, ...extra]) await adapter.query('INSERT INTO keyv (key, value) VALUES (?, ?)', row.key, row.value);
  await keyv.disconnect();
}

const v1 = (key: string) => fixture.rows.find((r) => r.key === key)?.value ?? '';
const v1Value = <T>(key: string) => (JSON.parse(v1(key)) as { value: T }).value;

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), error: (l) => stderr.push(l) };
}

describe('migrating a v1 (keyv) database', () => {
  it('keeps every story, run, example, statistic, memory entry, dataset row and round, and removes the v1 rows', async () => {
    const file = join(dir, 'v1.sqlite');
    await buildV1(file, [{ key: 'zega:story:333333333333333333:brokenStory00001', value: '{"value": {"v": 1, "id": tru' }]);
    const storyKeys = fixture.rows.filter((r) => r.key.startsWith('zega:story:'));
    expect(storyKeys.length).toBe(7);

    const warnings: object[] = [];
    const store = await openStore(`sqlite://${file}`, { logger: { warn: (o) => void warnings.push(o), error: () => undefined } });
    try {
      expect(store.migrated).toEqual([
        'tables, indexes and full-text search',
        'import the key-value (v1) data of an older Zega',
        "run examples keep the winner's settings, calls and tokens (resumed runs count them)",
        "teachers' rate windows survive a restart",
        'statistics appended per example, folded into the counters in bulk',
        'the full-text index merges its segments less often',
      ]);
      // Stories: every one, with its fields, edits and /write origin.
      expect(await store.stories.count(ALICE)).toBe(4);
      expect(await store.stories.count(BOB)).toBe(3);
      for (const row of storyKeys) {
        const old = v1Value<{ id: string; userId: string; title: string; text: string; finalQuality: number; winner: { teacherId: string }; createdAt: number; edited?: boolean }>(row.key);
        const now = await store.stories.get(old.userId, old.id);
        expect(now, old.id).toMatchObject({ id: old.id, title: old.title, text: old.text, finalQuality: old.finalQuality, winner: { teacherId: old.winner.teacherId }, createdAt: old.createdAt });
        if (old.edited) expect(now?.edited).toBe(true);
      }
      // Runs with their plan, counts, result and message; examples by index.
      const run = await store.runs.get('run-alice-1', ALICE);
      expect(run).toMatchObject({ status: 'done', guildId: GUILD, options: { seed: 'seed-1', examples: 6 }, counts: { done: 6, successful: 5, failed: 1 }, message: { channelId: '333333333333333333' }, result: { run_id: 'run-alice-1' } });
      expect(run?.teachers).toHaveLength(7);
      expect(await store.runs.finishedIndexes('run-bob-1')).toEqual([0, 1, 2, 3, 4, 5]);
      expect((await store.runs.example('run-bob-1', 4))).toMatchObject({ status: 'failed', reasons: ['every teacher failed'] });
      // Statistics: the same leaderboards as v1 computed.
      const global = v1Value<{ all: { teachers: Record<string, { wins: number; calls: number; failures: number; stories: number }> } }>('zega:stats:global');
      const board = await store.stats.leaderboard({ scope: 'global' });
      for (const [teacherId, c] of Object.entries(global.all.teachers)) {
        expect(board.find((r) => r.teacherId === teacherId), teacherId).toMatchObject({ wins: c.wins, calls: c.calls, failures: c.failures, stories: c.stories });
      }
      expect(await store.stats.leaderboard({ scope: 'guild', id: GUILD })).toHaveLength(7);
      expect((await store.stats.topTrainers(GUILD))[0]).toMatchObject({ userId: ALICE, examples: 6, successful: 5 });
      expect(Object.keys((await store.stats.bestSettings({ scope: 'user', id: BOB })).perTeacher).length).toBeGreaterThan(0);
      // Dataset rows with their losing candidates; memory searchable; rounds and the personal model.
      expect(await store.fineTune.count(ALICE)).toBe(4);
      const [first] = await store.fineTune.list(ALICE);
      expect(first?.rejected.length).toBe(5);
      expect(first?.storyId).toBeDefined();
      expect(await store.memory.count(BOB)).toBe(4);
      expect((await store.memory.search(BOB, 'dragon', 3))[0]?.entry.prompt).toMatch(/dragon/);
      expect((await store.fineTune.latestRound(ALICE))?.current?.model).toBe(`zega-${ALICE}-v1`);
      expect(await store.fineTune.personalModels(ALICE)).toEqual([`zega-${ALICE}-v1`]);
      // The unreadable row is reported and kept aside with its raw text, not lost and not fatal.
      expect(store.health().issues.map((i) => i.key)).toEqual(['zega:story:333333333333333333:brokenStory00001']);
      expect(warnings).toHaveLength(1);
    } finally {
      await store.close();
    }
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare("select count(*) as n from keyv where key like 'zega:%'").get()).toEqual({ n: 0 });
    expect(raw.prepare('select key, raw from unreadable_rows').all()).toEqual([{ key: 'zega:story:333333333333333333:brokenStory00001', raw: '{"value": {"v": 1, "id": tru' }]);
    raw.close();

    // A second open has nothing left to migrate.
    const again = await openStore(`sqlite://${file}`);
    expect(again.migrated).toEqual([]);
    expect(await again.stories.count(ALICE)).toBe(4);
    await again.close();
  });

  it('is what `cli db migrate` does, after `cli db status` showed it pending without changing anything', async () => {
    const file = join(dir, 'v1-cli.sqlite');
    await buildV1(file);
    const env = { STORAGE_URL: `sqlite://${file}`, LOG_LEVEL: 'silent' };
    const status = captureIo();
    expect(await runCli(['db', 'status'], status, env)).toBe(0);
    expect(status.stdout.join('\n')).toMatch(/Schema version: 0[\s\S]*pending {2}1[\s\S]*pending {2}2[\s\S]*db migrate/);
    const untouched = new Database(file, { readonly: true });
    expect(untouched.prepare("select count(*) as n from sqlite_master where name = 'stories'").get()).toEqual({ n: 0 });
    untouched.close();

    const migrate = captureIo();
    expect(await runCli(['db', 'migrate'], migrate, env)).toBe(0);
    expect(migrate.stdout[0]).toMatch(/^Migrated .*import the key-value \(v1\) data/);
    const list = captureIo();
    expect(await runCli(['stories', '--user', ALICE], list, env)).toBe(0);
    expect(list.stdout[0]).toMatch(/4 in all/);
    const again = captureIo();
    expect(await runCli(['db', 'migrate'], again, env)).toBe(0);
    expect(again.stdout[0]).toMatch(/up to date/);
  });

  it('`cli db status` on a database that does not exist says so and creates nothing', async () => {
    const file = join(dir, 'nothing-here', 'zega.sqlite');
    const io = captureIo();
    expect(await runCli(['db', 'status'], io, { STORAGE_URL: `sqlite://${file}` })).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/no Zega database/);
    expect(existsSync(file)).toBe(false);
  });
});
