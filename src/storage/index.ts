/**
 * Zega's storage: everything learned or produced, per Discord user, in keyv. `openStore(url)`
 * picks the backend from STORAGE_URL alone (sqlite://path, memory://), checks it, and returns a
 * ZegaStore bundling the repositories, the trainer's TrainerStore and close().
 *
 * One process per store file: caches and mutexes live in the process (see owner.ts).
 */
import type { TrainerStore } from '../trainer/types.ts';
import { openBackend, parseStorageUrl, type BackendOptions } from './backend.ts';
import { StorageError } from './errors.ts';
import { FineTuneRepository } from './fineTune.ts';
import { keys } from './keys.ts';
import type { Kv, StorageIssue, StorageLogger } from './kv.ts';
import { MemoryRepository } from './memory.ts';
import { ModelStatsRepository } from './modelStats.ts';
import { claimOwnership } from './owner.ts';
import { decodeRead, STORE_FORMAT, storeMetaCodec } from './records.ts';
import { RunRepository } from './runs.ts';
import { StoryRepository } from './stories.ts';
import { createTrainerStore } from './trainerStore.ts';

export { StorageError, isStorageError, type StorageErrorCode } from './errors.ts';
export { parseStorageUrl, SUPPORTED_SCHEMES, type BackendSpec } from './backend.ts';
export type { StorageIssue, StorageLogger } from './kv.ts';
export { deriveTitle, newStoryId, type ExportFormat, type ListStoriesQuery, type NewStory, type Story, type StoryPage, type StoryPatch, type StorySort, type StorySummary } from './stories.ts';
export type { BestSettings, ExampleStatsInput, LeaderboardQuery, LeaderboardRow, SettingsChoice, StatsScope, TrainerRow } from './modelStats.ts';
export type { ChatLine, FineTuneExample, FineTuneRound, NewFineTuneExample, NewFineTuneRound, PersonalModelRecord, RejectedCandidate, StoredBestParams } from './fineTune.ts';
export type { MemoryEntry, MemoryHit, NewMemory } from './memory.ts';
export type { RunExample, RunMessage, RunMessageInput, RunRecord, RunCounts } from './runs.ts';
export { StoryRepository } from './stories.ts';
export { RunRepository } from './runs.ts';
export { ModelStatsRepository } from './modelStats.ts';
export { FineTuneRepository } from './fineTune.ts';
export { MemoryRepository } from './memory.ts';

export interface OpenStoreOptions extends BackendOptions {
  /** Resolves relative sqlite paths; default process.cwd(). */
  cwd?: string;
  /** Mark runs left queued/running by a stopped process as interrupted (default true; never when read-only). */
  recoverRuns?: boolean;
  /** Story index entries kept in memory across users. Default 500,000 (a few tens of MB). */
  storyCacheEntries?: number;
  /** Memory documents kept in search indexes across users. Default 200,000. */
  memoryCacheDocuments?: number;
}

export interface ZegaStore {
  /** `sqlite` or `memory`. */
  readonly kind: 'sqlite' | 'memory';
  /** The database file, or `memory://`. */
  readonly location: string;
  readonly readOnly: boolean;
  readonly stories: StoryRepository;
  readonly runs: RunRepository;
  readonly stats: ModelStatsRepository;
  readonly fineTune: FineTuneRepository;
  readonly memory: MemoryRepository;
  /** Runs that were marked interrupted when this store opened. */
  readonly interruptedRuns: readonly string[];

  /** The trainer's interface over these repositories. */
  trainerStore(): TrainerStore;

  /** Rows skipped because they could not be read, most recent last. */
  health(): { issueCount: number; issues: StorageIssue[] };
  /** Drops every in-process cache; the next reads come from the backend. */
  clearCaches(): void;
  close(): Promise<void>;
}

async function checkStoreMeta(kv: Kv): Promise<void> {
  const key = keys.storeMeta();
  const decoded = decodeRead(kv, key, await kv.get(key), storeMetaCodec, false);
  if (decoded.state === 'ok') {
    if (decoded.value.format > STORE_FORMAT) {
      throw new StorageError(
        `The store ${kv.location} was written by a newer Zega (format ${decoded.value.format}; this one reads up to ${STORE_FORMAT}). Upgrade Zega.`,
        'TOO_NEW',
        { file: kv.location },
      );
    }
    return;
  }
  if (kv.readOnly) return;
  if (decoded.state === 'bad') await kv.quarantine(key, decoded);
  await kv.set(key, { v: 1, format: STORE_FORMAT, createdAt: Date.now() });
}

/** Opens the store named by STORAGE_URL; every start-up problem is a StorageError naming the file. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<ZegaStore> {
  const spec = parseStorageUrl(url, options.cwd);
  const kv = await openBackend(spec, options);
  let release: (() => Promise<void>) | undefined;
  let interruptedRuns: string[] = [];
  const onError = (error: unknown, context: string) => options.logger?.error({ err: error, context }, 'storage: secondary update failed');

  const stats = new ModelStatsRepository(kv);
  const stories = new StoryRepository(kv, stats, { ...(options.storyCacheEntries ? { cacheEntries: options.storyCacheEntries } : {}), onError });
  const runs = new RunRepository(kv);
  const fineTune = new FineTuneRepository(kv);
  const memory = new MemoryRepository(kv, options.memoryCacheDocuments ? { cacheDocuments: options.memoryCacheDocuments } : {});

  try {
    await checkStoreMeta(kv);
    if (!kv.readOnly && spec.kind === 'sqlite') release = await claimOwnership(kv);
    if (!kv.readOnly && (options.recoverRuns ?? true)) interruptedRuns = await runs.markInterrupted();
  } catch (error) {
    await kv.close().catch(() => undefined);
    throw error;
  }

  const trainer = createTrainerStore({ stories, runs, stats, fineTune, memory });
  const logger: StorageLogger | undefined = options.logger;
  if (interruptedRuns.length > 0) logger?.warn({ runs: interruptedRuns }, 'storage: runs left unfinished by the last process were marked interrupted');

  return {
    kind: spec.kind,
    location: kv.location,
    readOnly: kv.readOnly,
    stories,
    runs,
    stats,
    fineTune,
    memory,
    interruptedRuns,
    trainerStore: () => trainer,

    health: () => ({ issueCount: kv.issueCount, issues: [...kv.issues] }),
    clearCaches: () => {
      stories.clearCache();
      runs.clearCache();
      stats.clearCache();
      fineTune.clearCache();
      memory.clearCache();
    },
    close: async () => {
      if (kv.isClosed) return;
      try {
        await release?.();
      } finally {
        await kv.close();
      }
    },
  };
}
