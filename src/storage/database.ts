/**
 * Opens the SQL database named by STORAGE_URL through Kysely: SQLite (better-sqlite3, WAL, busy
 * timeout, foreign keys) or PostgreSQL (pg pool), and memory:// as an in-memory SQLite database.
 *
 * Every query goes through a guard wrapped around Kysely's driver, so that
 *  - every error reaches callers as a StorageError naming the file or STORAGE_URL;
 *  - a SQLite write transaction starts with BEGIN IMMEDIATE: it waits (busy timeout) for another
 *    process's writer instead of failing when its read snapshot turns out stale;
 *  - before each write, the file at the path is still the one we opened (same device and inode):
 *    a database deleted or replaced under a running process is a `GONE` error, not lost writes.
 */
import { accessSync, closeSync, constants as fsConstants, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type pg from 'pg';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { describeFileError, describePgError, maskUrl, StorageError } from './errors.ts';
import type { Database } from './schema.ts';
import { sqliteDriver, type SqliteConnection, type SqliteDriver } from './sqliteDriver.ts';
import { cachingStatements } from './statementCache.ts';
import type { StorageSpec } from './url.ts';

export type SqlDialect = 'sqlite' | 'postgres';

export interface OpenDatabaseOptions {
  /** How long a SQLite writer waits for another connection's lock (ms). Default 5000. */
  busyTimeoutMs?: number;
  /** Open without changing anything; a SQLite file that does not exist is NO_DATABASE. */
  readOnly?: boolean;
  /** A missing SQLite file is NO_DATABASE instead of being created (read-only commands). */
  mustExist?: boolean;
  /** PostgreSQL pool size. Default 10. */
  poolSize?: number;
}

export interface SqlDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialect;
  /** The file, the masked PostgreSQL URL or memory://: what messages name. */
  readonly location: string;
  readonly readOnly: boolean;
  /** Runs `work` in one write transaction: all of it commits, or none of it. */
  write<T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /** Throws GONE when the SQLite file at the path is no longer the one opened. */
  checkIdentity(): void;
  close(): Promise<void>;
}

type Describe = (error: unknown, action: string) => StorageError;

interface Guard {
  dialect: SqlDialect;
  describe: Describe;
  /** Called before every statement that may write. */
  beforeWrite(): void;
  readOnly: boolean;
}

const READ_ONLY_SQL = /^\s*(select|pragma|with|explain)\b/i;

class GuardedConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly guard: Guard,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const writes = !READ_ONLY_SQL.test(query.sql);
    if (writes) {
      if (this.guard.readOnly && !/^\s*(begin|commit|rollback|savepoint|release)\b/i.test(query.sql)) {
        throw new StorageError('This database was opened read-only; the change needs a writable store.', 'READ_ONLY');
      }
      this.guard.beforeWrite();
    }
    try {
      return await this.inner.executeQuery<R>(query);
    } catch (error) {
      throw this.guard.describe(error, writes ? 'writing to' : 'reading');
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

const unwrap = (connection: DatabaseConnection): DatabaseConnection => (connection instanceof GuardedConnection ? connection.inner : connection);

class GuardedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly guard: Guard,
  ) {}

  async init(): Promise<void> {
    try {
      await this.inner.init();
    } catch (error) {
      throw this.guard.describe(error, 'opening');
    }
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    try {
      return new GuardedConnection(await this.inner.acquireConnection(), this.guard);
    } catch (error) {
      throw this.guard.describe(error, 'connecting to');
    }
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (this.guard.dialect === 'sqlite') {
      // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so a transaction never
      // fails half-way because another process wrote after it started reading.
      await connection.executeQuery(CompiledQuery.raw(this.guard.readOnly ? 'begin' : 'begin immediate'));
      return;
    }
    this.guard.beforeWrite();
    try {
      await this.inner.beginTransaction(unwrap(connection), settings);
    } catch (error) {
      throw this.guard.describe(error, 'starting a transaction on');
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner.commitTransaction(unwrap(connection));
    } catch (error) {
      throw this.guard.describe(error, 'committing to');
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.inner.rollbackTransaction(unwrap(connection));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.inner.releaseConnection(unwrap(connection));
  }

  async destroy(): Promise<void> {
    await this.inner.destroy();
  }
}

