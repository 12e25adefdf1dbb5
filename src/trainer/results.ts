/**
 * Folds finished examples into running totals (for progress displays) and into the product's
 * result shape. Pure bookkeeping: no I/O, so every front end and every test sees the same sums.
 */
import type { Genre } from './genres.ts';
import { settingsKey } from './paramGrid.ts';
import type { GenerationSettings, TeacherFailureKind, TeacherInfo } from '../teachers/types.ts';
import {
  type BestParams,
  type ExampleRecord,
  type FinishedExample,
  type ModelPerformance,
  type RunStatus,
  type RunTotals,
  type TeacherCalls,
  type TeacherChange,
  type TrainingResult,
} from './types.ts';

interface TeacherTally {
  wins: number;
  winQualitySum: number;
  winStoryQualitySum: number;
  calls: number;
  failures: number;
  latencySum: number;
  latencyCount: number;
  skipped: number;
  examples: number;
}

interface WinSample {
  teacherId: string;
  genre: Genre;
  settings: GenerationSettings;
  finalQuality: number;
  confidence: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

export class RunAccumulator {
  private readonly tallies = new Map<string, TeacherTally>();
  private readonly wins: WinSample[] = [];
  /** Text quality of every candidate, by genre and teacher, for per-genre model scores. */
  private readonly candidateQuality = new Map<Genre, Map<string, number[]>>();
  private readonly genreCounts: Partial<Record<Genre, number>> = {};
  private qualitySum = 0;
  private storyQualitySum = 0;
  private jury: { ballots: number; unreadable: number; fallbacks: number } | undefined;
  private successful = 0;
  private failed = 0;
  private storiesSaved = 0;
  private fineTuneCollected = 0;
  private tokensIn = 0;
  private tokensOut = 0;
  /** Examples finished by an earlier attempt of the run: they do not count in this attempt's speed. */
  private resumed = 0;
  /** Each teacher's latest failure (kind and message), so a failed run says why per teacher. */
  private readonly lastFailure = new Map<string, { kind: TeacherFailureKind; message: string }>();
  private readonly changes: TeacherChange[] = [];

  constructor(
    private readonly teachers: TeacherInfo[],
    private readonly total: number,
    private readonly startedAt: number,
  ) {
    for (const t of teachers) this.tallies.set(t.id, { wins: 0, winQualitySum: 0, winStoryQualitySum: 0, calls: 0, failures: 0, latencySum: 0, latencyCount: 0, skipped: 0, examples: 0 });
  }

  private tally(teacherId: string): TeacherTally {
    let t = this.tallies.get(teacherId);
    if (!t) {
      t = { wins: 0, winQualitySum: 0, winStoryQualitySum: 0, calls: 0, failures: 0, latencySum: 0, latencyCount: 0, skipped: 0, examples: 0 };
      this.tallies.set(teacherId, t);
    }
    return t;
  }

  /** Counts one HTTP call (generation, retry or jury ballot). */
  recordCall(teacherId: string, latencyMs: number, ok: boolean, tokens?: { inputTokens: number; outputTokens: number }): void {
    const t = this.tally(teacherId);
    t.calls += 1;
    if (!ok) t.failures += 1;
    t.latencySum += latencyMs;
    t.latencyCount += 1;
    if (tokens) {
      this.tokensIn += tokens.inputTokens;
      this.tokensOut += tokens.outputTokens;
    }
  }

  /** A teacher's calls of one example, summed (an example an earlier attempt finished). */
  private recordCalls(calls: TeacherCalls): void {
    const t = this.tally(calls.teacherId);
    t.calls += calls.calls;
    t.failures += calls.failures;
    t.latencySum += calls.latencyMs;
    t.latencyCount += calls.calls;
    this.tokensIn += calls.inputTokens;
    this.tokensOut += calls.outputTokens;
  }

  /** One example did not ask this teacher for lack of quota. */
  recordSkip(teacherId: string): void {
    this.tally(teacherId).skipped += 1;
  }

  recordChange(change: TeacherChange): void {
    this.changes.push(change);
  }

  addExample(example: ExampleRecord, storySaved: boolean): void {
    this.fold({ ...example, storySaved });
  }

  /** Counts an example an earlier attempt of the run finished, its calls and tokens included. */
  addFinished(example: FinishedExample): void {
    if (example.calls) for (const calls of example.calls) this.recordCalls(calls);
    // Stored by an older Zega, without its calls: one per teacher outcome, tokens unknown.
    else for (const o of example.outcomes) this.recordCall(o.teacherId, o.latencyMs, o.ok);
    for (const teacherId of example.skipped ?? []) this.recordSkip(teacherId);
    this.resumed += 1;
    this.fold(example);
  }

