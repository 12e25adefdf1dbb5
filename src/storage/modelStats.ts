/**
 * Model statistics: wins, quality, calls, failures and latency of every teacher, kept globally,
 * per user and per guild, each overall and per genre; the best settings per teacher and per genre;
 * and each guild's trainers. One record per scope (`stats:*`), updated as every example finishes.
 */
import type { Genre } from '../trainer/genres.ts';
import type { ModelPerformance, TeacherOutcome } from '../trainer/types.ts';
import type { GenerationSettings } from '../teachers/types.ts';
import { CachedRecords } from './cache.ts';
import { keys, checkId } from './keys.ts';
import type { Kv } from './kv.ts';
import { statsCodec, type Bucket, type Counters, type SettingsTally, type StatsRecord } from './records.ts';
import { StorageError } from './errors.ts';

export type StatsScope = 'global' | 'guild' | 'user';

export interface LeaderboardQuery {
  scope: StatsScope;
  /** Guild id or user id; required for those scopes. */
  id?: string;
  genre?: Genre;
  limit?: number;
}

export interface LeaderboardRow {
  rank: number;
  teacherId: string;
  wins: number;
  /** Average final quality of this teacher's wins (0 when it never won). */
  averageQuality: number;
  /** Average story score of this teacher's wins that have one (absent when none has). */
  averageStoryQuality?: number;
  calls: number;
  failures: number;
  failureRate: number;
  averageLatencyMs: number;
  /** Share of the decided examples this teacher took part in that it won (skipped ones do not count). */
  winRate: number;
  /** Examples it was not asked in for lack of quota. */
  skipped: number;
  /** Stories currently kept in libraries that this teacher won. */
  stories: number;
}

export interface TrainerRow {
  rank: number;
  userId: string;
  examples: number;
  successful: number;
  averageQuality: number;
  stories: number;
  lastAt: number;
}

export interface SettingsChoice {
  settings: GenerationSettings;
  wins: number;
  averageQuality: number;
}

export interface BestSettings {
  perTeacher: Record<string, SettingsChoice>;
  perGenre: Partial<Record<Genre, SettingsChoice & { teacherId: string }>>;
}

/** What statistics need from one finished example. */
export interface ExampleStatsInput {
  userId: string;
  guildId?: string;
  genre: Genre;
  status: 'ok' | 'failed';
  outcomes: TeacherOutcome[];
  /** Teachers not asked for lack of quota: counted as skipped, not as failed calls. */
  skipped?: string[];
  winner?: { teacherId: string; finalQuality: number; storyQuality?: number; settings: GenerationSettings };
  at?: number;
}

export interface StoryStatsInput {
  userId: string;
  guildId?: string;
  genre: Genre;
  teacherId: string;
}

/**
 * Stories written by a user's personal model (/write) carry `personal:<model>` as their winner.
 * Roster ids cannot contain `:`, so no teacher is ever taken for one; such stories are kept out of
 * the teachers' statistics (a personal model is nobody else's leaderboard entry).
 */
export const PERSONAL_MODEL_PREFIX = 'personal:';

export function isPersonalModelId(teacherId: string): boolean {
  return teacherId.startsWith(PERSONAL_MODEL_PREFIX);
}

/** Distinct settings kept per teacher and bucket; the least-winning one makes room. */
const MAX_SETTINGS = 32;

const emptyBucket = (): Bucket => ({ teachers: {}, settings: {} });
const emptyCounters = (): Counters => ({ wins: 0, qualitySum: 0, calls: 0, failures: 0, latencySum: 0, stories: 0 });
const emptyStats = (): StatsRecord => ({ v: 1, all: emptyBucket(), genres: {}, updatedAt: Date.now() });

export function settingsKey(s: GenerationSettings): string {
  return `${s.temperature.toFixed(2)}|${s.topP.toFixed(2)}|${Math.round(s.maxTokens)}`;
}

function counters(bucket: Bucket, teacherId: string): Counters {
  let c = bucket.teachers[teacherId];
  if (!c) {
    c = emptyCounters();
    bucket.teachers[teacherId] = c;
  }
  return c;
}

