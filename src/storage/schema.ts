/**
 * The tables, as Kysely sees them. One definition for both dialects: booleans are 0/1 integers,
 * times are milliseconds since the epoch (BIGINT on PostgreSQL, read back as numbers), JSON is
 * text validated with zod when read. `migrations.ts` creates exactly these columns.
 */
import type { ColumnType, Generated } from 'kysely';

/** A 0/1 flag (SQLite has no boolean type). */
export type Flag = number;

export interface StoriesTable {
  id: string;
  user_id: string;
  guild_id: string | null;
  title: string;
  genre: string;
  prompt: string;
  style: string;
  text: string;
  /** First 160 characters of the text on one line, and its word count: lists never read bodies. */
  excerpt: string;
  words: number;
  final_quality: number;
  text_quality: number;
  /** Human-aligned quality 0–10 (judgement); null until judged. */
  story_quality: number | null;
  confidence: number;
  teacher_id: string;
  temperature: number;
  top_p: number;
  max_tokens: number;
  run_id: string;
  example_index: number | null;
  auto_generated: Flag;
  edited: Flag;
  created_at: number;
  updated_at: number;
}

export interface RunsTable {
  id: string;
  user_id: string;
  guild_id: string | null;
  status: string;
  /** The plan (RunOptions as JSON: seed, genres, example count, voting, save, memory). */
  plan: string;
  /** The teacher roster as JSON (TeacherInfo[]). */
  teachers: string;
  examples: number;
  seed: string | null;
  voting: string;
  done: number;
  successful: number;
  failed: number;
  stories_saved: number;
  fine_tune_added: number;
  memory_added: number;
  quality_sum: number;
  result: string | null;
  message: string | null;
  error: string | null;
  /** The process running it and when it last said so (stale ⇒ interrupted). */
  owner: string | null;
  heartbeat_at: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

export interface RunExamplesTable {
  run_id: string;
  idx: number;
  user_id: string;
  genre: string;
  prompt_id: string;
  status: string;
  winner_teacher_id: string | null;
  final_quality: number | null;
  text_quality: number | null;
  story_quality: number | null;
  confidence: number | null;
  story_id: string | null;
  fine_tune: Flag;
  memory: Flag;
  /** Per candidate as JSON: id, ok, ms, tq, sq, fail, skipped. */
  candidates: string;
  reasons: string | null;
  finished_at: number;
  /**
   * JSON (schema version 3): what the example adds to its run's result beyond its row — the
   * winner's settings (`settings`), calls and tokens per teacher (`calls`), jury ballots (`jury`).
   * Null for examples stored before.
   */
  tally: string | null;
}

/** A teacher's counters: what `model_stats` keeps per scope and genre, and each pending row adds. */
export interface TeacherCounters {
  wins: number;
  quality_sum: number;
  /** Sum and count of judged (story_quality) wins. */
  story_quality_sum: number;
  story_quality_count: number;
  calls: number;
  failures: number;
  /** Times the teacher was not asked (no quota left). */
  skipped: number;
  latency_sum: number;
  stories: number;
}

export interface ModelStatsTable extends TeacherCounters {
  /** global | guild | user | member (one user within one guild: what forgetting subtracts). */
  scope: string;
  guild_id: string;
  user_id: string;
  /** Per genre only: figures over all genres are sums. */
  genre: string;
  teacher_id: string;
}

export interface SettingsStatsTable {
  scope: string;
  guild_id: string;
  user_id: string;
  genre: string;
  teacher_id: string;
  settings_key: string;
  temperature: number;
  top_p: number;
  max_tokens: number;
  wins: number;
  quality_sum: number;
}

/**
 * Statistics not yet added to `model_stats` / `settings_stats`: one row per teacher per example
 * (and per story saved or deleted), appended in the example's transaction and folded into the
 * counter tables every few hundred examples. Reads add these rows to the counters, so a figure is
 * exact at any moment. Scopes are implied: a row counts globally, for its user, and (guild_id not
 * '') for its guild and its member.
 */
export interface StatsPendingTable extends TeacherCounters {
  id: Generated<number>;
  user_id: string;
  /** '' outside a guild. */
  guild_id: string;
  genre: string;
  teacher_id: string;
  /** The winner's settings (its win counts for them in `settings_stats`); null on every other row. */
  settings_key: string | null;
  temperature: number | null;
  top_p: number | null;
  max_tokens: number | null;
}

export interface GuildTrainersTable {
  guild_id: string;
  user_id: string;
  examples: number;
  successful: number;
  quality_sum: number;
  stories: number;
  last_at: number;
}

export interface FineTuneExamplesTable {
  id: Generated<number>;
  user_id: string;
  run_id: string;
  idx: number;
  story_id: string | null;
  system: string;
  prompt: string;
  story: string;
  quality: number;
  text_quality: number;
  story_quality: number | null;
  genre: string;
  teacher_id: string;
  temperature: number;
  top_p: number;
  max_tokens: number;
  created_at: number;
}

export interface FineTuneCandidatesTable {
  example_id: number;
  rank: number;
  teacher_id: string;
  text: string;
  text_quality: number;
  story_quality: number | null;
}

export interface FineTuneRoundsTable {
  user_id: string;
  round: number;
  /** The round record as JSON (dataset figures, best parameters, build). */
  data: string;
  model: string | null;
  created_at: number;
}

export interface MemoryTable {
  id: Generated<number>;
  user_id: string;
  run_id: string;
  story_id: string | null;
  genre: string;
  prompt: string;
  text: string;
  quality: number;
  teacher_id: string;
  created_at: number;
}

export interface UnreadableRowsTable {
  id: Generated<number>;
  source: string;
  key: string;
  reason: string;
  raw: string | null;
  at: number;
}

/** Each teacher's rate window of the process that calls it (embedded mode), kept across restarts. */
export interface RateWindowsTable {
  teacher_id: string;
  /** JSON: the limiter's state (calls started in the window, schedule, pause, learned limit). */
  state: string;
  /** Unix ms after which the row says nothing any more. */
  expires_at: number;
}

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: ColumnType<number, number, never>;
}

export interface Database {
  stories: StoriesTable;
  runs: RunsTable;
  run_examples: RunExamplesTable;
  model_stats: ModelStatsTable;
  settings_stats: SettingsStatsTable;
  stats_pending: StatsPendingTable;
  guild_trainers: GuildTrainersTable;
  fine_tune_examples: FineTuneExamplesTable;
  fine_tune_candidates: FineTuneCandidatesTable;
  fine_tune_rounds: FineTuneRoundsTable;
  memory: MemoryTable;
  unreadable_rows: UnreadableRowsTable;
  rate_windows: RateWindowsTable;
  zega_migrations: MigrationsTable;
}
