/**
 * Opening the store: STORAGE_URL parsing; one clear StorageError naming the setting for a corrupt,
 * unwritable or locked SQLite file and for an unreachable, refusing or missing PostgreSQL;
 * read-only commands never create a file; a database file deleted or replaced under a running
 * process is detected; persistence across restarts; rows that cannot be read are reported.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { inspectStore, openStore, parseStorageUrl, StorageError, type NewStory, type ZegaStore } from '../src/storage/index.ts';
import { LATEST_VERSION } from '../src/storage/migrations.ts';
import { closedPort } from './helpers/teacherTest.ts';
import { createPostgresDatabase, POSTGRES_ADMIN_URL, postgresUnavailable } from './helpers/storageBackends.ts';
import { sqliteDriver } from '../src/storage/sqliteDriver.ts';

/** Raw access to the file, through the driver Zega itself loads on this Node.js. */
const Database = sqliteDriver();

const dir = mkdtempSync(join(tmpdir(), 'zega-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = () => join(dir, `db-${++n}`, 'zega.sqlite');

const open: ZegaStore[] = [];
async function openTracked(url: string, options: Parameters<typeof openStore>[1] = {}): Promise<ZegaStore> {
  const store = await openStore(url, options);
  open.push(store);
  return store;
}
afterEach(async () => {
  for (const store of open.splice(0)) await store.close().catch(() => undefined);
});

async function expectStorageError(promise: Promise<unknown>, code: string, names: string): Promise<StorageError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a StorageError');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  const storageError = error as StorageError;
  expect(storageError.code).toBe(code);
  expect(storageError.message).toContain(names);
  return storageError;
}

const story = (userId: string, i: number, extra: Partial<NewStory> = {}): NewStory => ({
  userId,
  genre: 'Mystery',
  prompt: `A locked room, case ${i}`,
  style: 'noir',
  text: `Case ${i}. The door was locked from the inside.`,
  finalQuality: 8.4,
  textQuality: 8,
  confidence: 0.5,
  winner: { teacherId: 'hf-mistral', settings: { temperature: 0.7, topP: 0.9, maxTokens: 800 } },
  runId: 'run-x',
  ...extra,
});

describe('STORAGE_URL', () => {
  it('parses sqlite paths (relative and absolute), postgres URLs and memory://', () => {
    expect(parseStorageUrl('sqlite://data/zega.sqlite', '/srv/bot')).toEqual({ kind: 'sqlite', file: resolve('/srv/bot', 'data/zega.sqlite') });
    expect(parseStorageUrl('sqlite:///var/lib/zega/z.sqlite')).toEqual({ kind: 'sqlite', file: '/var/lib/zega/z.sqlite' });
    expect(parseStorageUrl('memory://')).toEqual({ kind: 'memory' });
    expect(parseStorageUrl('postgres://zega:pw@db.internal:5432/zega')).toEqual({ kind: 'postgres', url: 'postgres://zega:pw@db.internal:5432/zega', database: 'zega' });
    expect(parseStorageUrl('postgresql://db/zega')).toMatchObject({ kind: 'postgres', database: 'zega' });
  });

  it('rejects anything else with one StorageError naming STORAGE_URL and the supported forms, password masked', async () => {
    for (const url of ['redis://localhost:6379', 'data/zega.sqlite', 'sqlite://', 'postgres://host-only', 'postgres://user:secret-pw@/db']) {
      let error: unknown;
      try {
        parseStorageUrl(url);
      } catch (e) {
        error = e;
      }
      expect(error, url).toBeInstanceOf(StorageError);
      expect((error as StorageError).code).toBe('UNSUPPORTED_URL');
      expect((error as StorageError).message).toContain('STORAGE_URL');
      expect((error as StorageError).message).not.toContain('secret-pw');
    }
    await expect(openStore('redis://localhost')).rejects.toMatchObject({ code: 'UNSUPPORTED_URL' });
  });
});

describe('start-up checks (SQLite)', () => {
  it('creates the parent directory and a migrated database in WAL mode', async () => {
    const file = join(dir, 'deep', 'er', 'zega.sqlite');
    const store = await openTracked(`sqlite://${file}`);
    expect(store.location).toBe(file);
    expect(existsSync(file)).toBe(true);
    expect(store.migrated).toHaveLength(LATEST_VERSION);
    await store.stories.save(story('u1', 1));
    expect(await store.stories.count('u1')).toBe(1);
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    // Small pages and fewer full-text merges: what keeps the bytes a run writes low (bench/storage.ts).
    expect(raw.pragma('page_size', { simple: true })).toBe(1024);
    expect(raw.prepare("select v from memory_fts_config where k = 'automerge'").pluck().get()).toBe(16);
    raw.close();
  });

  it('reports a file that is not a SQLite database, naming it, and leaves it as it was', async () => {
    const file = freshFile();
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, 'this is a text file, not a database\n'.repeat(50));
    const error = await expectStorageError(openStore(`sqlite://${file}`), 'CORRUPT', file);
    expect(error.message).toMatch(/Move it aside/);
    expect(readFileSync(file, 'utf8')).toContain('not a database');
  });

  it('reports a database whose pages are damaged', async () => {
    const file = freshFile();
    const store = await openStore(`sqlite://${file}`);
    for (let i = 0; i < 200; i++) await store.stories.save(story('u1', i, { text: `Case ${i}. ${'Evidence everywhere. '.repeat(40)}` }));
    await store.close();
    const bytes = readFileSync(file);
    expect(bytes.length).toBeGreaterThan(8 * 4096);
    for (let i = 4096; i < bytes.length; i++) bytes[i] = (i * 31) % 251;
    writeFileSync(file, bytes);
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    await expectStorageError(openStore(`sqlite://${file}`), 'CORRUPT', file);
  });

  it('reports a directory that cannot be created, and a path that is a directory', async () => {
    const blocker = join(dir, `blocker-${++n}`);
    writeFileSync(blocker, 'a file where a directory should be');
    const error = await expectStorageError(openStore(`sqlite://${join(blocker, 'zega.sqlite')}`), 'UNWRITABLE', join(blocker, 'zega.sqlite'));
    expect(error.message).toMatch(/writable|directory/);
    const isDir = join(dir, `isdir-${++n}`);
    mkdirSync(isDir);
    await expectStorageError(openStore(`sqlite://${isDir}`), 'UNWRITABLE', isDir);
  });

  it('waits for another writer, and says LOCKED naming the file when it does not let go in time', async () => {
    const file = freshFile();
    await (await openStore(`sqlite://${file}`)).close();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const error = await expectStorageError(openStore(`sqlite://${file}`, { busyTimeoutMs: 150 }).then((s) => s.stories.save(story('u1', 1)).finally(() => s.close())), 'LOCKED', file);
      expect(error.message).toMatch(/locked by another process/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const store = await openTracked(`sqlite://${file}`);
    await store.stories.save(story('u1', 1));
    expect(await store.stories.count('u1')).toBe(1);
  });

  it('never creates a database for a read-only look (CLI library commands, db status)', async () => {
    const file = freshFile();
    await expectStorageError(openStore(`sqlite://${file}`, { mustExist: true }), 'NO_DATABASE', file);
    await expectStorageError(inspectStore(`sqlite://${file}`), 'NO_DATABASE', file);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(file, '..'))).toBe(false);
  });

  it('opens read-only without migrating, and refuses writes there', async () => {
    const file = freshFile();
    await (await openStore(`sqlite://${file}`)).close();
    const viewer = await openTracked(`sqlite://${file}`, { readOnly: true });
    expect(await viewer.stories.count('u1')).toBe(0);
    await expect(viewer.stories.save(story('u1', 1))).rejects.toMatchObject({ code: 'READ_ONLY' });
    const status = await viewer.migrationStatus();
    expect(status).toMatchObject({ current: LATEST_VERSION, pending: [] });
  });

  it('surfaces a failure after start-up as a StorageError naming the file', async () => {
    const file = freshFile();
    const store = await openTracked(`sqlite://${file}`);
    await store.stories.save(story('u1', 1));
    const other = new Database(file);
    other.exec('DROP TABLE stories');
    other.close();
    const error = await expectStorageError(store.stories.save(story('u1', 2)), 'IO', file);
    expect(error.message).toMatch(/no such table/);
  });
});

