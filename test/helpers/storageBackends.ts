/**
 * Runs one test suite against each storage dialect: SQLite (a fresh file per call) and PostgreSQL
 * (a fresh database per call, with a random name, created from the server's maintenance database
 * and dropped after the suite). PostgreSQL comes from ZEGA_TEST_POSTGRES_URL (default: the local
 * server, trust auth). Where it cannot be reached the PostgreSQL suites say why they did not run;
 * with CI=true they fail instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, it } from 'vitest';
import { openStore, type ZegaStore } from '../../src/storage/index.ts';
import { createPostgresDatabase, postgresUnavailable } from './postgres.ts';

export { createPostgresDatabase, POSTGRES_ADMIN_URL, postgresUnavailable } from './postgres.ts';
const IN_CI = process.env.CI === 'true';

export interface Backend {
  dialect: 'sqlite' | 'postgres';
  /** A STORAGE_URL naming a fresh, empty database. */
  fresh(): Promise<string>;
}

/** `describe` once per dialect; PostgreSQL suites skip with a reason locally and fail in CI when it is missing. */
export function describeBackends(title: string, suite: (backend: Backend) => void): void {
  describe(`${title} [sqlite]`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'zega-sqlite-'));
    let n = 0;
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    suite({ dialect: 'sqlite', fresh: () => Promise.resolve(`sqlite://${join(dir, `db-${n++}.sqlite`)}`) });
  });
  describe(`${title} [postgres]`, () => {
    if (postgresUnavailable) {
      if (IN_CI) it('needs PostgreSQL in CI', () => {
        throw new Error(postgresUnavailable);
      });
      else it.skip(`did not run: ${postgresUnavailable}`, () => undefined);
      return;
    }
    const drops: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const drop of drops) await drop();
    });
    suite({
      dialect: 'postgres',
      fresh: async () => {
        const db = await createPostgresDatabase();
        drops.push(db.drop);
        return db.url;
      },
    });
  });
}

/**
 * A store on a fresh database of `backend` for every test of the suite, closed after it. The
 * returned object's `store` and `url` are the current test's (read them inside the test).
 */
export function freshStorePerTest(backend: Backend): { readonly store: ZegaStore; readonly url: string } {
  let current: { store: ZegaStore; url: string } | undefined;
  beforeEach(async () => {
    const url = await backend.fresh();
    current = { store: await openStore(url), url };
  });
  afterEach(async () => {
    await current?.store.close();
    current = undefined;
  });
  const get = () => {
    if (!current) throw new Error('freshStorePerTest: read inside a test');
    return current;
  };
  return {
    get store() {
      return get().store;
    },
    get url() {
      return get().url;
    },
  };
}
