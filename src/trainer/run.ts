/**
 * A training run: plans examples, asks every available teacher in parallel, lets the ensemble
 * vote, scores, persists each example as it finishes and emits progress events. It knows nothing
 * of Discord or the terminal; front ends render the events.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import type { Teacher, TeacherInfo } from '../teachers/types.ts';
import { askTeacher } from './askTeacher.ts';
import { TeacherAvailability } from './availability.ts';
import { drawSettings } from './paramGrid.ts';
import { createPromptPlanner, type PlannedExample } from './promptPlanner.ts';
import { createRandom } from './random.ts';
import { RunAccumulator } from './results.ts';
import { storySystemPrompt } from './systemPrompt.ts';
import { textQuality } from './scoring.ts';
import { buildJuryRequest, juryLabel, parseJuryRanking } from './jury.ts';
import { bordaTally, consensusVote, mbrVote, type Candidate, type VoteContext, type VoteResult } from './voting.ts';
import { validateRunOptions } from './options.ts';
import { runOutcome } from './outcome.ts';
import {
  FINE_TUNE_EVERY,
  FINE_TUNE_THRESHOLD,
  SAVE_THRESHOLD,
  type ExampleRecord,
  type JuryCount,
  type QualityScore,
  type RunOptions,
  type TeacherOutcome,
  type TrainerStore,
  type TrainingEvent,
  type TrainingResult,
} from './types.ts';

export interface TrainerDeps {
  /** Enabled teachers in roster order (roster order breaks ties). */
  teachers: Teacher[];
  store: TrainerStore;
  /** Examples generated at once; each asks every teacher in parallel. */
  concurrency?: number;
  now?: () => number;
  onEvent?: (event: TrainingEvent) => void;
  /** Logs problems the run survives (a store write that failed, a listener that threw). */
  onError?: (error: unknown, context: string) => void;
  runId?: string;
  /** Fine-tuning examples per fine-tune round, for the countdown in the result (default 50). */
  fineTuneEvery?: number;
  /** Which score decides the 7.0 / 8.0 thresholds (default `seed`, the specified final quality). */
  qualityScore?: QualityScore;
}

export interface TrainingHandle {
  runId: string;
  /** Resolves with the result when the run ends, cancelled or not; never rejects for teacher failures. */
  done: Promise<TrainingResult>;
  /** Stops starting examples, aborts calls in flight, keeps what is done. */
  cancel(): void;
}

export class NoTeachersError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoTeachersError';
  }
}

/** A ranking of up to six labels in JSON fits well within this budget. */
const JURY_SETTINGS = { temperature: 0, topP: 1, maxTokens: 200 };

/** Validates options and starts the run; throws a clear error for bad options or no teachers. */
export function startTraining(options: RunOptions, deps: TrainerDeps): TrainingHandle {
  const validated = validateRunOptions(options);
  if (deps.teachers.length === 0) throw new NoTeachersError('No teacher is enabled: configure at least one provider.');
  const runId = deps.runId ?? randomUUID();
  const controller = new AbortController();
  // Every call in flight (examples × teachers, plus queue waits) listens to the run's signal.
  setMaxListeners(Math.max(50, (deps.concurrency ?? 3) * deps.teachers.length * 4), controller.signal);
  const done = executeRun(runId, validated, deps, controller.signal);
  return { runId, done, cancel: () => controller.abort(new Error('run cancelled')) };
}

