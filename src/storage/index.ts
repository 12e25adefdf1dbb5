/**
 * Zega's storage: relational data in SQL tables (SQLite embedded, PostgreSQL to scale out, through
 * Kysely), key-value state with a lifetime on keyv. `openStore(STORAGE_URL)` opens the database,
 * applies pending migrations (v1 key-value data included), marks runs whose process died as
 * interrupted, and returns a ZegaStore bundling the repositories, the trainer's TrainerStore, the
 * key-value state and close().
 *
 * Any number of processes may open the same SQLite file or PostgreSQL database at once: nothing is
 * cached or locked in the process; transactions and the database's indexes do that work.
 */
import type { TrainerStore } from '../trainer/types.ts';
import { StorageIssues, type StorageIssue, type StorageLogger, type StoreContext } from './context.ts';
import { openDatabase, type OpenDatabaseOptions, type SqlDatabase } from './database.ts';
import { FineTuneRepository } from './fineTune.ts';
import { forgetUser, type ForgetReport } from './forget.ts';
import { MemoryRepository } from './memory.ts';
import { migrate, migrationStatus, type MigrationStatus } from './migrations.ts';
import { ModelStatsRepository } from './modelStats.ts';
import { ownerIsGone } from './processOwner.ts';
import { RateWindowRepository } from './rateWindows.ts';
import { RunRepository } from './runs.ts';
import { openState, stateFileFor, type KeyValueState } from './state.ts';
import { moveStateToItsFile } from './stateMove.ts';
import { StoryRepository } from './stories.ts';
import { createTrainerStore } from './trainerStore.ts';
import { describeSpec, parseStorageUrl, type StorageSpec } from './url.ts';

export { StorageError, isStorageError, maskUrl, type StorageErrorCode } from './errors.ts';
export { parseStorageUrl, describeSpec, SUPPORTED_SCHEMES, type StorageSpec } from './url.ts';
export type { StorageIssue, StorageLogger } from './context.ts';
export { deriveTitle, newStoryId, MAX_TITLE, type ExportFormat, type ListStoriesQuery, type NewStory, type Story, type StoryDeletion, type StoryPage, type StoryPatch, type StorySort, type StorySummary } from './stories.ts';
export { PERSONAL_MODEL_PREFIX, isPersonalModelId, type BestSettings, type ExampleStatsInput, type LeaderboardQuery, type LeaderboardRow, type SettingsChoice, type StatsScope, type TrainerRow } from './modelStats.ts';
export type { ChatLine, FineTuneExample, FineTuneRound, NewFineTuneExample, NewFineTuneRound, PersonalModelRecord, RejectedCandidate, StoredBestParams } from './fineTune.ts';
export type { MemoryEntry, MemoryHit, NewMemory } from './memory.ts';
export type { RunExample, RunMessage, RunMessageInput, RunRecord, RunCounts, RunSummary } from './runs.ts';
export type { MigrationStatus } from './migrations.ts';
export type { ForgetReport } from './forget.ts';
export { describeForget } from './forget.ts';
export { stateKeys, type KeyValueState } from './state.ts';
export { StoryRepository } from './stories.ts';
export { RunRepository } from './runs.ts';
export { ModelStatsRepository } from './modelStats.ts';
export { FineTuneRepository } from './fineTune.ts';
export { MemoryRepository } from './memory.ts';

export interface OpenStoreOptions extends OpenDatabaseOptions {
  /** Resolves relative sqlite paths; default process.cwd(). */
  cwd?: string;
  logger?: StorageLogger;
  /** Mark runs whose process stopped as interrupted (default true; never when read-only). */
  recoverRuns?: boolean;
  /** A running run whose heartbeat is older than this belongs to a dead process. Default 60 s. */
  staleRunMs?: number;
  /** How often this process says its runs are alive. Default 15 s. */
  heartbeatMs?: number;
  /** Statistics rows appended before they are folded into the counters. Default `FOLD_AT` (2,048). */
  statsFoldAt?: number;
}

export interface ZegaStore {
  readonly kind: StorageSpec['kind'];
  /** The database file, the PostgreSQL URL (password masked), or `memory://`. */
  readonly location: string;
  readonly readOnly: boolean;
  readonly stories: StoryRepository;
  readonly runs: RunRepository;
  readonly stats: ModelStatsRepository;
  readonly fineTune: FineTuneRepository;
  readonly memory: MemoryRepository;
  /** Key-value state with a lifetime (keyv). */
  readonly state: KeyValueState;
  /** Teachers' rate windows, kept across restarts. */
  readonly rateWindows: RateWindowRepository;
  /** Runs that were marked interrupted when this store opened. */
  readonly interruptedRuns: readonly string[];
  /** Migrations applied when this store opened (names). */
  readonly migrated: readonly string[];

