/**
 * Failures are loud and leave nothing half-written: when the database starts refusing writes in
 * the middle of a run (here: a trigger that raises once 3 examples are stored, as a full disk
 * would), the run stops after at most the examples in flight, ends `failed` with the reason in the
 * CLI summary, the CLI exits non-zero, and the refused example left no story, memory, dataset or
 * statistics rows behind (one transaction per example). Same test on SQLite and PostgreSQL.
 */
import { sql } from 'kysely';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../src/cli/index.ts';
import type { CliIo } from '../src/cli/io.ts';
import { openStore, parseStorageUrl } from '../src/storage/index.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';
import { describeBackends } from './helpers/storageBackends.ts';
import { sqliteDriver } from '../src/storage/sqliteDriver.ts';

/** Raw access to the file, through the driver Zega itself loads on this Node.js. */
const Database = sqliteDriver();

let sims: ProviderSimulators;
beforeAll(async () => {
  sims = await startProviderSimulators();
});
afterAll(() => sims.close());

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), error: (l) => stderr.push(l) };
}

/** Another client of the database installs a trigger that refuses a 4th stored example. */
async function refuseAfterThreeExamples(url: string): Promise<void> {
  const spec = parseStorageUrl(url);
  if (spec.kind === 'sqlite') {
    const db = new Database(spec.file);
    db.exec(`create trigger refuse_writes before insert on run_examples when (select count(*) from run_examples) >= 3
             begin select raise(abort, 'database or disk is full'); end`);
    db.close();
    return;
  }
  const db = new Kysely<never>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  await sql`create function refuse_writes() returns trigger language plpgsql as $$
    begin
      if (select count(*) from run_examples) >= 3 then raise exception 'could not extend file: No space left on device' using errcode = '53100'; end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger refuse_writes before insert on run_examples for each row execute function refuse_writes()`.execute(db);
  await db.destroy();
}

describeBackends('a write refused in the middle of a run', (backend) => {
  it('stops the run after the examples in flight: failed, reason shown, exit 1, nothing half-written', async () => {
    const url = await backend.fresh();
    await (await openStore(url)).close();
    await refuseAfterThreeExamples(url);

    const io = captureIo();
    const code = await runCli(['train', '--examples', '200', '--save', '--memory', '--user', 'victim', '--seed', 'full-disk'], io, { ...sims.env, STORAGE_URL: url, LOG_LEVEL: 'silent', RUN_CONCURRENCY: '3' });
    expect(code).toBe(1);
    const out = io.stdout.join('\n');
    expect(out).toMatch(/Status\s+failed/);
    expect(out).toMatch(/Why\s+Results could not be stored, so the run stopped: .*(full|No space)/);

    const store = await openStore(url);
    try {
      const [run] = await store.runs.list('victim');
      expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/could not be stored/) as string, counts: { done: 3 } });
      // At most the examples in flight were asked for after the refusal: nowhere near 200 × 7 calls.
      expect(run?.result?.training_stats.calls).toBeLessThanOrEqual((3 + 3 + 3) * 7);
      expect(run?.result?.successful).toBe(3);
      // Each stored example is whole; the refused ones left nothing anywhere.
      const examples = await store.runs.examples(run?.id ?? '');
      expect(examples).toHaveLength(3);
      expect(await store.stories.count('victim')).toBe(examples.filter((e) => e.storyId).length);
      expect(await store.fineTune.count('victim')).toBe(examples.filter((e) => e.fineTune).length);
      expect(await store.memory.count('victim')).toBe(examples.filter((e) => e.memory).length);
      const wins = (await store.stats.leaderboard({ scope: 'user', id: 'victim' })).reduce((s, r) => s + r.wins, 0);
      expect(wins).toBe(examples.filter((e) => e.status === 'ok').length);
    } finally {
      await store.close();
    }
  }, 120_000);
});
