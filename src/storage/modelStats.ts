/**
 * Model statistics: wins, quality, calls, failures, skips and latency of every teacher, kept
 * globally, per guild, per user and per member (one user within one guild), each overall (genre
 * '') and per genre; the best settings per teacher and per genre; and each guild's trainers.
 *
 * An example appends one `stats_pending` row per teacher inside its own transaction (never a
 * rewrite of a whole record, nor an upsert of counters scattered over the tables); every
 * `FOLD_AT` rows a fold adds the pending rows to the counter tables in one statement per table
 * (`wins = wins + excluded.wins`) and deletes them. Every read adds the pending rows of its scope,
 * so figures are exact whether or not a fold ran. The `user` and `member` rows are exactly what a
 * user added to `global` and to a guild, which is what lets forgetting a user subtract their part.
 */
import { sql, type Insertable, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Genre } from '../trainer/genres.ts';
import { isGenre } from '../trainer/genres.ts';
import type { ModelPerformance, TeacherOutcome } from '../trainer/types.ts';
import type { TeacherHistory } from '../trainer/teacherChoice.ts';
import type { GenerationSettings } from '../teachers/types.ts';
import type { StoreContext } from './context.ts';
import { StorageError } from './errors.ts';
import { checkId } from './ids.ts';
import type { Database, ModelStatsTable, StatsPendingTable } from './schema.ts';

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
  /** Times it was not asked for lack of quota. */
  skipped: number;
  averageLatencyMs: number;
  /** Share of the examples this teacher took part in (was asked; skipped ones do not count) that it won. */
  winRate: number;
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
  winner?: { teacherId: string; finalQuality: number; settings: GenerationSettings; storyQuality?: number };
  /** The winner was saved to the library in the same transaction (counts in `stories`). */
  storySaved?: boolean;
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

export function settingsKey(s: GenerationSettings): string {
  return `${s.temperature.toFixed(2)}|${s.topP.toFixed(2)}|${Math.round(s.maxTokens)}`;
}

type Scope = Pick<ModelStatsTable, 'scope' | 'guild_id' | 'user_id'>;

const COUNTERS = ['wins', 'quality_sum', 'story_quality_sum', 'story_quality_count', 'calls', 'failures', 'skipped', 'latency_sum', 'stories'] as const;
type Counter = (typeof COUNTERS)[number];
type Counters = Record<Counter, number>;
const zero = (): Counters => ({ wins: 0, quality_sum: 0, story_quality_sum: 0, story_quality_count: 0, calls: 0, failures: 0, skipped: 0, latency_sum: 0, stories: 0 });

/** Pending rows that make a fold due (about 290 examples of 7 teachers). */
export const FOLD_AT = 2048;

type PendingRow = Insertable<StatsPendingTable>;

/**
 * The pending rows that count in a scope: all of them globally, a user's own, a guild's own (the
 * `member` scope is only read by forgetting, which folds first).
 */
function pendingIn<O>(query: SelectQueryBuilder<Database, 'stats_pending', O>, scope: Scope): SelectQueryBuilder<Database, 'stats_pending', O> {
  if (scope.scope === 'user') return query.where('stats_pending.user_id', '=', scope.user_id);
  if (scope.scope === 'guild') return query.where('stats_pending.guild_id', '=', scope.guild_id);
  return query;
}

/**
 * The pending rows of `source` spread over every scope they count in, as SQL: global, the user,
 * and in a guild the guild and the member.
 */
function expandedScopes(source: string, columns: string) {
  const from = sql.table(source);
  const cols = sql.raw(columns);
  return sql`select 'global' as scope, '' as guild_id, '' as user_id, ${cols} from ${from}
    union all select 'user', '', user_id, ${cols} from ${from}
    union all select 'guild', guild_id, '', ${cols} from ${from} where guild_id <> ''
    union all select 'member', guild_id, user_id, ${cols} from ${from} where guild_id <> ''`;
}

const STATS_COLUMNS = `genre, teacher_id, ${COUNTERS.join(', ')}`;
const SETTINGS_COLUMNS = 'genre, teacher_id, settings_key, temperature, top_p, max_tokens, wins, quality_sum';

