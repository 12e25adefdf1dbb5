/**
 * Key-value state with a lifetime, on keyv: the daily example ledger, `/write` drafts, panel
 * state — anything that expires. Embedded: `@keyv/sqlite` in a file of its own beside the database
 * (`zega.sqlite` → `zega.state.sqlite`, table `kv_state`); PostgreSQL: `@keyv/postgres` in the same
 * database; memory://: keyv's Map.
 *
 * Why its own file on SQLite: `@keyv/sqlite` runs on the `sqlite3` package, a second copy of SQLite
 * beside better-sqlite3's. SQLite's locks are POSIX advisory locks, which belong to the process and
 * are all dropped when *any* descriptor of the file is closed; two copies of SQLite in one process
 * do not know of each other's descriptors, so one can drop the other's locks — a documented way to
 * corrupt a database ("malformed" was seen once with both on one file). One library per file.
 *
 * keyv is opened on first use, so commands that only read tables never create a file for it; a
 * read-only store reads a state file that is missing as empty and never creates it. Its adapter is
 * loaded then too, so a process never loads the driver of a database it does not use.
 */
import { existsSync } from 'node:fs';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import { describeFileError, describePgError, StorageError } from './errors.ts';
import type { StorageSpec } from './url.ts';
import type { StorageLogger } from './context.ts';

export const STATE_TABLE = 'kv_state';

/** The key-value state's file beside a SQLite database file. */
export function stateFileFor(databaseFile: string): string {
  return databaseFile.endsWith('.sqlite') ? `${databaseFile.slice(0, -'.sqlite'.length)}.state.sqlite` : `${databaseFile}.state`;
}

/** The table @keyv/sqlite creates (same definition), for moving an older database's state into the state file. */
export const STATE_TABLE_DDL = `(key VARCHAR(255) PRIMARY KEY, value TEXT )`;
const NAMESPACE = 'zega';

export interface KeyValueState {
  get<T>(key: string): Promise<T | undefined>;
  /** `ttlMs` undefined = kept until deleted. */
  set<T>(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Deletes every key that starts with `prefix` (e.g. `draft:<user>:`); returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** Every live key starting with `prefix`, with its value. */
  entries(prefix: string): Promise<[string, unknown][]>;
  close(): Promise<void>;
}

/** Keys of the state a user owns all start with `<kind>:<userId>:` so forgetting can find them. */
export const stateKeys = {
  ledger: (userId: string) => `ledger:${userId}:`,
  draft: (userId: string, id: string) => `draft:${userId}:${id}`,
  panel: (userId: string, id: string) => `panel:${userId}:${id}`,
  userPrefixes: (userId: string) => [`ledger:${userId}:`, `draft:${userId}:`, `panel:${userId}:`],
} as const;

export function openState(spec: StorageSpec, options: { busyTimeoutMs?: number; logger?: StorageLogger; readOnly?: boolean } = {}): KeyValueState {
  const stateFile = spec.kind === 'sqlite' ? stateFileFor(spec.file) : undefined;
  const location = stateFile ?? (spec.kind === 'postgres' ? spec.url : 'memory://');
  const describe = (error: unknown, action: string): StorageError =>
    spec.kind === 'postgres' ? describePgError(error, spec.url, action) : describeFileError(error, location, action);
  let keyv: Promise<Keyv> | undefined;
  // Map keeps prefix deletes possible on memory://; the adapters support iteration themselves.
  const map = new Map<string, unknown>();
  const connect = async (): Promise<Keyv> => {
    let store: KeyvStoreAdapter | Map<string, unknown>;
    if (stateFile !== undefined) {
      const { default: KeyvSqlite } = await import('@keyv/sqlite');
      store = new KeyvSqlite({ uri: `sqlite://${stateFile}`, table: STATE_TABLE, busyTimeout: options.busyTimeoutMs ?? 5000 });
    } else if (spec.kind === 'postgres') {
      const { default: KeyvPostgres } = await import('@keyv/postgres');
      store = new KeyvPostgres({ uri: spec.url, table: STATE_TABLE });
    } else store = map;
    const kv = new Keyv({ store, namespace: NAMESPACE, throwOnErrors: true });
    // Errors are thrown to the caller (throwOnErrors); the event is only logged, never left unhandled.
    kv.on('error', (error: unknown) => options.logger?.error({ err: error }, 'storage: key-value state error'));
    return kv;
  };
  // One connection however many callers ask at once; a failed one is tried again by the next caller.
  const open = (): Promise<Keyv> =>
    (keyv ??= connect().catch((error: unknown) => {
      keyv = undefined;
      throw error;
    }));
  const list = async (kv: Keyv, prefix: string): Promise<[string, unknown][]> => {
    const out: [string, unknown][] = [];
    if (kv.iterator) {
      for await (const [key, value] of kv.iterator(undefined)) if (typeof key === 'string' && key.startsWith(prefix)) out.push([key, value]);
    }
    return out;
  };
  /** A read-only store with no state file yet: nothing stored, and nothing to create. */
  const nothingYet = (): boolean => options.readOnly === true && stateFile !== undefined && !existsSync(stateFile);
  const guard = async <T>(action: string, work: (kv: Keyv) => Promise<T>): Promise<T> => {
    if (options.readOnly && action !== 'reading') {
      throw new StorageError('This store was opened read-only; the change needs a writable store.', 'READ_ONLY');
    }
    try {
      return await work(await open());
    } catch (error) {
      throw describe(error, action);
    }
  };
  return {
    get: <T>(key: string) => (nothingYet() ? Promise.resolve(undefined) : guard('reading', async (kv) => (await kv.get<T>(key)) ?? undefined)),
    set: async <T>(key: string, value: T, ttlMs?: number) => {
      await guard('writing to', (kv) => kv.set(key, value, ttlMs));
    },
    delete: (key: string) => guard('writing to', (kv) => kv.delete(key)),
    deletePrefix: (prefix: string) =>
      guard('writing to', async (kv) => {
        const doomed = (await list(kv, prefix)).map(([key]) => key);
        if (doomed.length > 0) await kv.deleteMany(doomed);
        return doomed.length;
      }),
    entries: (prefix: string) => (nothingYet() ? Promise.resolve([]) : guard('reading', (kv) => list(kv, prefix))),
    close: async () => {
      const opened = keyv;
      keyv = undefined;
      if (opened) await opened.then((kv) => kv.disconnect()).catch(() => undefined);
    },
  };
}
