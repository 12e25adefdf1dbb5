/**
 * Versioned schema migrations, applied in order at start (and by `cli db migrate`), each recorded
 * in `zega_migrations`. All pending migrations run in ONE transaction that first takes the
 * database's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so two processes
 * starting on a fresh database at once never race: the second waits, then finds nothing to do.
 * (Kysely's own Migrator takes no lock across processes on SQLite, which is why this is ours.)
 */
import { sql, type Kysely } from 'kysely';
import { StorageError } from './errors.ts';
import type { SqlDatabase, SqlDialect } from './database.ts';
import type { Database } from './schema.ts';
import { importV1KeyValueData } from './migrateV1.ts';

export interface MigrationContext {
  dialect: SqlDialect;
  /** Rows the migration could not read, reported by the caller. */
  report(source: string, key: string, reason: string, raw?: string): void;
}

export interface Migration {
  version: number;
  name: string;
  // The schema is being built: the typed view does not describe it yet.
  up(db: Kysely<Database>, context: MigrationContext): Promise<void>;
}

/** Column types per dialect (SQLite accepts these names with integer/real affinity). */
function types(dialect: SqlDialect) {
  return {
    int: 'bigint',
    real: dialect === 'postgres' ? 'double precision' : 'real',
    // SQLite: INTEGER PRIMARY KEY is the rowid (ascending); no AUTOINCREMENT, whose sqlite_sequence
    // row would be rewritten by every insert.
    id: dialect === 'postgres' ? 'bigserial' : 'integer',
  } as const;
}