function applyExample(bucket: Bucket, input: ExampleStatsInput): void {
  for (const outcome of input.outcomes) {
    // A cancelled call says nothing about the teacher.
    if (outcome.failure?.kind === 'cancelled') continue;
    const c = counters(bucket, outcome.teacherId);
    c.calls += 1;
    if (!outcome.ok) c.failures += 1;
    c.latencySum += Math.max(0, outcome.latencyMs);
    if (input.status === 'ok') c.decided = (c.decided ?? 0) + 1;
  }
  for (const teacherId of input.skipped ?? []) {
    const c = counters(bucket, teacherId);
    c.skipped = (c.skipped ?? 0) + 1;
  }
  const { winner } = input;
  if (input.status !== 'ok' || !winner) return;
  const c = counters(bucket, winner.teacherId);
  c.wins += 1;
  c.qualitySum += winner.finalQuality;
  if (winner.storyQuality !== undefined) {
    c.storyQualitySum = (c.storyQualitySum ?? 0) + winner.storyQuality;
    c.storyScored = (c.storyScored ?? 0) + 1;
  }
  const perTeacher = (bucket.settings[winner.teacherId] ??= {});
  const key = settingsKey(winner.settings);
  const tally = perTeacher[key];
  if (tally) {
    tally.wins += 1;
    tally.qualitySum += winner.finalQuality;
  } else {
    const entries = Object.entries(perTeacher);
    if (entries.length >= MAX_SETTINGS) {
      entries.sort(([, a], [, b]) => a.wins - b.wins || a.qualitySum - b.qualitySum);
      const weakest = entries[0];
      if (weakest) delete perTeacher[weakest[0]];
    }
    perTeacher[key] = { settings: { ...winner.settings }, wins: 1, qualitySum: winner.finalQuality };
  }
}

function choose(tallies: SettingsTally[]): SettingsChoice | undefined {
  if (tallies.length === 0) return undefined;
  const mostWins = Math.max(...tallies.map((t) => t.wins));
  // Prefer settings proven by a few wins over a single lucky one.
  const floor = Math.min(3, mostWins);
  let best: SettingsTally | undefined;
  for (const t of tallies) {
    if (t.wins < floor) continue;
    if (!best || t.qualitySum / t.wins > best.qualitySum / best.wins || (t.qualitySum / t.wins === best.qualitySum / best.wins && t.wins > best.wins)) {
      best = t;
    }
  }
  return best && { settings: best.settings, wins: best.wins, averageQuality: best.qualitySum / best.wins };
}

export class ModelStatsRepository {
  private readonly records: CachedRecords<StatsRecord>;

  constructor(private readonly kv: Kv) {
    this.records = new CachedRecords(kv, statsCodec, 500);
  }

  private scopeKeys(userId: string, guildId?: string): string[] {
    const list = [keys.globalStats(), keys.userStats(userId)];
    if (guildId) list.push(keys.guildStats(guildId));
    return list;
  }

  private keyOf(scope: StatsScope, id?: string): string {
    if (scope === 'global') return keys.globalStats();
    if (!id) throw new StorageError(`A ${scope} leaderboard needs the ${scope} id.`, 'INVALID_INPUT');
    return scope === 'user' ? keys.userStats(id) : keys.guildStats(id);
  }

  /** Adds one finished example to every scope it belongs to (global, its user, its guild). */
  async recordExample(input: ExampleStatsInput): Promise<void> {
    const at = input.at ?? Date.now();
    for (const key of this.scopeKeys(input.userId, input.guildId)) {
      await this.records.update(key, emptyStats, (record) => {
        applyExample(record.all, input);
        applyExample((record.genres[input.genre] ??= emptyBucket()), input);
        if (input.guildId && key === keys.guildStats(input.guildId)) {
          const trainers = (record.trainers ??= {});
          const t = (trainers[input.userId] ??= { examples: 0, successful: 0, qualitySum: 0, stories: 0, lastAt: at });
          t.examples += 1;
          if (input.status === 'ok' && input.winner) {
            t.successful += 1;
            t.qualitySum += input.winner.finalQuality;
          }
          t.lastAt = Math.max(t.lastAt, at);
        }
        record.updatedAt = at;
      });
    }
  }

  /** A story was saved (+1) or deleted (-1): keeps the `stories` columns of leaderboards true. */
  async adjustStories(story: StoryStatsInput, delta: 1 | -1): Promise<void> {
    if (isPersonalModelId(story.teacherId)) return;
    for (const key of this.scopeKeys(story.userId, story.guildId)) {
      await this.records.update(key, emptyStats, (record) => {
        for (const bucket of [record.all, (record.genres[story.genre] ??= emptyBucket())]) {
          const c = counters(bucket, story.teacherId);
          c.stories = Math.max(0, c.stories + delta);
        }
        if (story.guildId && key === keys.guildStats(story.guildId)) {
          const trainers = (record.trainers ??= {});
          const t = (trainers[story.userId] ??= { examples: 0, successful: 0, qualitySum: 0, stories: 0, lastAt: 0 });
          t.stories = Math.max(0, t.stories + delta);
        }
        record.updatedAt = Date.now();
      });
    }
  }