  private fold(example: Omit<FinishedExample, 'index'>): void {
    this.genreCounts[example.genre] = (this.genreCounts[example.genre] ?? 0) + 1;
    for (const outcome of example.outcomes) {
      // A cancelled call says nothing about the teacher.
      if (outcome.failure && outcome.failure.kind !== 'cancelled') this.lastFailure.set(outcome.teacherId, { kind: outcome.failure.kind, message: outcome.failure.message });
      if (outcome.failure?.kind !== 'cancelled') this.tally(outcome.teacherId).examples += 1;
    }
    if (example.jury) {
      const jury = (this.jury ??= { ballots: 0, unreadable: 0, fallbacks: 0 });
      jury.ballots += example.jury.ballots;
      jury.unreadable += example.jury.unreadable;
      if (example.jury.fallback) jury.fallbacks += 1;
    }
    const { winner } = example;
    if (example.status === 'failed' || !winner) {
      this.failed += 1;
      return;
    }
    this.successful += 1;
    this.qualitySum += winner.finalQuality;
    this.storyQualitySum += winner.storyQuality;
    if (example.storySaved) this.storiesSaved += 1;
    if (example.toFineTune) this.fineTuneCollected += 1;
    const t = this.tally(winner.teacherId);
    t.wins += 1;
    t.winQualitySum += winner.finalQuality;
    t.winStoryQualitySum += winner.storyQuality;
    if (winner.settings) this.wins.push({ teacherId: winner.teacherId, genre: example.genre, settings: winner.settings, finalQuality: winner.finalQuality, confidence: winner.confidence });
    const byTeacher = this.candidateQuality.get(example.genre) ?? new Map<string, number[]>();
    for (const outcome of example.outcomes) {
      if (outcome.textQuality === undefined) continue;
      const list = byTeacher.get(outcome.teacherId) ?? [];
      list.push(outcome.textQuality);
      byTeacher.set(outcome.teacherId, list);
    }
    this.candidateQuality.set(example.genre, byTeacher);
  }

  get done(): number {
    return this.successful + this.failed;
  }

  get successfulCount(): number {
    return this.successful;
  }

  totals(now: number): RunTotals {
    const elapsedMs = now - this.startedAt;
    const done = this.done;
    let leading: RunTotals['leadingTeacher'];
    for (const [teacherId, t] of this.tallies) {
      if (t.wins > 0 && (!leading || t.wins > leading.wins)) leading = { teacherId, wins: t.wins };
    }
    return {
      done,
      total: this.total,
      successful: this.successful,
      failed: this.failed,
      storiesSaved: this.storiesSaved,
      averageQuality: this.successful === 0 ? 0 : round2(this.qualitySum / this.successful),
      averageStoryQuality: this.successful === 0 ? 0 : round2(this.storyQualitySum / this.successful),
      ...(this.jury ? { jury: { ...this.jury } } : {}),
      leadingTeacher: leading,
      genreCounts: { ...this.genreCounts },
      elapsedMs,
      etaMs: done - this.resumed <= 0 ? undefined : Math.round((elapsedMs / (done - this.resumed)) * (this.total - done)),
    };
  }