/**
 * The two upserts that add the pending rows of `source` to the counter tables. Rows go in key
 * order, so concurrent folds lock counter rows in the same order (PostgreSQL) and never deadlock.
 * `where …` after the FROM: SQLite's documented way to tell an upsert's ON from a join's.
 */
function additions(source: string) {
  const sums = sql.raw(COUNTERS.map((c) => `sum(${c})`).join(', '));
  const adds = sql.raw(COUNTERS.map((c) => `${c} = model_stats.${c} + excluded.${c}`).join(', '));
  return {
    stats: sql`insert into model_stats (scope, guild_id, user_id, genre, teacher_id, ${sql.raw(COUNTERS.join(', '))})
      select scope, guild_id, user_id, genre, teacher_id, ${sums} from (${expandedScopes(source, STATS_COLUMNS)}) as d where true
      group by scope, guild_id, user_id, genre, teacher_id order by scope, guild_id, user_id, genre, teacher_id
      on conflict (scope, guild_id, user_id, genre, teacher_id) do update set ${adds}`,
    settings: sql`insert into settings_stats (scope, guild_id, user_id, genre, teacher_id, settings_key, temperature, top_p, max_tokens, wins, quality_sum)
      select scope, guild_id, user_id, genre, teacher_id, settings_key, max(temperature), max(top_p), max(max_tokens), sum(wins), sum(quality_sum)
      from (${expandedScopes(source, SETTINGS_COLUMNS)}) as d where settings_key is not null
      group by scope, guild_id, user_id, genre, teacher_id, settings_key order by scope, guild_id, user_id, genre, teacher_id, settings_key
      on conflict (scope, guild_id, user_id, genre, teacher_id, settings_key) do update set
        wins = settings_stats.wins + excluded.wins, quality_sum = settings_stats.quality_sum + excluded.quality_sum`,
  };
}

/**
 * Moves every pending row into the counter tables, exactly once. SQLite: inside the write
 * transaction no other process can append, so adding all rows then deleting all is exact.
 * PostgreSQL: another transaction may append meanwhile, so one statement takes the rows with
 * DELETE … RETURNING and adds exactly those (a concurrent fold waits for their locks, then skips them).
 */
async function foldPending(db: Kysely<Database>, dialect: StoreContext['dialect']): Promise<void> {
  if (dialect === 'sqlite') {
    const add = additions('stats_pending');
    await add.stats.execute(db);
    await add.settings.execute(db);
    await db.deleteFrom('stats_pending').execute();
    return;
  }
  const add = additions('moved');
  await sql`with moved as (delete from stats_pending returning *), added as (${add.stats} returning 1) ${add.settings}`.execute(db);
}

function choose(tallies: { settings: GenerationSettings; wins: number; qualitySum: number }[]): SettingsChoice | undefined {
  if (tallies.length === 0) return undefined;
  const mostWins = Math.max(...tallies.map((t) => t.wins));
  // Prefer settings proven by a few wins over a single lucky one.
  const floor = Math.min(3, mostWins);
  let best: (typeof tallies)[number] | undefined;
  for (const t of tallies) {
    if (t.wins < floor || t.wins <= 0) continue;
    if (!best || t.qualitySum / t.wins > best.qualitySum / best.wins || (t.qualitySum / t.wins === best.qualitySum / best.wins && t.wins > best.wins)) {
      best = t;
    }
  }
  return best && { settings: best.settings, wins: best.wins, averageQuality: best.qualitySum / best.wins };
}

/**
 * Wins over the examples the teacher took part in. `calls` counts one per example it was asked in
 * (skipped and cancelled ones are not calls), so it is that count; a store migrated from v1 may
 * hold fewer calls than wins, and then the wins themselves are the examples it is known to be in.
 */
function winRate(c: Counters): number {
  const tookPart = Math.max(c.calls, c.wins);
  return tookPart > 0 ? c.wins / tookPart : 0;
}

export class ModelStatsRepository {
  constructor(private readonly context: StoreContext) {}

  private scopeOf(scope: StatsScope, id?: string): Scope {
    if (scope === 'global') return { scope, guild_id: '', user_id: '' };
    if (!id) throw new StorageError(`A ${scope} leaderboard needs the ${scope} id.`, 'INVALID_INPUT');
    checkId(`${scope} id`, id);
    return scope === 'user' ? { scope, guild_id: '', user_id: id } : { scope, guild_id: id, user_id: '' };
  }