describe('a database file deleted or replaced under a running process', () => {
  it('is detected at the next write (GONE), and nothing is written into the unlinked file', async () => {
    const file = freshFile();
    const store = await openTracked(`sqlite://${file}`);
    await store.stories.save(story('u1', 1));
    rmSync(file);
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    const error = await expectStorageError(store.stories.save(story('u1', 2)), 'GONE', file);
    expect(error.message).toMatch(/deleted/);
    await expect(store.trainerStore().startRun('run-1', { userId: 'u1', examples: 1, genres: [], save: true, memory: true, voting: 'consensus' }, [])).rejects.toMatchObject({ code: 'GONE' });
  });

  it('is detected when another file takes its place', async () => {
    const file = freshFile();
    const store = await openTracked(`sqlite://${file}`);
    await store.stories.save(story('u1', 1));
    const other = freshFile();
    await (await openStore(`sqlite://${other}`)).close();
    renameSync(other, file);
    const error = await expectStorageError(store.stories.save(story('u1', 2)), 'GONE', file);
    expect(error.message).toMatch(/replaced/);
  });
});

describe('PostgreSQL connection problems', () => {
  it('an unreachable server is one UNREACHABLE error naming STORAGE_URL (password masked)', async () => {
    const port = await closedPort();
    const error = await expectStorageError(openStore(`postgres://zega:hunter2@127.0.0.1:${port}/zega`), 'UNREACHABLE', 'STORAGE_URL');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it.skipIf(postgresUnavailable !== undefined)('a missing database is NO_DATABASE, an unknown user is AUTH, and nothing is created', async () => {
    const missing = new URL(POSTGRES_ADMIN_URL);
    missing.pathname = `/zega_missing_${Date.now().toString(36)}`;
    const error = await expectStorageError(openStore(missing.toString()), 'NO_DATABASE', 'STORAGE_URL');
    expect(error.message).toMatch(/does not exist/);
    const stranger = new URL(POSTGRES_ADMIN_URL);
    stranger.username = 'zega_no_such_role';
    stranger.password = 'wrong-password';
    const auth = await expectStorageError(openStore(stranger.toString()), 'AUTH', 'STORAGE_URL');
    expect(auth.message).not.toContain('wrong-password');
    // Nothing half-created: the missing database is still missing.
    await expectStorageError(openStore(missing.toString()), 'NO_DATABASE', 'STORAGE_URL');
  });

  it.skipIf(postgresUnavailable !== undefined)('creates the schema in an empty database and reports its status', async () => {
    const db = await createPostgresDatabase();
    try {
      const before = await inspectStore(db.url);
      expect(before.status).toMatchObject({ current: 0, pending: expect.arrayContaining([expect.objectContaining({ version: 1 })]) as object[] });
      const store = await openStore(db.url);
      expect(store.kind).toBe('postgres');
      await store.stories.save(story('u1', 1));
      await store.close();
      const after = await inspectStore(db.url);
      expect(after.status).toMatchObject({ current: LATEST_VERSION, pending: [] });
    } finally {
      await db.drop();
    }
  });
});

describe('persistence across restarts', () => {
  it('keeps stories, memory, fine-tuning examples and runs; memory search works after a restart', async () => {
    const url = `sqlite://${freshFile()}`;
    const first = await openStore(url);
    const saved = [];
    for (let i = 0; i < 30; i++) saved.push(await first.stories.save(story('u1', i, { createdAt: 1_700_000_000_000 + i })));
    const clock = await first.memory.add({ userId: 'u1', runId: 'run-x', genre: 'Mystery', prompt: 'The clockmaker vanishes', text: 'Gears whispered in the empty clock shop.', quality: 8, teacherId: 'hf-mistral' });
    await first.memory.add({ userId: 'u1', runId: 'run-x', genre: 'Romance', prompt: 'Letters across the sea', text: 'She kept every letter in a tin box.', quality: 7.5, teacherId: 'groq-llama' });
    await first.fineTune.add({ userId: 'u1', runId: 'run-x', index: 0, system: 'sys', prompt: 'p', story: 's', quality: 7.2, textQuality: 7, genre: 'Mystery', teacherId: 'hf-mistral', settings: { temperature: 0.7, topP: 0.9, maxTokens: 800 } });
    await first.close();

    const second = await openTracked(url);
    expect(second.migrated).toEqual([]);
    expect(await second.stories.count('u1')).toBe(30);
    const page = await second.stories.list({ userId: 'u1', pageSize: 5, page: 6 });
    expect(page.items.map((s) => s.id)).toEqual(saved.slice(0, 5).map((s) => s.id).reverse());
    expect(await second.stories.get('u1', saved[7]?.id ?? '')).toEqual(saved[7]);
    const hits = await second.memory.search('u1', 'clock gears', 5);
    expect(hits[0]?.entry.prompt).toBe('The clockmaker vanishes');
    expect(await second.memory.count('u1')).toBe(2);
    expect(await second.fineTune.count('u1')).toBe(1);
    const later = await second.memory.add({ userId: 'u1', runId: 'run-y', genre: 'Mystery', prompt: 'A clock that runs backwards', text: 'Time unspooled.', quality: 9, teacherId: 'groq-llama' });
    expect((await second.memory.search('u1', 'clock', 5)).map((h) => h.entry.seq).sort()).toEqual([clock.seq, later.seq].sort());
  });
});

describe('rows that cannot be read', () => {
  it('are left out of lists, counted on the page and in health(), and logged — never silently', async () => {
    const file = freshFile();
    const warnings: object[] = [];
    const logger = { warn: (obj: object) => void warnings.push(obj), error: () => undefined };
    const store = await openTracked(`sqlite://${file}`, { logger });
    const saved = [];
    for (let i = 0; i < 5; i++) saved.push(await store.stories.save(story('u2', i, { createdAt: 1_700_000_000_000 + i })));
    await store.trainerStore().startRun('run-b', { userId: 'u2', examples: 2, genres: [], save: true, memory: true, voting: 'consensus' }, []);
    // Another tool (or a newer Zega) wrote what this one cannot read.
    const other = new Database(file);
    other.prepare('UPDATE stories SET genre = ? WHERE id = ?').run('Cookbook', saved[1]?.id);
    other.prepare('UPDATE runs SET plan = ? WHERE id = ?').run('{"broken', 'run-b');
    other.close();

    const page = await store.stories.list({ userId: 'u2', pageSize: 10 });
    expect(page.total).toBe(5);
    expect(page.unreadable).toBe(1);
    expect(page.items.map((s) => s.id)).toEqual([saved[4], saved[3], saved[2], saved[0]].map((s) => s?.id));
    expect((await store.stories.export('u2', 'jsonl')).trim().split('\n')).toHaveLength(4);
    const run = await store.runs.get('run-b');
    expect(run?.options.userId).toBe('u2');
    const health = store.health();
    expect(health.issueCount).toBe(3);
    expect(health.issues.map((i) => i.key)).toEqual([saved[1]?.id, saved[1]?.id, 'run-b']);
    expect(warnings).toHaveLength(3);
  });
});