async function executeRun(runId: string, options: RunOptions, deps: TrainerDeps, signal: AbortSignal): Promise<TrainingResult> {
  const now = deps.now ?? Date.now;
  const emit = (event: TrainingEvent) => {
    try {
      deps.onEvent?.(event);
    } catch (err) {
      deps.onError?.(err, 'progress listener');
    }
  };
  const teacherInfos: TeacherInfo[] = deps.teachers.map(({ id, provider, model, defaults }) => ({ id, provider, model, defaults }));
  const startedAt = now();
  const seed = options.seed ?? randomUUID();
  const planner = createPromptPlanner({ genres: options.genres, random: createRandom(seed) });
  const accumulator = new RunAccumulator(teacherInfos, options.examples, startedAt);
  const availability = new TeacherAvailability();
  let fineTuneTotal = await deps.store.countFineTuneExamples(options.userId);

  await deps.store.startRun(runId, options, teacherInfos);
  emit({ type: 'started', runId, options, teachers: teacherInfos, startedAt });

  // A write the store refused stops the run (examples in flight end, nothing new starts): going on
  // would spend teacher calls on results that are not kept.
  const storeStop = new AbortController();
  const runSignal = AbortSignal.any([signal, storeStop.signal]);
  setMaxListeners(Math.max(50, (deps.concurrency ?? 3) * deps.teachers.length * 4), runSignal);
  const context: ExampleContext = { runId, options, deps, availability, accumulator, signal: runSignal, seed, emit };
  const queue = new PQueue({ concurrency: deps.concurrency ?? 3 });
  runSignal.addEventListener('abort', () => queue.clear(), { once: true });
  // Plans are drawn in index order before any call, so the same seed gives the same prompts
  // whatever order the examples finish in.
  const plans: PlannedExample[] = Array.from({ length: options.examples }, () => planner.next());
  let storeError: string | undefined;

  for (const [index, plan] of plans.entries()) {
    queue
      .add(async () => {
        if (runSignal.aborted) return;
        const record = await runExample(context, index, plan);
        if (!record) return; // cancelled mid-way: not counted, nothing half-written
        let storyId: string | undefined;
        try {
          const persisted = await deps.store.recordExample(record, storySystemPrompt(record.genre));
          storyId = persisted.storyId;
          fineTuneTotal = persisted.fineTuneTotal;
        } catch (err) {
          deps.onError?.(err, `saving example ${index} of run ${runId}`);
          if (storeError === undefined) {
            storeError = `Results could not be stored, so the run stopped: ${err instanceof Error ? err.message : String(err)}`;
            storeStop.abort(new Error(storeError));
          }
          return; // not stored: not counted as done
        }
        accumulator.addExample(record, storyId !== undefined);
        emit({ type: 'example', runId, example: { ...record, ...(storyId ? { storyId } : {}) }, totals: accumulator.totals(now()) });
      })
      .catch((err: unknown) => deps.onError?.(err, `example ${index} of run ${runId}`));
  }
  await queue.onIdle();

  const { status, error } = runOutcome({ cancelled: signal.aborted, storeError, done: accumulator.done, successful: accumulator.successfulCount });
  const result = accumulator.result({ runId, userId: options.userId, status, error, now: now(), fineTuneTotal, fineTuneEvery: deps.fineTuneEvery ?? FINE_TUNE_EVERY });
  try {
    await deps.store.finishRun(runId, status, result);
  } catch (err) {
    deps.onError?.(err, `finishing run ${runId}`);
  }
  emit({ type: 'finished', runId, result });
  return result;
}

interface ExampleContext {
  runId: string;
  options: RunOptions;
  deps: TrainerDeps;
  availability: TeacherAvailability;
  accumulator: RunAccumulator;
  signal: AbortSignal;
  seed: string;
  emit: (event: TrainingEvent) => void;
}