async function initialSchema(db: Kysely<Database>, { dialect }: MigrationContext): Promise<void> {
  const t = types(dialect);
  const s = db.schema;
  // Every page a transaction touches is written to the WAL once per commit, so the schema keeps
  // that number small: counter tables and example rows are WITHOUT ROWID on SQLite (rows live in
  // primary-key order: the counters one example moves sit on one page, and no separate key index
  // is written), and rows found by story (memory, dataset) are looked up through the user's index.

  await s
    .createTable('stories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('guild_id', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('genre', 'text', (c) => c.notNull())
    .addColumn('prompt', 'text', (c) => c.notNull())
    .addColumn('style', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('excerpt', 'text', (c) => c.notNull())
    .addColumn('words', t.int, (c) => c.notNull())
    .addColumn('final_quality', t.real, (c) => c.notNull())
    .addColumn('text_quality', t.real, (c) => c.notNull())
    .addColumn('story_quality', t.real)
    .addColumn('confidence', t.real, (c) => c.notNull())
    .addColumn('teacher_id', 'text', (c) => c.notNull())
    .addColumn('temperature', t.real, (c) => c.notNull())
    .addColumn('top_p', t.real, (c) => c.notNull())
    .addColumn('max_tokens', t.int, (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('example_index', t.int)
    .addColumn('auto_generated', 'integer', (c) => c.notNull())
    .addColumn('edited', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', t.int, (c) => c.notNull())
    .addColumn('updated_at', t.int, (c) => c.notNull())
    .addCheckConstraint('stories_quality_range', sql`final_quality >= 0 and final_quality <= 10`)
    .execute();
  // Lists read these backwards (newest / best first); every order ends on id so pages are stable.
  await s.createIndex('stories_by_user_newest').on('stories').columns(['user_id', 'created_at', 'id']).execute();
  await s.createIndex('stories_by_user_best').on('stories').columns(['user_id', 'final_quality', 'created_at', 'id']).execute();
  await s.createIndex('stories_by_user_genre').on('stories').columns(['user_id', 'genre', 'created_at', 'id']).execute();
  await s.createIndex('stories_by_user_genre_best').on('stories').columns(['user_id', 'genre', 'final_quality', 'id']).execute();

  await s
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('guild_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('plan', 'text', (c) => c.notNull())
    .addColumn('teachers', 'text', (c) => c.notNull())
    .addColumn('examples', t.int, (c) => c.notNull())
    .addColumn('seed', 'text')
    .addColumn('voting', 'text', (c) => c.notNull())
    .addColumn('done', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('successful', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('failed', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('stories_saved', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('fine_tune_added', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('memory_added', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('quality_sum', t.real, (c) => c.notNull().defaultTo(0))
    .addColumn('result', 'text')
    .addColumn('message', 'text')
    .addColumn('error', 'text')
    .addColumn('owner', 'text')
    .addColumn('heartbeat_at', t.int)
    .addColumn('created_at', t.int, (c) => c.notNull())
    .addColumn('started_at', t.int)
    .addColumn('finished_at', t.int)
    .addColumn('updated_at', t.int, (c) => c.notNull())
    .addCheckConstraint('runs_known_status', sql`status in ('queued', 'running', 'done', 'cancelled', 'interrupted', 'failed')`)
    .execute();
  await s.createIndex('runs_by_user').on('runs').columns(['user_id', 'created_at']).execute();
  await s.createIndex('runs_by_status').on('runs').columns(['status']).execute();

  await s
    .createTable('run_examples')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
    .addColumn('idx', t.int, (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('genre', 'text', (c) => c.notNull())
    .addColumn('prompt_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('winner_teacher_id', 'text')
    .addColumn('final_quality', t.real)
    .addColumn('text_quality', t.real)
    .addColumn('story_quality', t.real)
    .addColumn('confidence', t.real)
    .addColumn('story_id', 'text')
    .addColumn('fine_tune', 'integer', (c) => c.notNull())
    .addColumn('memory', 'integer', (c) => c.notNull())
    .addColumn('candidates', 'text', (c) => c.notNull())
    .addColumn('reasons', 'text')
    .addColumn('finished_at', t.int, (c) => c.notNull())
    .addPrimaryKeyConstraint('run_examples_pk', ['run_id', 'idx'])
    .$call((b) => (dialect === 'sqlite' ? b.modifyEnd(sql`without rowid`) : b))
    .addCheckConstraint('run_examples_known_status', sql`status in ('ok', 'failed')`)
    .execute();

  await s
    .createTable('model_stats')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('guild_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('genre', 'text', (c) => c.notNull())
    .addColumn('teacher_id', 'text', (c) => c.notNull())
    .addColumn('wins', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('quality_sum', t.real, (c) => c.notNull().defaultTo(0))
    .addColumn('story_quality_sum', t.real, (c) => c.notNull().defaultTo(0))
    .addColumn('story_quality_count', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('calls', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('failures', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('latency_sum', t.real, (c) => c.notNull().defaultTo(0))
    .addColumn('stories', t.int, (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('model_stats_pk', ['scope', 'guild_id', 'user_id', 'genre', 'teacher_id'])
    .$call((b) => (dialect === 'sqlite' ? b.modifyEnd(sql`without rowid`) : b))
    .addCheckConstraint('model_stats_known_scope', sql`scope in ('global', 'guild', 'user', 'member')`)
    .execute();

  await s
    .createTable('settings_stats')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('guild_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('genre', 'text', (c) => c.notNull())
    .addColumn('teacher_id', 'text', (c) => c.notNull())
    .addColumn('settings_key', 'text', (c) => c.notNull())
    .addColumn('temperature', t.real, (c) => c.notNull())
    .addColumn('top_p', t.real, (c) => c.notNull())
    .addColumn('max_tokens', t.int, (c) => c.notNull())
    .addColumn('wins', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('quality_sum', t.real, (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('settings_stats_pk', ['scope', 'guild_id', 'user_id', 'genre', 'teacher_id', 'settings_key'])
    .$call((b) => (dialect === 'sqlite' ? b.modifyEnd(sql`without rowid`) : b))
    .execute();

  await s
    .createTable('guild_trainers')
    .addColumn('guild_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('examples', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('successful', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('quality_sum', t.real, (c) => c.notNull().defaultTo(0))
    .addColumn('stories', t.int, (c) => c.notNull().defaultTo(0))
    .addColumn('last_at', t.int, (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('guild_trainers_pk', ['guild_id', 'user_id'])
    .$call((b) => (dialect === 'sqlite' ? b.modifyEnd(sql`without rowid`) : b))
    .execute();

  await s
    .createTable('fine_tune_examples')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('idx', t.int, (c) => c.notNull())
    .addColumn('story_id', 'text')
    .addColumn('system', 'text', (c) => c.notNull())
    .addColumn('prompt', 'text', (c) => c.notNull())
    .addColumn('story', 'text', (c) => c.notNull())
    .addColumn('quality', t.real, (c) => c.notNull())
    .addColumn('text_quality', t.real, (c) => c.notNull())
    .addColumn('story_quality', t.real)
    .addColumn('genre', 'text', (c) => c.notNull())
    .addColumn('teacher_id', 'text', (c) => c.notNull())
    .addColumn('temperature', t.real, (c) => c.notNull())
    .addColumn('top_p', t.real, (c) => c.notNull())
    .addColumn('max_tokens', t.int, (c) => c.notNull())
    .addColumn('created_at', t.int, (c) => c.notNull())
    .addUniqueConstraint('fine_tune_examples_one_per_example', ['user_id', 'run_id', 'idx'])
    .execute();
  await s.createIndex('fine_tune_examples_by_user').on('fine_tune_examples').columns(['user_id', 'id']).execute();

  await s
    .createTable('fine_tune_candidates')
    .addColumn('example_id', t.int, (c) => c.notNull().references('fine_tune_examples.id').onDelete('cascade'))
    .addColumn('rank', t.int, (c) => c.notNull())
    .addColumn('teacher_id', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('text_quality', t.real, (c) => c.notNull())
    .addColumn('story_quality', t.real)
    .addPrimaryKeyConstraint('fine_tune_candidates_pk', ['example_id', 'rank'])
    .execute();

  await s
    .createTable('fine_tune_rounds')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('round', t.int, (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('created_at', t.int, (c) => c.notNull())
    .addPrimaryKeyConstraint('fine_tune_rounds_pk', ['user_id', 'round'])
    .execute();

  await s
    .createTable('memory')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('story_id', 'text')
    .addColumn('genre', 'text', (c) => c.notNull())
    .addColumn('prompt', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('quality', t.real, (c) => c.notNull())
    .addColumn('teacher_id', 'text', (c) => c.notNull())
    .addColumn('created_at', t.int, (c) => c.notNull())
    .execute();
  await s.createIndex('memory_by_user').on('memory').columns(['user_id', 'id']).execute();

  if (dialect === 'sqlite') {
    // The full-text index of memory: FTS5 over the rows of `memory` (external content), kept in
    // step by triggers. user_id is indexed too so a search is narrowed to one user inside FTS.
    await sql`create virtual table memory_fts using fts5(user_id, prompt, text, genre, content='memory', content_rowid='id', tokenize='porter unicode61')`.execute(db);
    await sql`create trigger memory_fts_insert after insert on memory begin
      insert into memory_fts(rowid, user_id, prompt, text, genre) values (new.id, new.user_id, new.prompt, new.text, new.genre);
    end`.execute(db);
    // ORDER BY rank uses these weights: user id 0, prompt 1.5, text 1, genre 1.2.
    await sql`insert into memory_fts(memory_fts, rank) values ('rank', 'bm25(0.0, 1.5, 1.0, 1.2)')`.execute(db);
    await sql`create trigger memory_fts_delete after delete on memory begin
      insert into memory_fts(memory_fts, rowid, user_id, prompt, text, genre) values ('delete', old.id, old.user_id, old.prompt, old.text, old.genre);
    end`.execute(db);
  } else {
    await sql`alter table memory add column search tsvector generated always as (
      setweight(to_tsvector('english', prompt), 'A') || setweight(to_tsvector('english', genre), 'B') || setweight(to_tsvector('english', text), 'C')
    ) stored`.execute(db);
    await sql`create index memory_search on memory using gin (search)`.execute(db);
  }

  await s
    .createTable('unreadable_rows')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('raw', 'text')
    .addColumn('at', t.int, (c) => c.notNull())
    .execute();
}

/** Examples keep what a resumed run needs to count them in its result like its own examples. */
async function exampleTally(db: Kysely<Database>): Promise<void> {
  await db.schema.alterTable('run_examples').addColumn('tally', 'text').execute();
}

/**
 * Teachers' rate windows, in the database rather than the key-value state: they are written at
 * every call, and on SQLite the key-value state is a second SQLite library on the same file.
 */
async function rateWindows(db: Kysely<Database>, { dialect }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('rate_windows')
    .addColumn('teacher_id', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('expires_at', types(dialect).int, (c) => c.notNull())
    .execute();
}

/**
 * Statistics are appended per example and folded into the counter tables in bulk (see
 * StatsPendingTable): upserting ~16 counter rows in every example's transaction rewrote pages
 * scattered over both counter tables at every commit, a quarter of all bytes written (and on
 * PostgreSQL every worker waited on the same global rows' locks). No index: the table stays small
 * and is read whole; an index would be one more page written by every example.
 */
async function statsPending(db: Kysely<Database>, { dialect }: MigrationContext): Promise<void> {
  const t = types(dialect);
  let table = db.schema
    .createTable('stats_pending')
    .addColumn('id', t.id, (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('guild_id', 'text', (c) => c.notNull())
    .addColumn('genre', 'text', (c) => c.notNull())
    .addColumn('teacher_id', 'text', (c) => c.notNull());
  for (const counter of ['wins', 'story_quality_count', 'calls', 'failures', 'skipped', 'stories'] as const) table = table.addColumn(counter, t.int, (c) => c.notNull().defaultTo(0));
  for (const sum of ['quality_sum', 'story_quality_sum', 'latency_sum'] as const) table = table.addColumn(sum, t.real, (c) => c.notNull().defaultTo(0));
  await table
    .addColumn('settings_key', 'text')
    .addColumn('temperature', t.real)
    .addColumn('top_p', t.real)
    .addColumn('max_tokens', t.int)
    .execute();
}

/**
 * SQLite's full-text index merges its segments when 16 share a level instead of 4: each merge
 * rewrites them, and with one small segment per commit that was ~6 % of the bytes a run writes
 * (bench/storage.ts); a search reads a few more segments (the benchmark's search p95 stays far
 * below its bound). PostgreSQL's index has no such setting.
 */
async function fewerFullTextMerges(db: Kysely<Database>, { dialect }: MigrationContext): Promise<void> {
  if (dialect === 'sqlite') await sql`insert into memory_fts(memory_fts, rank) values ('automerge', 16)`.execute(db);
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'tables, indexes and full-text search', up: initialSchema },
  { version: 2, name: 'import the key-value (v1) data of an older Zega', up: importV1KeyValueData },
  { version: 3, name: "run examples keep the winner's settings, calls and tokens (resumed runs count them)", up: exampleTally },
  { version: 4, name: "teachers' rate windows survive a restart", up: rateWindows },
  { version: 5, name: 'statistics appended per example, folded into the counters in bulk', up: statsPending },
  { version: 6, name: 'the full-text index merges its segments less often', up: fewerFullTextMerges },
];

export const LATEST_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

export interface MigrationStatus {
  applied: { version: number; name: string; appliedAt: number }[];
  pending: { version: number; name: string }[];
  /** Highest version recorded in the database (0 for a new one). */
  current: number;
  latest: number;
}

async function ensureTable(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  await db.schema
    .createTable('zega_migrations')
    .ifNotExists()
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('applied_at', dialect === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull())
    .execute();
}

async function tableExists(db: Kysely<Database>, dialect: SqlDialect, name: string): Promise<boolean> {
  const rows =
    dialect === 'sqlite'
      ? await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = ${name}`.execute(db)
      : await sql<{ n: number }>`select count(*) as n from information_schema.tables where table_schema = current_schema() and table_name = ${name}`.execute(db);
  return Number(rows.rows[0]?.n ?? 0) > 0;
}

async function readApplied(db: Kysely<Database>): Promise<MigrationStatus['applied']> {
  const rows = await db.selectFrom('zega_migrations').select(['version', 'name', 'applied_at']).orderBy('version').execute();
  return rows.map((r) => ({ version: Number(r.version), name: r.name, appliedAt: Number(r.applied_at) }));
}

function statusOf(applied: MigrationStatus['applied']): MigrationStatus {
  const done = new Set(applied.map((a) => a.version));
  return {
    applied,
    pending: MIGRATIONS.filter((m) => !done.has(m.version)).map(({ version, name }) => ({ version, name })),
    current: Math.max(0, ...applied.map((a) => a.version)),
    latest: LATEST_VERSION,
  };
}

/** What is applied and what is pending, without changing anything. */
export async function migrationStatus(database: SqlDatabase): Promise<MigrationStatus> {
  if (!(await tableExists(database.db, database.dialect, 'zega_migrations'))) return statusOf([]);
  return statusOf(await readApplied(database.db));
}

function tooNew(database: SqlDatabase, current: number): StorageError {
  return new StorageError(
    `The database at ${database.location} (STORAGE_URL) was migrated by a newer Zega (schema version ${current}; this one knows up to ${LATEST_VERSION}). Upgrade Zega.`,
    'TOO_NEW',
  );
}

/**
 * Applies every pending migration in one transaction under the database's write lock; returns the
 * versions applied (empty when the schema was already current).
 */
export async function migrate(database: SqlDatabase, report: MigrationContext['report']): Promise<Migration[]> {
  const quick = await migrationStatus(database);
  if (quick.current > LATEST_VERSION) throw tooNew(database, quick.current);
  if (quick.pending.length === 0) return [];
  if (database.readOnly) {
    throw new StorageError(
      `The database at ${database.location} (STORAGE_URL) needs ${quick.pending.length} migration(s) before it can be read; run \`npm run cli -- db migrate\` (or start the bot).`,
      'NEEDS_MIGRATION',
    );
  }
  const reports: Parameters<MigrationContext['report']>[] = [];
  const applied = await database.write(async (trx) => {
    if (database.dialect === 'postgres') await sql`select pg_advisory_xact_lock(7302240581)`.execute(trx);
    await ensureTable(trx, database.dialect);
    // Re-read under the lock: another process may have migrated while we waited.
    const status = statusOf(await readApplied(trx));
    if (status.current > LATEST_VERSION) throw tooNew(database, status.current);
    const applied: Migration[] = [];
    for (const migration of MIGRATIONS) {
      if (!status.pending.some((p) => p.version === migration.version)) continue;
      await migration.up(trx, { dialect: database.dialect, report: (...args) => reports.push(args) });
      await trx.insertInto('zega_migrations').values({ version: migration.version, name: migration.name, applied_at: Date.now() }).execute();
      applied.push(migration);
    }
    // Rows a migration could not read are kept (with their raw text) for an operator to inspect.
    for (const [source, key, reason, raw] of reports) {
      await trx.insertInto('unreadable_rows').values({ source, key, reason, raw: raw ?? null, at: Date.now() }).execute();
    }
    return applied;
  });
  for (const args of reports) report(...args);
  return applied;
}
