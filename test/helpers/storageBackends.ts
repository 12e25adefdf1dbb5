/**
 * Runs one test suite against each storage dialect: SQLite (a fresh file per call) and PostgreSQL
 * (a fresh database per call, with a random name, created from the server's maintenance database
 * and dropped after the suite). PostgreSQL comes from ZEGA_TEST_POSTGRES_URL (default: the local
 * server, trust auth). Where it cannot be reached the PostgreSQL suites say why they did not run;
 * with CI=true they fail instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';

export const POSTGRES_ADMIN_URL = process.env.ZEGA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const IN_CI = process.env.CI === 'true';

async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${POSTGRES_ADMIN_URL.replace(/:[^:@/]*@/, ':***@')} is unreachable (${error instanceof Error ? error.message : String(error)}); set ZEGA_TEST_POSTGRES_URL to run these tests`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export const postgresUnavailable: string | undefined = await probe();

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty PostgreSQL database with a random name; returns its URL and a way to drop it. */
export async function createPostgresDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `zega_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => admin(async (c) => void (await c.query(`drop database if exists ${name} with (force)`))) };
}

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
    suite({ dialect: 'sqlite', fresh: async () => `sqlite://${join(dir, `db-${n++}.sqlite`)}` });
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