  /**
   * Adds one finished example to every scope it belongs to: one pending row per teacher. Returns
   * how many rows it appended (the caller folds when enough have piled up).
   */
  async recordExample(input: ExampleStatsInput): Promise<number> {
    const at = input.at ?? Date.now();
    const perTeacher = new Map<string, Counters>();
    const counters = (teacherId: string) => {
      let c = perTeacher.get(teacherId);
      if (!c) perTeacher.set(teacherId, (c = zero()));
      return c;
    };
    for (const outcome of input.outcomes) {
      // A cancelled call says nothing about the teacher.
      if (outcome.failure?.kind === 'cancelled') continue;
      const c = counters(outcome.teacherId);
      if (outcome.skipped) {
        c.skipped += 1;
        continue;
      }
      c.calls += 1;
      if (!outcome.ok) c.failures += 1;
      c.latency_sum += Math.max(0, outcome.latencyMs);
    }
    const winner = input.status === 'ok' ? input.winner : undefined;
    if (winner) {
      const c = counters(winner.teacherId);
      c.wins += 1;
      c.quality_sum += winner.finalQuality;
      if (winner.storyQuality !== undefined && Number.isFinite(winner.storyQuality)) {
        c.story_quality_sum += winner.storyQuality;
        c.story_quality_count += 1;
      }
      if (input.storySaved && !isPersonalModelId(winner.teacherId)) c.stories += 1;
    }
    const rows: PendingRow[] = [];
    for (const [teacher_id, c] of perTeacher) {
      const s = winner?.teacherId === teacher_id ? winner.settings : undefined;
      rows.push({
        user_id: input.userId,
        guild_id: input.guildId ?? '',
        genre: input.genre,
        teacher_id,
        ...c,
        ...(s ? { settings_key: settingsKey(s), temperature: s.temperature, top_p: s.topP, max_tokens: Math.round(s.maxTokens) } : {}),
      });
    }
    await this.context.write(async (db) => {
      if (rows.length > 0) await db.insertInto('stats_pending').values(rows).execute();
      if (input.guildId) {
        const successful = winner ? 1 : 0;
        const stories = winner && input.storySaved && !isPersonalModelId(winner.teacherId) ? 1 : 0;
        await db
          .insertInto('guild_trainers')
          .values({ guild_id: input.guildId, user_id: input.userId, examples: 1, successful, quality_sum: winner?.finalQuality ?? 0, stories, last_at: at })
          .onConflict((oc) =>
            oc.columns(['guild_id', 'user_id']).doUpdateSet((eb) => ({
              examples: eb('guild_trainers.examples', '+', 1),
              stories: eb('guild_trainers.stories', '+', stories),
              successful: eb('guild_trainers.successful', '+', successful),
              quality_sum: eb('guild_trainers.quality_sum', '+', winner?.finalQuality ?? 0),
              last_at: sql<number>`case when guild_trainers.last_at > ${at} then guild_trainers.last_at else ${at} end`,
            })),
          )
          .execute();
      }
    });
    return rows.length;
  }

  /** A story was saved (+1) or deleted (-1): keeps the `stories` columns of leaderboards true. */
  async adjustStories(story: StoryStatsInput, delta: 1 | -1): Promise<void> {
    if (isPersonalModelId(story.teacherId)) return;
    const row: PendingRow = { user_id: story.userId, guild_id: story.guildId ?? '', genre: story.genre, teacher_id: story.teacherId, ...zero(), stories: delta };
    await this.context.write(async (db) => {
      await db.insertInto('stats_pending').values(row).execute();
      if (story.guildId) {
        await db
          .insertInto('guild_trainers')
          .values({ guild_id: story.guildId, user_id: story.userId, examples: 0, successful: 0, quality_sum: 0, stories: Math.max(0, delta), last_at: 0 })
          .onConflict((oc) => oc.columns(['guild_id', 'user_id']).doUpdateSet((eb) => ({ stories: eb('guild_trainers.stories', '+', delta) })))
          .execute();
      }
    });
  }