  /** The trainer's interface over these repositories. */
  trainerStore(): TrainerStore;
  /** Rows that could not be read since the store opened (logged, counted), most recent last. */
  health(): { issueCount: number; issues: StorageIssue[] };
  migrationStatus(): Promise<MigrationStatus>;
  /** Erases everything kept about the user; their personal models are named for the caller. */
  forgetUser(userId: string): Promise<ForgetReport>;
  close(): Promise<void>;
}

/** Opens the store named by STORAGE_URL; every start-up problem is a StorageError naming it. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<ZegaStore> {
  const spec = parseStorageUrl(url, options.cwd);
  const database: SqlDatabase = await openDatabase(spec, options);
  const issues = new StorageIssues(options.logger);
  const context: StoreContext = { db: database.db, dialect: database.dialect, write: (work) => database.write(work), issues };
  let interruptedRuns: string[] = [];
  let migrated: string[] = [];
  const runs = new RunRepository(context);
  try {
    migrated = (await migrate(database, (source, key, reason) => issues.report(source, key, reason))).map((m) => m.name);
    if (migrated.length > 0) options.logger?.info?.({ migrations: migrated, store: database.location }, 'storage: migrated the database');
    if (spec.kind === 'sqlite') {
      const moved = await moveStateToItsFile(database, stateFileFor(spec.file));
      if (moved > 0) options.logger?.info?.({ entries: moved, stateFile: stateFileFor(spec.file) }, 'storage: moved the key-value state into its own file');
    }
    if (!database.readOnly && (options.recoverRuns ?? true)) {
      interruptedRuns = await runs.markInterrupted({ staleMs: options.staleRunMs ?? 60_000 });
      // A process of this host that is gone (killed) does not need its heartbeat to go stale first.
      for (const owner of (await runs.openOwners()).filter(ownerIsGone)) interruptedRuns.push(...(await runs.markInterrupted({ owner })));
    }
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
  if (interruptedRuns.length > 0) options.logger?.warn({ runs: interruptedRuns }, 'storage: runs left unfinished by a stopped process were marked interrupted');

  const trainer = createTrainerStore(context, { ...(options.statsFoldAt ? { foldAt: options.statsFoldAt } : {}) });
  const state = openState(spec, {
    ...(options.busyTimeoutMs ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    readOnly: database.readOnly,
  });
  const heartbeat = setInterval(() => {
    runs.heartbeat([...trainer.live], trainer.owner).catch((error: unknown) => options.logger?.error({ err: error }, 'storage: run heartbeat failed'));
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  let closed = false;

  return {
    kind: spec.kind,
    location: describeSpec(spec),
    readOnly: database.readOnly,
    stories: new StoryRepository(context),
    runs,
    stats: new ModelStatsRepository(context),
    fineTune: new FineTuneRepository(context),
    memory: new MemoryRepository(context),
    rateWindows: new RateWindowRepository(context),
    state,
    interruptedRuns,
    migrated,
    trainerStore: () => trainer,
    health: () => ({ issueCount: issues.count, issues: [...issues.recent] }),
    migrationStatus: () => migrationStatus(database),
    forgetUser: (userId) => forgetUser(context, state, userId),
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      try {
        // Runs of this process still open now will not finish: say so at once.
        if (trainer.live.size > 0) await runs.markInterrupted({ owner: trainer.owner });
      } catch (error) {
        options.logger?.error({ err: error }, 'storage: could not mark this process runs interrupted');
      } finally {
        await state.close();
        await database.close();
      }
    },
  };
}

/** Opens only to look: migration status of the database, without applying anything or creating a file. */
export async function inspectStore(url: string, options: { cwd?: string } = {}): Promise<{ location: string; kind: StorageSpec['kind']; status: MigrationStatus }> {
  const spec = parseStorageUrl(url, options.cwd);
  const database = await openDatabase(spec, { readOnly: true });
  try {
    return { location: describeSpec(spec), kind: spec.kind, status: await migrationStatus(database) };
  } finally {
    await database.close();
  }
}