async function runExample(ctx: ExampleContext, index: number, plan: PlannedExample): Promise<ExampleRecord | undefined> {
  const { deps, availability, accumulator, signal } = ctx;
  // One generator per example: settings do not depend on which example finished first.
  const random = createRandom(`${ctx.seed}:${index}`);
  const system = storySystemPrompt(plan.genre);
  const teachers = deps.teachers.filter((t) => availability.isAvailable(t.id));

  const outcomes: TeacherOutcome[] = await Promise.all(
    teachers.map(async (teacher): Promise<TeacherOutcome> => {
      const settings = drawSettings(teacher.defaults, () => random.next());
      const { outcome, attempts } = await askTeacher(teacher, {
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: plan.text },
        ],
        settings,
        signal,
      });
      if (outcome.ok) {
        const { generation } = outcome;
        // A retried call counts both HTTP calls; the failed first one is a failure.
        if (attempts > 1) accumulator.recordCall(teacher.id, 0, false);
        accumulator.recordCall(teacher.id, generation.latencyMs, true, generation.usage);
        availability.recordSuccess(teacher.id);
        return {
          teacherId: teacher.id,
          ok: true,
          latencyMs: generation.latencyMs,
          settings: generation.settings,
          text: generation.text,
          textQuality: textQuality(generation.text),
          usage: generation.usage,
          finishReason: generation.finishReason,
        };
      }
      const { failure } = outcome;
      if (failure.kind !== 'cancelled') {
        for (let i = 0; i < attempts; i++) accumulator.recordCall(teacher.id, i === attempts - 1 ? failure.latencyMs : 0, false);
        const reason = availability.recordFailure(teacher.id, failure);
        if (reason) ctx.emit({ type: 'teacher-unavailable', runId: ctx.runId, teacherId: teacher.id, reason });
      }
      return {
        teacherId: teacher.id,
        ok: false,
        latencyMs: failure.latencyMs,
        settings,
        failure: { kind: failure.kind, message: failure.message, ...(failure.status ? { status: failure.status } : {}) },
      };
    }),
  );
  if (signal.aborted) return undefined;

  const base = {
    runId: ctx.runId,
    userId: ctx.options.userId,
    index,
    genre: plan.genre,
    promptId: plan.prompt.id,
    prompt: plan.text,
    style: plan.style.text,
    finishedAt: (deps.now ?? Date.now)(),
  };
  const candidates: Candidate[] = outcomes.filter((o) => o.ok && o.text).map((o) => ({ teacherId: o.teacherId, text: o.text as string }));
  if (candidates.length === 0) {
    const failureReasons = outcomes.map((o) => `${o.teacherId}: ${o.failure?.kind ?? 'skipped'} ${o.failure?.message ?? ''}`.trim());
    if (teachers.length === 0) failureReasons.push('every teacher is unavailable for this run');
    return { ...base, status: 'failed', outcomes, failureReasons, toFineTune: false, toMemory: false, saveStory: false };
  }

  // Relevance is judged against the prompt's subject, not the style instruction appended to it.
  const voteContext: VoteContext = { prompt: plan.prompt.text };
  let jury: JuryCount | undefined;
  let vote: VoteResult;
  if (ctx.options.voting === 'jury') ({ vote, jury } = await juryVote(ctx, plan.text, candidates, random, voteContext));
  else vote = ctx.options.voting === 'mbr' ? mbrVote(candidates, voteContext) : consensusVote(candidates, voteContext);
  if (signal.aborted) return undefined;
  for (const outcome of outcomes) {
    const story = vote.storyQuality[outcome.teacherId];
    if (story !== undefined) outcome.storyQuality = story;
  }
  for (const outcome of outcomes) {
    const ballot = vote.ballots[outcome.teacherId];
    if (ballot) outcome.votedFor = ballot;
  }
  const winnerOutcome = outcomes.find((o) => o.teacherId === vote.winner) as TeacherOutcome;
  const storyQuality = vote.storyQuality[vote.winner] as number;
  // The thresholds read the seed's final quality unless the operator chose the story score.
  const decisive = (deps.qualityScore ?? 'seed') === 'story' ? storyQuality : vote.finalQuality;
  return {
    ...base,
    status: 'ok',
    outcomes,
    winner: {
      teacherId: vote.winner,
      text: winnerOutcome.text as string,
      settings: winnerOutcome.settings,
      textQuality: vote.textQuality[vote.winner] as number,
      storyQuality,
      confidence: vote.confidence,
      finalQuality: vote.finalQuality,
      votes: vote.votes,
    },
    ...(jury ? { jury } : {}),
    toFineTune: decisive >= FINE_TUNE_THRESHOLD,
    toMemory: ctx.options.memory && decisive >= FINE_TUNE_THRESHOLD,
    saveStory: ctx.options.save && decisive >= SAVE_THRESHOLD,
  };
}

/**
 * Jury mode: each candidate's teacher ranks the others, anonymised and shuffled, in the structured
 * format of jury.ts; rankings are added up by Borda count. A ballot that cannot be read (or whose
 * call failed) is counted as unreadable; when none can be read, the consensus vote decides.
 */
async function juryVote(
  ctx: ExampleContext,
  prompt: string,
  candidates: Candidate[],
  random: { shuffle<T>(items: readonly T[]): T[] },
  context: VoteContext,
): Promise<{ vote: VoteResult; jury: JuryCount }> {
  const teachersById = new Map(ctx.deps.teachers.map((t) => [t.id, t]));
  const ballots = await Promise.all(
    candidates.map(async (voter): Promise<[string, string[] | undefined] | undefined> => {
      const others = random.shuffle(candidates.filter((c) => c.teacherId !== voter.teacherId));
      const teacher = teachersById.get(voter.teacherId);
      if (others.length === 0 || !teacher) return undefined;
      // Shuffled per juror so no story profits from always being shown first.
      const labelled = others.map((c, i) => ({ label: juryLabel(i), text: c.text, teacherId: c.teacherId }));
      const request = buildJuryRequest(prompt, labelled);
      const { outcome } = await askTeacher(teacher, { ...request, settings: JURY_SETTINGS, signal: ctx.signal });
      if (!outcome.ok) {
        if (outcome.failure.kind !== 'cancelled') ctx.accumulator.recordCall(teacher.id, outcome.failure.latencyMs, false);
        return [voter.teacherId, undefined];
      }
      ctx.accumulator.recordCall(teacher.id, outcome.generation.latencyMs, true, outcome.generation.usage);
      const ranking = parseJuryRanking(outcome.generation.text, labelled.map((l) => l.label));
      return [voter.teacherId, ranking?.map((label) => labelled.find((l) => l.label === label)?.teacherId as string)];
    }),
  );
  const asked = ballots.filter((b): b is [string, string[] | undefined] => b !== undefined);
  const readable = asked.filter(([, ranking]) => ranking !== undefined).length;
  const vote = bordaTally(candidates, Object.fromEntries(asked), context);
  return { vote, jury: { ballots: asked.length, unreadable: asked.length - readable, fallback: asked.length > 0 && readable === 0 } };
}
