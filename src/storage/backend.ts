/**
 * Chooses and opens the key-value backend from STORAGE_URL alone:
 *
 *   sqlite://data/zega.sqlite        file relative to the working directory (the default)
 *   sqlite:///var/lib/zega.sqlite    absolute path
 *   memory://                        keyv's in-process Map, for tests and throw-away runs
 *
 * A new backend (redis://, postgres://) is one more case here: repositories only see `Kv`.
 * For SQLite the file is checked before and after opening, and a write+read+delete probe runs, so
 * a locked, unwritable or corrupt file is a StorageError naming the file, never a stack trace.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, readSync, closeSync, statSync, accessSync, constants as fsConstants } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { describeFileError, StorageError } from './errors.ts';
import { deserialize, Kv, serialize, type StorageLogger } from './kv.ts';

export const SUPPORTED_SCHEMES = ['sqlite://', 'memory://'] as const;

export type BackendSpec = { kind: 'sqlite'; file: string } | { kind: 'memory' };

export interface BackendOptions {
  logger?: StorageLogger;
  /** How long SQLite waits for a lock held by another connection before giving up (ms). Default 5000. */
  busyTimeoutMs?: number;
  /** Open without writing anything (no probe write, no owner lock); every change throws READ_ONLY. */
  readOnly?: boolean;
}

/** Parses STORAGE_URL; unknown schemes are a StorageError listing the supported ones. */
export function parseStorageUrl(url: string, cwd = process.cwd()): BackendSpec {
  const trimmed = url.trim();
  const supported = `Supported: ${SUPPORTED_SCHEMES.map((s) => `${s}...`).join(', ')} (e.g. sqlite://data/zega.sqlite).`;
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(trimmed);
  if (!match) throw new StorageError(`STORAGE_URL ${JSON.stringify(url)} is not a URL. ${supported}`, 'UNSUPPORTED_URL');
  const scheme = (match[1] ?? '').toLowerCase();
  const rest = match[2] ?? '';
  if (scheme === 'memory') return { kind: 'memory' };
  if (scheme === 'sqlite') {
    const path = decodeURIComponent(rest.split('?')[0] ?? '');
    if (path === '') throw new StorageError(`STORAGE_URL ${JSON.stringify(url)} names no file. ${supported}`, 'UNSUPPORTED_URL');
    if (path === ':memory:') return { kind: 'memory' };
    return { kind: 'sqlite', file: isAbsolute(path) ? path : resolve(cwd, path) };
  }
  throw new StorageError(`STORAGE_URL scheme "${scheme}://" is not supported. ${supported}`, 'UNSUPPORTED_URL');
}

const SQLITE_HEADER = 'SQLite format 3\u0000';

/** Checks the file system before SQLite sees the file: directory, permissions, header. */
function precheckFile(file: string, readOnly: boolean): void {
  const dir = dirname(file);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    // EEXIST here means a file sits where the directory should be.
    const code = (error as { code?: string }).code === 'EEXIST' ? 'ENOTDIR' : (error as { code?: string }).code;
    throw describeFileError(Object.assign(new Error((error as Error).message), { code }), file, `creating the directory ${dir} for`);
  }
  let size = -1;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) {
      throw new StorageError(`The database path ${file} exists but is not a file. Point STORAGE_URL at a file.`, 'UNWRITABLE', { file });
    }
    size = stat.size;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw describeFileError(error, file, 'opening');
  }
  try {
    accessSync(size >= 0 ? file : dir, readOnly ? fsConstants.R_OK : fsConstants.R_OK | fsConstants.W_OK);
    // SQLite also writes a -wal and -shm file beside the database.
    if (!readOnly) accessSync(dir, fsConstants.W_OK);
  } catch (error) {
    throw describeFileError(error, file, 'opening');
  }
  if (size > 0) {
    const header = Buffer.alloc(16);
    let fd: number | undefined;
    try {
      fd = openSync(file, 'r');
      readSync(fd, header, 0, 16, 0);
    } catch (error) {
      throw describeFileError(error, file, 'reading');
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (size < 100 || header.toString('latin1') !== SQLITE_HEADER) {
      throw describeFileError(Object.assign(new Error('file is not a database'), { code: 'SQLITE_NOTADB' }), file, 'opening');
    }
  }
}

export const NAMESPACE = 'zega';

function makeKeyv(store: KeyvStoreAdapter | Map<string, unknown>): Keyv {
  return new Keyv(store, { namespace: NAMESPACE, serialize, deserialize, throwOnErrors: true });
}

/** Opens the backend named by the spec and proves it can be read (and written, unless read-only). */
export async function openBackend(spec: BackendSpec, options: BackendOptions = {}): Promise<Kv> {
  const readOnly = options.readOnly ?? false;
  if (spec.kind === 'memory') {
    const keyv = makeKeyv(new Map());
    const kv = new Kv(keyv, 'memory://', readOnly, options.logger);
    keyv.on('error', (error: unknown) => kv.logError(error));
    return kv;
  }
  const { file } = spec;
  precheckFile(file, readOnly);
  const adapter = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: options.busyTimeoutMs ?? 5000 });
  // The adapter emits 'error' when connecting fails; keyv re-emits it. Both get a listener so an
  // error event is logged, never thrown as an uncaught exception; the probe below surfaces it.
  adapter.on('error', () => undefined);
  const keyv = makeKeyv(adapter);
  const kv = new Kv(keyv, file, readOnly, options.logger);
  keyv.on('error', (error: unknown) => kv.logError(error));
  try {
    await probe(kv, adapter);
  } catch (error) {
    await kv.close().catch(() => undefined);
    throw describeFileError(error, file, 'opening');
  }
  return kv;
}

async function probe(kv: Kv, adapter: KeyvSqlite): Promise<void> {
  if (!kv.readOnly) {
    // The adapter keeps one connection, so these hold for every later query. WAL: readers do not
    // block the writer and a commit is an append; synchronous=NORMAL is safe against a crash of
    // the process, and may lose the last commits (not the file) on power loss.
    await adapter.query('PRAGMA journal_mode=WAL');
    await adapter.query('PRAGMA synchronous=NORMAL');
  }
  // Touches the table (a non-database file fails here) and asks SQLite to check its pages.
  const check = (await adapter.query('PRAGMA quick_check(1)')) as { quick_check?: string }[];
  const verdict = check[0]?.quick_check;
  if (verdict !== undefined && verdict !== 'ok') {
    throw Object.assign(new Error(`integrity check failed: ${verdict}`), { code: 'SQLITE_CORRUPT' });
  }
  const key = `meta:probe:${randomBytes(6).toString('hex')}`;
  if (kv.readOnly) {
    await kv.get(key);
    return;
  }
  const token = randomBytes(8).toString('hex');
  await kv.set(key, { token });
  const back = await kv.get(key);
  if (!back?.ok || (back.value as { token?: string }).token !== token) {
    throw Object.assign(new Error('a probe value written was not read back'), { code: 'SQLITE_CORRUPT' });
  }
  await kv.delete(key);
}
