import type { Genre } from './genres.ts';
import type { TeacherHistory, TeacherSelection } from './teacherChoice.ts';
import type { GenerationSettings, TeacherFailureKind, TeacherInfo, TokenUsage } from '../teachers/types.ts';

export type VotingMode = 'consensus' | 'mbr' | 'jury';

export const VOTING_MODES: readonly VotingMode[] = ['consensus', 'mbr', 'jury'];

/** The mode that picked best on the HANNA dev split (docs/scoring.md). */
export const DEFAULT_VOTING: VotingMode = 'consensus';

/**
 * Which score decides the 7.0 / 8.0 thresholds: `seed` (default) is the seed's final quality
 * (0.7 × text quality + 3 × confidence), exactly as specified; `story` is the winner's story score.
 */
export type QualityScore = 'seed' | 'story';

export const MIN_EXAMPLES = 1;
export const MAX_EXAMPLES = 1000;
/** A fine-tune round is due every this many fine-tuning examples of a user. */
export const FINE_TUNE_EVERY = 50;
/** Score (final quality, or story score with QUALITY_SCORE=story) at or above which an example joins the fine-tuning collection (and memory). */
export const FINE_TUNE_THRESHOLD = 7.0;
/** Score (as above) at or above which a story is saved to the user's library (when save is on). */
export const SAVE_THRESHOLD = 8.0;

/** The name users read for the score that decides the thresholds. */
export const QUALITY_SCORE_LABEL: Record<QualityScore, string> = { seed: 'final quality', story: 'story score' };

/**
 * A threshold as users read it ("final quality ≥ 7.0", "story score ≥ 8.0"): every text that states
 * one names the score QUALITY_SCORE makes decide, never a fixed one.
 */
export function thresholdText(score: QualityScore, threshold: number): string {
  return `${QUALITY_SCORE_LABEL[score]} ≥ ${threshold.toFixed(1)}`;
}

export interface RunOptions {
  userId: string;
  guildId?: string;
  examples: number;
  /** Empty = balanced random over all 25 genres. */
  genres: Genre[];
  save: boolean;
  memory: boolean;
  voting: VotingMode;
  /** Same seed and same teacher replies give the same prompts and winners. */
  seed?: string;
  /** `auto`: after a warm-up, a bandit chooses per genre which teachers to ask (default `all`). */
  teachers?: TeacherSelection;
}

/** One teacher's part in one example. */
export interface TeacherOutcome {
  teacherId: string;
  ok: boolean;
  latencyMs: number;
  settings: GenerationSettings;
  /** Present when ok. Kept for every candidate so losing candidates can feed preference pairs. */
  text?: string;
  textQuality?: number;
  /** Story score (storyScore.ts), present when ok. */
  storyQuality?: number;
  usage?: TokenUsage;
  finishReason?: string;
  failure?: { kind: TeacherFailureKind; message: string; status?: number };
  /** Whom this teacher voted for (consensus or jury), if it voted. */
  votedFor?: string;
  /** Not asked at all (e.g. no quota left): counted as skipped, never as a call or a failure. */
  skipped?: boolean;
}

export interface ExampleWinner {
  teacherId: string;
  text: string;
  settings: GenerationSettings;
  textQuality: number;
  /** Story score of the winner (0–10, storyScore.ts), reported beside the seed's qualities. */
  storyQuality: number;
  confidence: number;
  finalQuality: number;
  votes: Record<string, number>;
}

/** How a jury example went: ballots asked for, those that could not be read, and whether consensus decided. */
export interface JuryCount {
  /** Jurors asked (teachers with a candidate and at least one other story to judge). */
  ballots: number;
  /** Ballots that could not be counted: an unreadable answer or a failed call. */
  unreadable: number;
  /** No ballot could be read, so the consensus vote picked the winner. */
  fallback: boolean;
}

export interface ExampleRecord {
  runId: string;
  userId: string;
  /** 0-based position in the run. */
  index: number;
  genre: Genre;
  promptId: string;
  prompt: string;
  style: string;
  status: 'ok' | 'failed';
  winner?: ExampleWinner;
  outcomes: TeacherOutcome[];
  /** Jury voting only. */
  jury?: JuryCount;
  /** Why the example failed (one line per teacher) when status is failed. */
  failureReasons?: string[];
  /** Teachers not asked because they could not start in time (lack of quota): skipped, not failed. */
  skipped?: string[];
  toFineTune: boolean;
  toMemory: boolean;
  saveStory: boolean;
  finishedAt: number;
  /** Set on progress events once the store saved the story. */
  storyId?: string;
  /** Every call the example made (generations, retries, jury ballots), per teacher: kept, so a resumed run's result counts them. */
  calls?: TeacherCalls[];
}

/** One teacher's HTTP calls within one example, summed. */
export interface TeacherCalls {
  teacherId: string;
  calls: number;
  failures: number;
  /** Sum over the calls. */
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
}

/**
 * An example an earlier attempt of a run finished, as the store keeps it: enough to count it in
 * the resumed run's totals and result as if this attempt had made it — winner and its settings,
 * calls and tokens per teacher, skipped teachers, jury ballots.
 */
