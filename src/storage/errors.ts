/**
 * The one error type the storage layer throws. Its message is meant for an operator: it names the
 * database file and says what to do, so start-up can print it instead of a stack trace.
 */

export type StorageErrorCode =
  /** STORAGE_URL has a scheme we do not support, or is malformed. */
  | 'UNSUPPORTED_URL'
  /** The file is not a SQLite database, or SQLite found it damaged. */
  | 'CORRUPT'
  /** SQLite reported the file busy/locked by another connection or process. */
  | 'LOCKED'
  /** The PostgreSQL server cannot be reached (refused, unknown host, timed out). */
  | 'UNREACHABLE'
  /** The PostgreSQL server refused the user or password. */
  | 'AUTH'
  /** The database named by STORAGE_URL does not exist (PostgreSQL) or has not been created yet (read-only commands). */
  | 'NO_DATABASE'
  /** The database file was deleted or replaced while this process had it open. */
  | 'GONE'
  /** The database needs migrations this read-only look will not run (`cli db migrate`). */
  | 'NEEDS_MIGRATION'
  /** The file or its directory cannot be created or written. */
  | 'UNWRITABLE'
  | 'DISK_FULL'
  /** The database was migrated by a newer Zega than this one. */
  | 'TOO_NEW'
  /** A write was attempted on a store opened read-only. */
  | 'READ_ONLY'
  /** An argument was rejected (bad id, empty title, ...). */
  | 'INVALID_INPUT'
  | 'CLOSED'
  /** The SQLite driver for the running Node.js is missing or was built for another version. */
  | 'DRIVER'
  /** Any other backend failure. */
  | 'IO';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;
  /** The database file, when the backend has one. */
  readonly file?: string;

  constructor(message: string, code: StorageErrorCode, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.file !== undefined) this.file = options.file;
  }
}

export function isStorageError(error: unknown): error is StorageError {
  return error instanceof StorageError;
}

interface ErrnoLike {
  code?: unknown;
  errno?: unknown;
  message?: unknown;
}

function errorCode(error: unknown): string {
  const code = (error as ErrnoLike | null)?.code;
  return typeof code === 'string' ? code : '';
}

function errorMessage(error: unknown): string {
  const message = (error as ErrnoLike | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

/**
 * Turns a SQLite or filesystem error into a StorageError naming the file. `action` says what we
 * were doing ("opening", "writing to") and reads as "... while opening /path/zega.sqlite".
 */
export function describeFileError(error: unknown, file: string, action: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = errorCode(error);
  const detail = errorMessage(error);
  const cause = { file, cause: error };
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || /not a database|malformed/i.test(detail)) {
    return new StorageError(
      `The database file ${file} is not a SQLite database or is corrupt (${detail}). ` +
        'Move it aside (or restore a backup) and start again; Zega creates a new empty database.',
      'CORRUPT',
      cause,
    );
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || /database is locked/i.test(detail)) {
    return new StorageError(
      `The database file ${file} is locked by another process (${detail}) while ${action} it. ` +
        'Stop the other Zega instance or tool that has it open, then start again.',
      'LOCKED',
      cause,
    );
  }
  if (
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_READONLY' ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH' ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS' ||
    code === 'ENOTDIR' ||
    code === 'EISDIR'
  ) {
    return new StorageError(
      `The database file ${file} cannot be created or written (${detail}) while ${action} it. ` +
        'Check that its directory exists, is a directory and is writable by this user, or point STORAGE_URL elsewhere.',
      'UNWRITABLE',
      cause,
    );
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new StorageError(
      `The disk holding ${file} is full (${detail}) while ${action} it. Free some space and try again.`,
      'DISK_FULL',
      cause,
    );
  }
  return new StorageError(`Storage failure while ${action} ${file}: ${detail}`, 'IO', cause);
}

/** STORAGE_URL with its password masked, for messages and logs. */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

const PG_CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/**
 * Turns a PostgreSQL or network error into a StorageError naming STORAGE_URL (password masked)
 * and saying what to do.
 */
export function describePgError(error: unknown, url: string, action: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = errorCode(error);
  const detail = errorMessage(error);
  const where = `STORAGE_URL ${maskUrl(url)}`;
  const cause = { cause: error };
  if (PG_CONNECT_CODES.has(code) || /connect|timeout|terminated unexpectedly/i.test(detail) && !/password|authentication|does not exist/i.test(detail)) {
    return new StorageError(
      `PostgreSQL at ${where} cannot be reached (${detail}) while ${action}. Start the server or fix the host and port in STORAGE_URL.`,
      'UNREACHABLE',
      cause,
    );
  }
  if (code === '28P01' || code === '28000' || /password authentication failed|no password supplied|SASL/i.test(detail)) {
    return new StorageError(`PostgreSQL refused the user or password in ${where} (${detail}). Fix the credentials in STORAGE_URL.`, 'AUTH', cause);
  }
  if (code === '3D000') {
    return new StorageError(
      `The database named in ${where} does not exist (${detail}). Create it (createdb NAME) or name an existing one in STORAGE_URL.`,
      'NO_DATABASE',
      cause,
    );
  }
  if (code === '53100') return new StorageError(`The disk of the PostgreSQL server at ${where} is full (${detail}).`, 'DISK_FULL', cause);
  if (code === '25006') return new StorageError(`PostgreSQL at ${where} is read-only (${detail}).`, 'READ_ONLY', cause);
  return new StorageError(`PostgreSQL failure while ${action} (${where}): ${detail}`, 'IO', cause);
}