  private async bucket(scope: StatsScope, id: string | undefined, genre?: Genre): Promise<Bucket | undefined> {
    const record = await this.records.read(this.keyOf(scope, id));
    if (!record) return undefined;
    return genre ? record.genres[genre] : record.all;
  }

  /** Teachers of a scope, by wins, then average quality of the wins, then id. */
  async leaderboard(query: LeaderboardQuery): Promise<LeaderboardRow[]> {
    const bucket = await this.bucket(query.scope, query.id, query.genre);
    if (!bucket) return [];
    const decided = Object.values(bucket.teachers).reduce((sum, c) => sum + c.wins, 0);
    const rows = Object.entries(bucket.teachers).map(([teacherId, c]) => ({
      rank: 0,
      teacherId,
      wins: c.wins,
      averageQuality: c.wins > 0 ? c.qualitySum / c.wins : 0,
      ...(c.storyScored ? { averageStoryQuality: (c.storyQualitySum ?? 0) / c.storyScored } : {}),
      calls: c.calls,
      failures: c.failures,
      failureRate: c.calls > 0 ? c.failures / c.calls : 0,
      averageLatencyMs: c.calls > 0 ? c.latencySum / c.calls : 0,
      // Older records lack per-teacher counts of the examples taken part in: the scope's total then.
      winRate: c.decided !== undefined ? (c.decided > 0 ? c.wins / c.decided : 0) : decided > 0 ? c.wins / decided : 0,
      skipped: c.skipped ?? 0,
      stories: c.stories,
    }));
    rows.sort((a, b) => b.wins - a.wins || b.averageQuality - a.averageQuality || a.teacherId.localeCompare(b.teacherId));
    rows.forEach((row, i) => (row.rank = i + 1));
    return query.limit ? rows.slice(0, query.limit) : rows;
  }

  /** The trainer-facing shape of the same numbers. */
  async modelPerformance(query: Omit<LeaderboardQuery, 'limit'>): Promise<Record<string, ModelPerformance>> {
    const rows = await this.leaderboard(query);
    return Object.fromEntries(
      rows.map((r) => [
        r.teacherId,
        {
          wins: r.wins,
          average_quality: r.averageQuality,
          ...(r.averageStoryQuality !== undefined ? { average_story_quality: r.averageStoryQuality } : {}),
          calls: r.calls,
          failures: r.failures,
          average_latency_ms: r.averageLatencyMs,
          skipped: r.skipped,
        },
      ]),
    );
  }

  /** Users of a guild by successful examples, then average quality, then id. */
  async topTrainers(guildId: string, limit = 10): Promise<TrainerRow[]> {
    checkId('guild id', guildId);
    const record = await this.records.read(keys.guildStats(guildId));
    const rows = Object.entries(record?.trainers ?? {}).map(([userId, t]) => ({
      rank: 0,
      userId,
      examples: t.examples,
      successful: t.successful,
      averageQuality: t.successful > 0 ? t.qualitySum / t.successful : 0,
      stories: t.stories,
      lastAt: t.lastAt,
    }));
    rows.sort((a, b) => b.successful - a.successful || b.averageQuality - a.averageQuality || a.userId.localeCompare(b.userId));
    rows.forEach((row, i) => (row.rank = i + 1));
    return rows.slice(0, limit);
  }

  /** Best-scoring settings of each teacher, and the best teacher with its settings per genre. */
  async bestSettings(query: { scope: StatsScope; id?: string }): Promise<BestSettings> {
    const record = await this.records.read(this.keyOf(query.scope, query.id));
    const out: BestSettings = { perTeacher: {}, perGenre: {} };
    if (!record) return out;
    for (const [teacherId, tallies] of Object.entries(record.all.settings)) {
      const choice = choose(Object.values(tallies));
      if (choice) out.perTeacher[teacherId] = choice;
    }
    for (const [genre, bucket] of Object.entries(record.genres)) {
      let best: (SettingsChoice & { teacherId: string }) | undefined;
      const teachers = Object.entries(bucket.teachers).filter(([, c]) => c.wins > 0);
      const floor = Math.min(3, Math.max(0, ...teachers.map(([, c]) => c.wins)));
      for (const [teacherId, c] of teachers) {
        if (c.wins < floor) continue;
        const avg = c.qualitySum / c.wins;
        if (best && (avg < best.averageQuality || (avg === best.averageQuality && c.wins <= best.wins))) continue;
        const settings = choose(Object.values(bucket.settings[teacherId] ?? {}));
        if (settings) best = { teacherId, settings: settings.settings, wins: c.wins, averageQuality: avg };
      }
      if (best) out.perGenre[genre as Genre] = best;
    }
    return out;
  }

  /** Drops cached records (tests, or after another tool changed the file). */
  clearCache(): void {
    this.records.clear();
  }
}
