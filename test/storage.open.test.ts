/**
 * Opening the store: STORAGE_URL parsing, clear StorageErrors for corrupt, unwritable, locked and
 * in-use files, persistence across restarts, schema upgrades and rows that cannot be read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openStore, parseStorageUrl, StorageError, type NewStory, type ZegaStore } from '../src/storage/index.ts';

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

/** A raw connection to the file, as another tool would have. */
function raw(file: string) {
  const db = new KeyvSqlite({ uri: `sqlite://${file}` });
  return {
    query: (sql: string, ...params: unknown[]) => db.query(sql, ...params) as Promise<Record<string, unknown>[]>,
    put: (key: string, value: unknown) =>
      db.query('INSERT INTO keyv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', `zega:${key}`, typeof value === 'string' ? value : JSON.stringify({ value })),
    getRaw: async (key: string) => ((await db.query('SELECT value FROM keyv WHERE key = ?', `zega:${key}`)) as { value: string }[])[0]?.value,
    close: () => db.disconnect(),
  };
}

async function expectStorageError(promise: Promise<unknown>, code: string, file: string): Promise<StorageError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a StorageError');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  const storageError = error as StorageError;
  expect(storageError.code).toBe(code);
  expect(storageError.message).toContain(file);
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
  it('parses sqlite paths (relative and absolute) and memory://', () => {
    expect(parseStorageUrl('sqlite://data/zega.sqlite', '/srv/bot')).toEqual({ kind: 'sqlite', file: resolve('/srv/bot', 'data/zega.sqlite') });
    expect(parseStorageUrl('sqlite:///var/lib/zega/z.sqlite')).toEqual({ kind: 'sqlite', file: '/var/lib/zega/z.sqlite' });
    expect(parseStorageUrl('memory://')).toEqual({ kind: 'memory' });
  });

  it('rejects unknown schemes with a StorageError listing the supported ones', async () => {
    for (const url of ['redis://localhost:6379', 'postgres://db/zega', 'data/zega.sqlite', 'sqlite://']) {
      const error = (() => {
        try {
          parseStorageUrl(url);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).code).toBe('UNSUPPORTED_URL');
      expect((error as StorageError).message).toMatch(/sqlite:\/\/.*memory:\/\//);
    }
    await expect(openStore('redis://localhost')).rejects.toMatchObject({ code: 'UNSUPPORTED_URL' });
  });
});