function guarded(dialect: Dialect, guard: Guard): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new GuardedDriver(dialect.createDriver(), guard),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

const SQLITE_HEADER = 'SQLite format 3\u0000';

/** Checks the file system before SQLite sees the file: directory, permissions, header. */
function precheckFile(file: string, create: boolean, readOnly: boolean): void {
  const dir = dirname(file);
  let size = -1;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) {
      throw new StorageError(`The database path ${file} (STORAGE_URL) exists but is not a file. Point STORAGE_URL at a file.`, 'UNWRITABLE', { file });
    }
    size = stat.size;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw describeFileError(error, file, 'opening');
  }
  if (size < 0 && !create) {
    throw new StorageError(
      `There is no Zega database at ${file} (STORAGE_URL) yet: nothing is stored. It is created when the bot or \`cli train\` first starts, or by \`cli db migrate\`.`,
      'NO_DATABASE',
      { file },
    );
  }
  if (size < 0) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      // EEXIST here means a file sits where the directory should be.
      const code = (error as { code?: string }).code === 'EEXIST' ? 'ENOTDIR' : (error as { code?: string }).code;
      throw describeFileError(Object.assign(new Error((error as Error).message), { code }), file, `creating the directory ${dir} for`);
    }
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

function fileIdentity(file: string): string | undefined {
  try {
    const stat = statSync(file);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

// eslint-disable-next-line @typescript-eslint/require-await -- async on purpose: a file that cannot be opened is a rejection, as on PostgreSQL
async function openSqlite(spec: StorageSpec & { kind: 'sqlite' | 'memory' }, options: OpenDatabaseOptions): Promise<SqlDatabase> {
  const file = spec.kind === 'sqlite' ? spec.file : ':memory:';
  const location = spec.kind === 'sqlite' ? spec.file : 'memory://';
  const readOnly = options.readOnly ?? false;
  if (spec.kind === 'sqlite') precheckFile(file, !readOnly && !options.mustExist, readOnly);

  let Driver: SqliteDriver;
  try {
    Driver = sqliteDriver();
  } catch (error) {
    throw new StorageError((error as Error).message, 'DRIVER', { cause: error });
  }
  let raw: SqliteConnection;
  try {
    raw = new Driver(file, { readonly: readOnly && spec.kind === 'sqlite', fileMustExist: spec.kind === 'sqlite' && (readOnly || (options.mustExist ?? false)), timeout: options.busyTimeoutMs ?? 5000 });
  } catch (error) {
    throw describeFileError(error, location, 'opening');
  }
  try {
    // A new database gets 1 KiB pages: every page a transaction touches goes to the WAL whole, and
    // one example touches ~30 pages (rows, indexes, counters, full-text segments), so small pages
    // write ~3× fewer bytes than the default 4 KiB (measured by bench/storage.ts). No effect on an
    // existing file.
    raw.pragma('page_size = 1024');
    // Checkpoint every 16 MiB of WAL (default 1 MiB): a page changed by many commits (an index's
    // last leaf, a table's tail) is copied into the database once per checkpoint, so fewer
    // checkpoints write fewer bytes — 0.1× the database size less than at 4 MiB (bench/storage.ts).
    // The WAL file keeps that size once reached.
    raw.pragma('wal_autocheckpoint = 16000');
    if (!readOnly && spec.kind === 'sqlite') {
      // WAL: readers never block the writer and a commit is an append. synchronous=NORMAL is safe
      // against a crash of the process; a power loss may lose the last commits, not the file.
      raw.pragma('journal_mode = WAL');
      raw.pragma('synchronous = NORMAL');
    }
    raw.pragma('foreign_keys = ON');
    // A bigger page cache and memory-mapped reads: lists and searches of a large library stay in memory.
    raw.pragma('cache_size = -65536');
    if (spec.kind === 'sqlite') raw.pragma('mmap_size = 268435456');
    if (spec.kind === 'sqlite') {
      // Touches the pages: a damaged file fails here, not in the middle of a run.
      const verdict = raw.pragma('quick_check(1)', { simple: true });
      if (verdict !== 'ok') throw Object.assign(new Error(`integrity check failed: ${String(verdict)}`), { code: 'SQLITE_CORRUPT' });
    }
  } catch (error) {
    raw.close();
    throw describeFileError(error, location, 'opening');
  }

  const identity = spec.kind === 'sqlite' ? fileIdentity(file) : undefined;
  const checkIdentity = () => {
    if (identity === undefined) return;
    const now = fileIdentity(file);
    if (now !== identity) {
      throw new StorageError(
        `The database file ${file} (STORAGE_URL) was ${now === undefined ? 'deleted' : 'replaced by another file'} while Zega had it open; ` +
          'nothing more is written, so nothing lands in a file nobody can see. Restore the file (or start again on the new one).',
        'GONE',
        { file },
      );
    }
  };
  const guard: Guard = { dialect: 'sqlite', describe: (error, action) => describeFileError(error, location, action), beforeWrite: checkIdentity, readOnly };
  const db = new Kysely<Database>({ dialect: guarded(new SqliteDialect({ database: cachingStatements(raw) }), guard) });
  let closed = false;
  return {
    db,
    dialect: 'sqlite',
    location,
    readOnly,
    write: (work) => db.transaction().execute(work),
    checkIdentity,
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** PostgreSQL's deadlock and serialization failures: the transaction did nothing and may simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

async function retryConflicts<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const code = ((error as { cause?: { code?: unknown } }).cause?.code ?? (error as { code?: unknown }).code) as string | undefined;
      if (n >= MAX_ATTEMPTS || code === undefined || !RETRYABLE.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * n + Math.random() * 10 * n));
    }
  }
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** BIGINT (times, counters) and NUMERIC (sums of BIGINT) read back as numbers, as on SQLite. */
const pgTypesOf = (types: typeof pg.types) => ({
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => (value === null ? null : Number(value));
    // pg's typings give the stock parsers as `any`; they are the parsers pg itself would use.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-return
    return format === 'binary' ? types.getTypeParser(oid, 'binary') : types.getTypeParser(oid, 'text');
  }) as typeof pg.types.getTypeParser,
});