export interface FinishedExample {
  index: number;
  genre: Genre;
  status: 'ok' | 'failed';
  /** `settings` may be missing from an older store: such a win counts, but not for best parameters. */
  winner?: Pick<ExampleWinner, 'teacherId' | 'finalQuality' | 'confidence' | 'storyQuality'> & { settings?: ExampleWinner['settings'] };
  storySaved: boolean;
  toFineTune: boolean;
  outcomes: { teacherId: string; ok: boolean; latencyMs: number; textQuality?: number; failure?: TeacherOutcome['failure'] }[];
  jury?: ExampleRecord['jury'];
  /** Missing from an example an older Zega stored: then each outcome counts as one call, without tokens. */
  calls?: TeacherCalls[];
  /** Teachers the example did not ask for lack of quota. */
  skipped?: string[];
}

/** What the store reports back after persisting one example. */
export interface ExamplePersisted {
  storyId?: string;
  /** The user's fine-tuning examples after this one, all runs together. */
  fineTuneTotal: number;
}

/** What the trainer needs from storage; `src/storage` implements it over keyv. */
export interface TrainerStore {
  startRun(runId: string, options: RunOptions, teachers: TeacherInfo[]): Promise<void>;
  /** Called as each example finishes, so a crash keeps everything done so far. */
  recordExample(record: ExampleRecord, system: string): Promise<ExamplePersisted>;
  finishRun(runId: string, status: RunStatus, result: TrainingResult): Promise<void>;
  countFineTuneExamples(userId: string): Promise<number>;
  /** Earlier runs' examples and wins per teacher and genre, for `--teachers auto` (absent: it learns in the run only). */
  teacherHistory?(): Promise<TeacherHistory[]>;
}

export type RunStatus = 'queued' | 'running' | 'done' | 'cancelled' | 'interrupted' | 'failed';

export interface ModelPerformance {
  wins: number;
  /** Average final quality of this teacher's wins (0 when it never won). */
  average_quality: number;
  /** Average story score of this teacher's wins (0 when it never won). */
  average_story_quality?: number;
  calls: number;
  failures: number;
  average_latency_ms: number;
  /** Examples this teacher was not asked in for lack of quota. */
  skipped?: number;
  /** Examples it took part in (asked); its win rate is wins ÷ this. */
  examples?: number;
  /** Why it is out of the run at the end, if it is. */
  out?: string;
}

/** A teacher taken out of a run by its breaker, or back after a probe. */
export interface TeacherChange {
  teacherId: string;
  change: 'out' | 'back';
  reason?: string;
  /** Milliseconds since the run started. */
  atMs: number;
}

export interface BestParams {
  best_model: string;
  ensemble_confidence: number;
  model_scores: Record<string, number>;
  generation_params: { temperature: number; top_p: number; max_tokens: number };
  /** How many wins the choice rests on. */
  samples: number;
}

export interface TrainingStats {
  duration_ms: number;
  calls: number;
  tokens: { input: number; output: number };
  fine_tune_examples_collected: number;
  fine_tune_examples_total: number;
  until_next_fine_tune: number;
  fine_tune_every: number;
  /** `auto` runs: teacher calls the bandit did not make (against asking every teacher). */
  calls_saved?: number;
  /** Who went out of the run and why, and who came back, in order. */
  teacher_changes?: TeacherChange[];
}

/** The product's response shape (snake_case on purpose: it is the documented wire shape). */
export interface TrainingResult {
  run_id: string;
  user_id: string;
  status: RunStatus;
  /** Why the run failed (status `failed`), in words a user can act on. */
  error?: string;
  /** Each teacher that failed at least once: its latest failure (the message names the URL when unreachable). */
  failure_reasons?: Record<string, { kind: TeacherFailureKind; message: string }>;
  requested: number;
  successful: number;
  failed: number;
  stories_saved: number;
  model_performance: Record<string, ModelPerformance>;
  average_quality: number;
  /** Average story score of the winners (0–10). */
  average_story_quality: number;
  /** Jury runs: ballots over the run, how many could not be read, examples decided by consensus instead. */
  jury?: { ballots: number; unreadable: number; fallback_examples: number };
  genre_distribution: Partial<Record<Genre, number>>;
  training_stats: TrainingStats;
  best_params: {
    per_teacher: Record<string, BestParams>;
    per_genre: Partial<Record<Genre, BestParams>>;
  };
}

/** Running totals after each example, for progress displays. */
export interface RunTotals {
  done: number;
  total: number;
  successful: number;
  failed: number;
  storiesSaved: number;
  averageQuality: number;
  /** Average story score of the winners so far. */
  averageStoryQuality?: number;
  /** Jury runs: ballots so far and how many could not be read. */
  jury?: { ballots: number; unreadable: number; fallbacks: number };
  leadingTeacher?: { teacherId: string; wins: number };
  genreCounts: Partial<Record<Genre, number>>;
  elapsedMs: number;
  etaMs?: number;
}

export type TrainingEvent =
  /** `resumedAt`: examples an earlier attempt of this run had finished (it continues from there). */
  | { type: 'started'; runId: string; options: RunOptions; teachers: TeacherInfo[]; startedAt: number; resumedAt?: number }
  | { type: 'example'; runId: string; example: ExampleRecord; totals: RunTotals }
  | { type: 'teacher-unavailable'; runId: string; teacherId: string; reason: string; retryAt?: number }
  | { type: 'teacher-back'; runId: string; teacherId: string; afterMs: number }
  | { type: 'finished'; runId: string; result: TrainingResult };