describe('start-up checks', () => {
  it('creates the parent directory and a working database', async () => {
    const file = join(dir, 'deep', 'er', 'zega.sqlite');
    const store = await openTracked(`sqlite://${file}`);
    expect(store.location).toBe(file);
    expect(existsSync(file)).toBe(true);
    await store.stories.save(story('u1', 1));
    expect(await store.stories.count('u1')).toBe(1);
  });

  it('reports a file that is not a SQLite database, naming it', async () => {
    const file = freshFile();
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, 'this is a text file, not a database\n'.repeat(50));
    const error = await expectStorageError(openStore(`sqlite://${file}`), 'CORRUPT', file);
    expect(error.message).toMatch(/Move it aside/);
    // The file is left as it was for the operator.
    expect(readFileSync(file, 'utf8')).toContain('not a database');
  });

  it('reports a database whose pages are damaged', async () => {
    const file = freshFile();
    const store = await openStore(`sqlite://${file}`);
    for (let i = 0; i < 200; i++) await store.stories.save(story('u1', i, { text: `Case ${i}. ${'Evidence everywhere. '.repeat(40)}` }));
    await store.close();
    const bytes = readFileSync(file);
    expect(bytes.length).toBeGreaterThan(8 * 4096);
    // Keep the header page, wreck the b-tree pages after it.
    for (let i = 4096; i < bytes.length; i++) bytes[i] = (i * 31) % 251;
    writeFileSync(file, bytes);
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    await expectStorageError(openStore(`sqlite://${file}`), 'CORRUPT', file);
  });

  it('reports a directory that cannot be created', async () => {
    const blocker = join(dir, `blocker-${++n}`);
    writeFileSync(blocker, 'a file where a directory should be');
    const file = join(blocker, 'zega.sqlite');
    const error = await expectStorageError(openStore(`sqlite://${file}`), 'UNWRITABLE', file);
    expect(error.message).toMatch(/writable|directory/);
  });

  it('reports a path that is a directory', async () => {
    const file = join(dir, `isdir-${++n}`);
    mkdirSync(file);
    await expectStorageError(openStore(`sqlite://${file}`), 'UNWRITABLE', file);
  });

  it('reports a database locked by another connection, and opens once it is released', async () => {
    const file = freshFile();
    await (await openStore(`sqlite://${file}`)).close();
    const other = raw(file);
    await other.query('BEGIN EXCLUSIVE');
    try {
      const started = Date.now();
      const error = await expectStorageError(openStore(`sqlite://${file}`, { busyTimeoutMs: 150 }), 'LOCKED', file);
      expect(error.message).toMatch(/locked by another process/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await other.query('ROLLBACK');
      await other.close();
    }
    const store = await openTracked(`sqlite://${file}`);
    expect(await store.stories.count('u1')).toBe(0);
  });

  it('refuses a store held by another live Zega process, takes over a stale one', async () => {
    const file = freshFile();
    await (await openStore(`sqlite://${file}`)).close();
    const child: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      const other = raw(file);
      await other.put('meta:owner', { v: 1, pid: child.pid, host: hostname(), token: 'theirs', since: Date.now() });
      await other.close();
      const error = await expectStorageError(openStore(`sqlite://${file}`), 'IN_USE', file);
      expect(error.message).toContain(String(child.pid));
      // A read-only look (a CLI) is still allowed, and cannot write.
      const viewer = await openTracked(`sqlite://${file}`, { readOnly: true });
      expect(await viewer.stories.count('u1')).toBe(0);
      await expect(viewer.stories.save(story('u1', 1))).rejects.toMatchObject({ code: 'READ_ONLY' });
    } finally {
      child.kill();
      await new Promise((r) => child.once('exit', r));
    }
    // The owner is gone: its record is stale and taken over.
    const store = await openTracked(`sqlite://${file}`);
    await store.stories.save(story('u1', 1));
    expect(await store.stories.count('u1')).toBe(1);
  });

  it('surfaces a backend failure after start-up as a StorageError and a logged error event, not a crash', async () => {
    const file = freshFile();
    const logged: object[] = [];
    const logger = { warn: () => undefined, error: (obj: object) => void logged.push(obj) };
    const store = await openTracked(`sqlite://${file}`, { logger });
    await store.stories.save(story('u1', 1));
    const other = raw(file);
    await other.query('DROP TABLE keyv');
    await other.close();
    const error = await expectStorageError(store.stories.save(story('u1', 2)), 'IO', file);
    expect(error.message).toMatch(/no such table/);
    expect(logged.length).toBeGreaterThan(0);
  });

  it('turns operations on a closed store into StorageErrors', async () => {
    const store = await openStore('memory://');
    await store.close();
    await expect(store.stories.count('u1')).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('persistence across restarts', () => {
  it('keeps stories, memory, fine-tuning examples and runs; memory search works after a restart', async () => {
    const file = freshFile();
    const url = `sqlite://${file}`;
    const first = await openStore(url);
    const saved = [];
    for (let i = 0; i < 30; i++) saved.push(await first.stories.save(story('u1', i, { createdAt: 1_700_000_000_000 + i })));
    await first.memory.add({ userId: 'u1', runId: 'run-x', genre: 'Mystery', prompt: 'The clockmaker vanishes', text: 'Gears whispered in the empty clock shop.', quality: 8, teacherId: 'hf-mistral' });
    await first.memory.add({ userId: 'u1', runId: 'run-x', genre: 'Romance', prompt: 'Letters across the sea', text: 'She kept every letter in a tin box.', quality: 7.5, teacherId: 'groq-llama' });
    await first.fineTune.add({ userId: 'u1', runId: 'run-x', index: 0, system: 'sys', prompt: 'p', story: 's', quality: 7.2, textQuality: 7, genre: 'Mystery', teacherId: 'hf-mistral', settings: { temperature: 0.7, topP: 0.9, maxTokens: 800 } });
    await first.runs.create('run-x', { userId: 'u1', examples: 3, genres: [], save: true, memory: true, voting: 'consensus' });
    await first.close();

    const second = await openTracked(url);
    expect(await second.stories.count('u1')).toBe(30);
    const page = await second.stories.list({ userId: 'u1', pageSize: 5, page: 6 });
    expect(page.items.map((s) => s.id)).toEqual(saved.slice(0, 5).map((s) => s.id).reverse());
    expect(await second.stories.get('u1', saved[7]?.id ?? '')).toEqual(saved[7]);
    const hits = await second.memory.search('u1', 'clock gears', 5);
    expect(hits[0]?.entry.prompt).toBe('The clockmaker vanishes');
    expect(await second.memory.count('u1')).toBe(2);
    expect(await second.fineTune.count('u1')).toBe(1);
    // The queued run was left open by the first process: it is interrupted now.
    expect(second.interruptedRuns).toEqual(['run-x']);
    expect((await second.runs.get('run-x'))?.status).toBe('interrupted');
    // New writes continue where the first process stopped.
    await second.memory.add({ userId: 'u1', runId: 'run-y', genre: 'Mystery', prompt: 'A clock that runs backwards', text: 'Time unspooled.', quality: 9, teacherId: 'groq-llama' });
    expect((await second.memory.search('u1', 'clock', 5)).map((h) => h.entry.seq).sort()).toEqual([0, 2]);
  });
});

describe('schema versions and unreadable rows', () => {
  it('upgrades a v0 story row on read, and skips a row from a newer version', async () => {
    const file = freshFile();
    await (await openStore(`sqlite://${file}`)).close();
    const other = raw(file);
    // A prototype-era row: no `v`, one `quality`, flat settings.
    await other.put('story:u9:legacyStory001', {
      id: 'legacyStory001',
      userId: 'u9',
      title: 'Old Tale',
      genre: 'Epic',
      prompt: 'A hero returns',
      text: 'The hero came home.',
      quality: 8.8,
      model: 'ollama-llama3',
      temperature: 0.6,
      top_p: 0.8,
      max_tokens: 700,
      createdAt: 1_600_000_000_000,
    });
    await other.put('story:u9:futureStory001', { v: 99, id: 'futureStory001', userId: 'u9', hologram: true });
    await other.put('stories:u9:head', { v: 1, segments: 1 });
    await other.put('stories:u9:seg:0', {
      v: 1,
      entries: [
        { id: 'legacyStory001', g: 'Epic', t: 1_600_000_000_000, q: 8.8 },
        { id: 'futureStory001', g: 'Epic', t: 1_600_000_000_001, q: 9 },
      ],
    });
    await other.close();

    const store = await openTracked(`sqlite://${file}`);
    const legacy = await store.stories.get('u9', 'legacyStory001');
    expect(legacy).toMatchObject({
      v: 1,
      finalQuality: 8.8,
      textQuality: 8.8,
      winner: { teacherId: 'ollama-llama3', settings: { temperature: 0.6, topP: 0.8, maxTokens: 700 } },
      style: '',
      autoGenerated: true,
      updatedAt: 1_600_000_000_000,
    });
    expect(legacy).not.toHaveProperty('quality');
    const page = await store.stories.list({ userId: 'u9' });
    expect(page.total).toBe(2);
    expect(page.items.map((s) => s.id)).toEqual(['legacyStory001']);
    expect(await store.stories.get('u9', 'futureStory001')).toBeUndefined();
    expect(store.health().issues.some((i) => i.key.includes('futureStory001') && /newer/.test(i.reason))).toBe(true);

    // Editing writes the row back in the current shape.
    await store.stories.edit('u9', 'legacyStory001', { title: 'Old Tale, Retold' });
    const check = raw(file);
    const stored = JSON.parse((await check.getRaw('story:u9:legacyStory001')) ?? '{}') as { value: Record<string, unknown> };
    await check.close();
    expect(stored.value).toMatchObject({ v: 1, title: 'Old Tale, Retold', finalQuality: 8.8 });
  });

  it('skips a corrupt story row in a list without losing the others', async () => {
    const file = freshFile();
    const store = await openStore(`sqlite://${file}`);
    const saved = [];
    for (let i = 0; i < 5; i++) saved.push(await store.stories.save(story('u2', i, { createdAt: 1_700_000_000_000 + i })));
    await store.close();
    const other = raw(file);
    await other.put(`story:u2:${saved[1]?.id}`, '{"value": {"v": 1, "id": tru'); // broken JSON
    await other.put(`story:u2:${saved[3]?.id}`, { v: 1, id: saved[3]?.id, userId: 'u2' }); // fields missing
    await other.close();

    const again = await openTracked(`sqlite://${file}`);
    const page = await again.stories.list({ userId: 'u2', pageSize: 10 });
    expect(page.total).toBe(5);
    expect(page.items.map((s) => s.id)).toEqual([saved[4], saved[2], saved[0]].map((s) => s?.id));
    const issues = again.health().issues.map((i) => i.key);
    expect(issues).toContain(`story:u2:${saved[1]?.id}`);
    expect(issues).toContain(`story:u2:${saved[3]?.id}`);
    expect((await again.stories.export('u2', 'jsonl')).trim().split('\n')).toHaveLength(3);
  });

  it('rebuilds an unreadable index head or counter and keeps the broken row aside', async () => {
    const file = freshFile();
    const store = await openStore(`sqlite://${file}`);
    for (let i = 0; i < 600; i++) await store.stories.save(story('u3', i));
    for (let i = 0; i < 3; i++) {
      await store.fineTune.add({ userId: 'u3', runId: 'run-x', index: i, system: 's', prompt: `p${i}`, story: 't', quality: 7.5, textQuality: 7, genre: 'Drama', teacherId: 'g', settings: { temperature: 1, topP: 1, maxTokens: 100 } });
    }
    await store.stats.recordExample({ userId: 'u3', genre: 'Drama', status: 'ok', outcomes: [{ teacherId: 'g', ok: true, latencyMs: 10, settings: { temperature: 1, topP: 1, maxTokens: 100 } }], winner: { teacherId: 'g', finalQuality: 8, settings: { temperature: 1, topP: 1, maxTokens: 100 } } });
    await store.close();
    const other = raw(file);
    await other.put('stories:u3:head', 'garbage');
    await other.put('ft:u3:meta', { v: 1, count: 'many' });
    await other.put('stats:user:u3', '{"value":');
    await other.close();

    const again = await openTracked(`sqlite://${file}`);
    expect(await again.stories.count('u3')).toBe(600);
    expect(await again.fineTune.count('u3')).toBe(3);
    // Statistics that cannot be read show as empty, and start again on the next update.
    expect(await again.stats.leaderboard({ scope: 'user', id: 'u3' })).toEqual([]);
    await again.stats.recordExample({ userId: 'u3', genre: 'Drama', status: 'ok', outcomes: [], winner: { teacherId: 'g', finalQuality: 9, settings: { temperature: 1, topP: 1, maxTokens: 100 } } });
    expect((await again.stats.leaderboard({ scope: 'user', id: 'u3' }))[0]).toMatchObject({ teacherId: 'g', wins: 1, averageQuality: 9 });
    expect((await again.stats.leaderboard({ scope: 'global' }))[0]).toMatchObject({ teacherId: 'g', wins: 2 });
    await again.close();

    const check = raw(file);
    const quarantined = await check.query("SELECT key FROM keyv WHERE key LIKE 'zega:quarantine:%'");
    await check.close();
    const keys = quarantined.map((r) => String(r.key));
    expect(keys.some((k) => k.endsWith(':stories:u3:head'))).toBe(true);
    expect(keys.some((k) => k.endsWith(':ft:u3:meta'))).toBe(true);
    expect(keys.some((k) => k.endsWith(':stats:user:u3'))).toBe(true);
    expect(statSync(file).size).toBeGreaterThan(0);
  });
});