  /** Statistics rows appended and not folded yet (an operator's figure; reads count them either way). */
  async pendingRows(): Promise<number> {
    const row = await this.context.db.selectFrom('stats_pending').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Adds every pending row to the counter tables (in one transaction, or the caller's). */
  async fold(): Promise<void> {
    await this.context.write((db) => foldPending(db, this.context.dialect));
  }

  /** The counter rows of a scope, folded and pending alike, as one row source (sum them). */
  private countersIn(scope: Scope) {
    const db = this.context.db;
    const columns = ['genre', 'teacher_id', ...COUNTERS] as const;
    const counted = db.selectFrom('model_stats').select([...columns]).where('scope', '=', scope.scope).where('guild_id', '=', scope.guild_id).where('user_id', '=', scope.user_id);
    return counted.unionAll(pendingIn(db.selectFrom('stats_pending').select([...columns]), scope));
  }

  /** Every teacher's examples and wins per genre, over all users: what `--teachers auto` starts from. */
  async teacherHistory(): Promise<TeacherHistory[]> {
    const rows = await this.context.db
      .selectFrom(this.countersIn(this.scopeOf('global')).as('s'))
      .select((eb) => ['s.genre', 's.teacher_id', eb.fn.sum<number>('s.calls').as('calls'), eb.fn.sum<number>('s.wins').as('wins')])
      .groupBy(['s.genre', 's.teacher_id'])
      .execute();
    return rows.flatMap((r) => (isGenre(r.genre) && !isPersonalModelId(r.teacher_id) ? [{ teacherId: r.teacher_id, genre: r.genre, asked: Number(r.calls), wins: Number(r.wins) }] : []));
  }

  /** Teachers of a scope, by wins, then average quality of the wins, then id (all genres summed unless one is asked). */
  async leaderboard(query: LeaderboardQuery): Promise<LeaderboardRow[]> {
    const scope = this.scopeOf(query.scope, query.id);
    let q = this.context.db.selectFrom(this.countersIn(scope).as('s')).select((eb) => ['s.teacher_id', ...COUNTERS.map((c) => eb.fn.sum<number>(`s.${c}`).as(c))]);
    if (query.genre !== undefined) q = q.where('s.genre', '=', query.genre);
    const rows = (await q.groupBy('s.teacher_id').execute()) as unknown as ({ teacher_id: string } & Counters)[];
    const counts = rows.map((r) => ({ teacher_id: r.teacher_id, ...Object.fromEntries(COUNTERS.map((c) => [c, Number(r[c] ?? 0)])) }) as { teacher_id: string } & Counters);
    const board: LeaderboardRow[] = counts.map((c) => ({
      rank: 0,
      teacherId: c.teacher_id,
      wins: c.wins,
      averageQuality: c.wins > 0 ? c.quality_sum / c.wins : 0,
      ...(c.story_quality_count > 0 ? { averageStoryQuality: c.story_quality_sum / c.story_quality_count } : {}),
      calls: c.calls,
      failures: c.failures,
      failureRate: c.calls > 0 ? c.failures / c.calls : 0,
      skipped: c.skipped,
      averageLatencyMs: c.calls > 0 ? c.latency_sum / c.calls : 0,
      winRate: winRate(c),
      stories: Math.max(0, c.stories),
    }));
    board.sort((a, b) => b.wins - a.wins || b.averageQuality - a.averageQuality || a.teacherId.localeCompare(b.teacherId));
    board.forEach((row, i) => (row.rank = i + 1));
    return query.limit ? board.slice(0, query.limit) : board;
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
        },
      ]),
    );
  }

  /** Users of a guild by successful examples, then average quality, then id. */
  async topTrainers(guildId: string, limit = 10): Promise<TrainerRow[]> {
    checkId('guild id', guildId);
    const rows = await this.context.db.selectFrom('guild_trainers').selectAll().where('guild_id', '=', guildId).execute();
    const out: TrainerRow[] = rows.map((t) => ({
      rank: 0,
      userId: t.user_id,
      examples: t.examples,
      successful: t.successful,
      averageQuality: t.successful > 0 ? t.quality_sum / t.successful : 0,
      stories: Math.max(0, t.stories),
      lastAt: t.last_at,
    }));
    out.sort((a, b) => b.successful - a.successful || b.averageQuality - a.averageQuality || a.userId.localeCompare(b.userId));
    out.forEach((row, i) => (row.rank = i + 1));
    return out.slice(0, limit);
  }

  /** Best-scoring settings of each teacher, and the best teacher with its settings per genre. */
  async bestSettings(query: { scope: StatsScope; id?: string }): Promise<BestSettings> {
    const scope = this.scopeOf(query.scope, query.id);
    const db = this.context.db;
    const settingsColumns = ['genre', 'teacher_id', 'settings_key', 'temperature', 'top_p', 'max_tokens', 'wins', 'quality_sum'] as const;
    const countedSettings = db.selectFrom('settings_stats').select([...settingsColumns]).where('scope', '=', scope.scope).where('guild_id', '=', scope.guild_id).where('user_id', '=', scope.user_id);
    const pendingSettings = pendingIn(
      db
        .selectFrom('stats_pending')
        .select((eb) => [
          'genre',
          'teacher_id',
          eb.fn.coalesce('settings_key', sql.lit('')).as('settings_key'),
          eb.fn.coalesce('temperature', sql.lit(0)).as('temperature'),
          eb.fn.coalesce('top_p', sql.lit(0)).as('top_p'),
          eb.fn.coalesce('max_tokens', sql.lit(0)).as('max_tokens'),
          'wins',
          'quality_sum',
        ])
        .where('settings_key', 'is not', null),
      scope,
    );
    const [tallyRows, teacherRows] = await Promise.all([
      db
        .selectFrom(countedSettings.unionAll(pendingSettings).as('s'))
        .select((eb) => ['s.genre', 's.teacher_id', 's.settings_key', eb.fn.max('s.temperature').as('temperature'), eb.fn.max('s.top_p').as('top_p'), eb.fn.max('s.max_tokens').as('max_tokens'), eb.fn.sum<number>('s.wins').as('wins'), eb.fn.sum<number>('s.quality_sum').as('quality_sum')])
        .groupBy(['s.genre', 's.teacher_id', 's.settings_key'])
        .execute(),
      db
        .selectFrom(this.countersIn(scope).as('s'))
        .select((eb) => ['s.genre', 's.teacher_id', eb.fn.sum<number>('s.wins').as('wins'), eb.fn.sum<number>('s.quality_sum').as('quality_sum')])
        .where('s.genre', '<>', '')
        .groupBy(['s.genre', 's.teacher_id'])
        .having((eb) => eb.fn.sum('s.wins'), '>', 0)
        .execute(),
    ]);
    // Sums come back as strings from PostgreSQL (bigint) and may be floats from SQLite.
    const tallies = tallyRows.map((t) => ({ ...t, temperature: Number(t.temperature), top_p: Number(t.top_p), max_tokens: Number(t.max_tokens), wins: Number(t.wins), quality_sum: Number(t.quality_sum) }));
    const teachers = teacherRows.map((t) => ({ ...t, wins: Number(t.wins), quality_sum: Number(t.quality_sum) }));
    const byGroup = new Map<string, { settings: GenerationSettings; wins: number; qualitySum: number }[]>();
    for (const t of tallies) {
      const key = `${t.genre}\u0000${t.teacher_id}`;
      const list = byGroup.get(key) ?? [];
      list.push({ settings: { temperature: t.temperature, topP: t.top_p, maxTokens: t.max_tokens }, wins: t.wins, qualitySum: t.quality_sum });
      byGroup.set(key, list);
    }
    const out: BestSettings = { perTeacher: {}, perGenre: {} };
    // Per teacher: each setting's tallies summed over the genres.
    const perTeacher = new Map<string, Map<string, { settings: GenerationSettings; wins: number; qualitySum: number }>>();
    for (const t of tallies) {
      const bySettings = perTeacher.get(t.teacher_id) ?? new Map<string, { settings: GenerationSettings; wins: number; qualitySum: number }>();
      const sum = bySettings.get(t.settings_key) ?? { settings: { temperature: t.temperature, topP: t.top_p, maxTokens: t.max_tokens }, wins: 0, qualitySum: 0 };
      sum.wins += t.wins;
      sum.qualitySum += t.quality_sum;
      bySettings.set(t.settings_key, sum);
      perTeacher.set(t.teacher_id, bySettings);
    }
    for (const [teacherId, bySettings] of [...perTeacher].sort(([a], [b]) => a.localeCompare(b))) {
      const choice = choose([...bySettings.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, tally]) => tally));
      if (choice) out.perTeacher[teacherId] = choice;
    }
    const genres = new Map<string, typeof teachers>();
    for (const row of teachers) genres.set(row.genre, [...(genres.get(row.genre) ?? []), row]);
    for (const [genre, rows] of genres) {
      if (!isGenre(genre)) continue;
      let best: (SettingsChoice & { teacherId: string }) | undefined;
      const floor = Math.min(3, Math.max(0, ...rows.map((r) => r.wins)));
      for (const r of [...rows].sort((a, b) => a.teacher_id.localeCompare(b.teacher_id))) {
        if (r.wins < floor) continue;
        const avg = r.quality_sum / r.wins;
        if (best && (avg < best.averageQuality || (avg === best.averageQuality && r.wins <= best.wins))) continue;
        const settings = choose(byGroup.get(`${genre}\u0000${r.teacher_id}`) ?? []);
        if (settings) best = { teacherId: r.teacher_id, settings: settings.settings, wins: r.wins, averageQuality: avg };
      }
      if (best) out.perGenre[genre] = best;
    }
    return out;
  }

  /**
   * Takes a user's part out of the statistics: their `user` rows are subtracted from `global`,
   * their `member` rows from each guild, then their own rows and guild trainer rows go. Returns
   * how many of their rows were removed.
   */
  async forgetUser(userId: string): Promise<number> {
    checkId('user id', userId);
    return this.context.write(async (db) => {
      // Pending rows first: what is subtracted below must include the user's latest examples.
      await foldPending(db, this.context.dialect);
      const mine = await db.selectFrom('model_stats').selectAll().where('user_id', '=', userId).where('scope', 'in', ['user', 'member']).execute();
      for (const row of mine) {
        const target = row.scope === 'user' ? { scope: 'global', guild_id: '' } : { scope: 'guild', guild_id: row.guild_id };
        await db
          .updateTable('model_stats')
          .set((eb) => Object.fromEntries(COUNTERS.map((c) => [c, eb(c, '-', row[c])])) as never)
          .where('scope', '=', target.scope)
          .where('guild_id', '=', target.guild_id)
          .where('user_id', '=', '')
          .where('genre', '=', row.genre)
          .where('teacher_id', '=', row.teacher_id)
          .execute();
      }
      const settings = await db.selectFrom('settings_stats').selectAll().where('user_id', '=', userId).where('scope', 'in', ['user', 'member']).execute();
      for (const row of settings) {
        const target = row.scope === 'user' ? { scope: 'global', guild_id: '' } : { scope: 'guild', guild_id: row.guild_id };
        await db
          .updateTable('settings_stats')
          .set((eb) => ({ wins: eb('wins', '-', row.wins), quality_sum: eb('quality_sum', '-', row.quality_sum) }))
          .where('scope', '=', target.scope)
          .where('guild_id', '=', target.guild_id)
          .where('user_id', '=', '')
          .where('genre', '=', row.genre)
          .where('teacher_id', '=', row.teacher_id)
          .where('settings_key', '=', row.settings_key)
          .execute();
      }
      // Rows left with nothing in them would show a teacher that no one asked.
      await db.deleteFrom('model_stats').where('calls', '<=', 0).where('wins', '<=', 0).where('stories', '<=', 0).where('skipped', '<=', 0).execute();
      await db.deleteFrom('settings_stats').where('wins', '<=', 0).execute();
      const removed = await db.deleteFrom('model_stats').where('user_id', '=', userId).executeTakeFirst();
      await db.deleteFrom('settings_stats').where('user_id', '=', userId).execute();
      const trainers = await db.deleteFrom('guild_trainers').where('user_id', '=', userId).executeTakeFirst();
      return Number(removed.numDeletedRows) + Number(trainers.numDeletedRows);
    });
  }
}