async function openPostgres(spec: StorageSpec & { kind: 'postgres' }, options: OpenDatabaseOptions): Promise<SqlDatabase> {
  const readOnly = options.readOnly ?? false;
  const location = maskUrl(spec.url);
  // Loaded here: a process on SQLite (the default) never pays for the PostgreSQL driver.
  const { default: pgModule } = await import('pg');
  const pool = new pgModule.Pool({ connectionString: spec.url, max: options.poolSize ?? 10, connectionTimeoutMillis: 10_000, types: pgTypesOf(pgModule.types) });
  // An idle client that loses its server emits 'error' on the pool; the next query reports it.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw describePgError(error, spec.url, 'connecting');
  }
  const guard: Guard = { dialect: 'postgres', describe: (error, action) => describePgError(error, spec.url, action), beforeWrite: () => undefined, readOnly };
  const db = new Kysely<Database>({ dialect: guarded(new PostgresDialect({ pool }), guard) });
  let closed = false;
  return {
    db,
    dialect: 'postgres',
    location,
    readOnly,
    write: (work) => retryConflicts(() => db.transaction().execute(work)),
    checkIdentity: () => undefined,
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

export async function openDatabase(spec: StorageSpec, options: OpenDatabaseOptions = {}): Promise<SqlDatabase> {
  if (spec.kind === 'postgres') return openPostgres(spec, options);
  return openSqlite(spec, options);
}