  private bestParams(samples: WinSample[], teacherId: string, modelScores: Record<string, number>): BestParams {
    const groups = new Map<string, WinSample[]>();
    for (const s of samples) {
      const key = settingsKey(s.settings);
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    // Highest average final quality; more samples break ties, so one lucky win does not beat a steady record.
    const [best] = [...groups.values()].sort(
      (a, b) => mean(b.map((s) => s.finalQuality)) - mean(a.map((s) => s.finalQuality)) || b.length - a.length,
    );
    const settings = best?.[0]?.settings;
    return {
      best_model: teacherId,
      ensemble_confidence: round2(mean(samples.map((s) => s.confidence))),
      model_scores: modelScores,
      generation_params: settings
        ? { temperature: settings.temperature, top_p: settings.topP, max_tokens: settings.maxTokens }
        : { temperature: 0, top_p: 0, max_tokens: 0 },
      samples: best?.length ?? 0,
    };
  }

  result(args: {
    runId: string;
    userId: string;
    status: RunStatus;
    error?: string;
    now: number;
    fineTuneTotal: number;
    fineTuneEvery: number;
    /** Teachers out of the run at its end, with why. */
    out?: ReadonlyMap<string, string>;
    callsSaved?: number;
  }): TrainingResult {
    const model_performance: Record<string, ModelPerformance> = {};
    for (const teacher of this.teachers) {
      const t = this.tally(teacher.id);
      model_performance[teacher.id] = {
        wins: t.wins,
        average_quality: t.wins === 0 ? 0 : round2(t.winQualitySum / t.wins),
        average_story_quality: t.wins === 0 ? 0 : round2(t.winStoryQualitySum / t.wins),
        calls: t.calls,
        failures: t.failures,
        average_latency_ms: t.latencyCount === 0 ? 0 : Math.round(t.latencySum / t.latencyCount),
        skipped: t.skipped,
        examples: t.examples,
        ...(args.out?.has(teacher.id) ? { out: args.out.get(teacher.id) } : {}),
      };
    }

    const per_teacher: Record<string, BestParams> = {};
    for (const teacher of this.teachers) {
      const samples = this.wins.filter((w) => w.teacherId === teacher.id);
      if (samples.length === 0) continue;
      per_teacher[teacher.id] = this.bestParams(samples, teacher.id, { [teacher.id]: model_performance[teacher.id]?.average_quality ?? 0 });
    }

    const per_genre: Partial<Record<Genre, BestParams>> = {};
    for (const genre of Object.keys(this.genreCounts) as Genre[]) {
      const genreWins = this.wins.filter((w) => w.genre === genre);
      if (genreWins.length === 0) continue;
      const winCounts = new Map<string, WinSample[]>();
      for (const w of genreWins) winCounts.set(w.teacherId, [...(winCounts.get(w.teacherId) ?? []), w]);
      const rosterOrder = (id: string) => this.teachers.findIndex((t) => t.id === id);
      const [bestTeacher, bestSamples] = [...winCounts.entries()].sort(
        ([idA, a], [idB, b]) =>
          b.length - a.length || mean(b.map((s) => s.finalQuality)) - mean(a.map((s) => s.finalQuality)) || rosterOrder(idA) - rosterOrder(idB),
      )[0] as [string, WinSample[]];
      const scores: Record<string, number> = {};
      for (const [teacherId, qualities] of this.candidateQuality.get(genre) ?? []) scores[teacherId] = round2(mean(qualities));
      per_genre[genre] = this.bestParams(bestSamples, bestTeacher, scores);
    }

    const untilNext = args.fineTuneEvery - (args.fineTuneTotal % args.fineTuneEvery);
    return {
      run_id: args.runId,
      user_id: args.userId,
      status: args.status,
      ...(args.error ? { error: args.error } : {}),
      ...(this.lastFailure.size > 0 ? { failure_reasons: Object.fromEntries(this.lastFailure) } : {}),
      requested: this.total,
      successful: this.successful,
      failed: this.failed,
      stories_saved: this.storiesSaved,
      model_performance,
      average_quality: this.successful === 0 ? 0 : round2(this.qualitySum / this.successful),
      average_story_quality: this.successful === 0 ? 0 : round2(this.storyQualitySum / this.successful),
      ...(this.jury ? { jury: { ballots: this.jury.ballots, unreadable: this.jury.unreadable, fallback_examples: this.jury.fallbacks } } : {}),
      genre_distribution: { ...this.genreCounts },
      training_stats: {
        duration_ms: args.now - this.startedAt,
        calls: [...this.tallies.values()].reduce((sum, t) => sum + t.calls, 0),
        tokens: { input: this.tokensIn, output: this.tokensOut },
        fine_tune_examples_collected: this.fineTuneCollected,
        fine_tune_examples_total: args.fineTuneTotal,
        until_next_fine_tune: untilNext,
        fine_tune_every: args.fineTuneEvery,
        ...(args.callsSaved !== undefined ? { calls_saved: args.callsSaved } : {}),
        ...(this.changes.length > 0 ? { teacher_changes: [...this.changes] } : {}),
      },
      best_params: { per_teacher, per_genre },
    };
  }
}

/**
 * The calls of one example, per teacher, as they are counted into the run: stored with the
 * example, so a resumed run's result still counts them.
 */
export class ExampleCallTally {
  private readonly byTeacher = new Map<string, TeacherCalls>();

  constructor(private readonly run: RunAccumulator) {}

  record(teacherId: string, latencyMs: number, ok: boolean, tokens?: { inputTokens: number; outputTokens: number }): void {
    this.run.recordCall(teacherId, latencyMs, ok, tokens);
    let t = this.byTeacher.get(teacherId);
    if (!t) {
      t = { teacherId, calls: 0, failures: 0, latencyMs: 0, inputTokens: 0, outputTokens: 0 };
      this.byTeacher.set(teacherId, t);
    }
    t.calls += 1;
    if (!ok) t.failures += 1;
    t.latencyMs += latencyMs;
    if (tokens) {
      t.inputTokens += tokens.inputTokens;
      t.outputTokens += tokens.outputTokens;
    }
  }

  /** The calls so far (a call the vote did not wait for may still end after the example is stored). */
  list(): TeacherCalls[] {
    return [...this.byTeacher.values()].map((t) => ({ ...t, latencyMs: Math.round(t.latencyMs) }));
  }
}
