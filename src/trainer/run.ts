/**
 * A training run: plans examples, asks every available teacher in parallel, lets the ensemble
 * vote, scores, persists each example as it finishes and emits progress events. It knows nothing
 * of Discord or the terminal; front ends render the events.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { GenerationSettings, Teacher, TeacherInfo } from '../teachers/types.ts';
import { systemClock, type Clock } from '../teachers/limits/clock.ts';
import { TeacherBreaker, type BreakerChange } from '../teachers/limits/breaker.ts';
import { askTeacher } from './askTeacher.ts';
import { admit, DEFAULT_MIN_CANDIDATES, DEFAULT_SLOT_WAIT_MS, type Admission, type AdmissionSettings } from './admission.ts';
import { TeacherChooser } from './teacherChoice.ts';
import { VoteClosing } from './voteClosing.ts';
import { drawSettings } from './paramGrid.ts';
import { createPromptPlanner, type PlannedExample } from './promptPlanner.ts';
import { createRandom } from './random.ts';
import { ExampleCallTally, RunAccumulator } from './results.ts';
import { storySystemPrompt } from './systemPrompt.ts';
import { textQuality, tokenizeWords } from './scoring.ts';
import { buildJuryRequest, juryLabel, parseJuryRanking } from './jury.ts';
import { bordaTally, consensusVote, mbrVote, type Candidate, type VoteContext, type VoteResult } from './voting.ts';
import { validateRunOptions } from './options.ts';
import { runOutcome } from './outcome.ts';
import {
  FINE_TUNE_EVERY,
  FINE_TUNE_THRESHOLD,
  SAVE_THRESHOLD,
  type ExampleRecord,
  type FinishedExample,
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
  /** Examples generated at once; each asks every admitted teacher in parallel. */
  concurrency?: number;
  /** An example asks every teacher that can start within this many ms (default 2,000). */
  slotWaitMs?: number;
  /** An example waits until at least this many teachers can be asked (default 3). */
  minCandidates?: number;
  /** Cool-down of a teacher's breaker before its half-open probe (default 30 s). */
  breakerCoolDownMs?: number;
  /** Time source of the scheduler (admission waits, breakers, vote closing); real time by default. */
  clock?: Clock;
  now?: () => number;
  onEvent?: (event: TrainingEvent) => void;
  /** Logs problems the run survives (a store write that failed, a listener that threw). */
  onError?: (error: unknown, context: string) => void;
  runId?: string;
  /** Fine-tuning examples per fine-tune round, for the countdown in the result (default 50). */
  fineTuneEvery?: number;
  /** Which score decides the 7.0 / 8.0 thresholds (default `seed`, the specified final quality). */
  qualityScore?: QualityScore;
  /**
   * Examples an earlier attempt of this run (same runId, same seed) already finished: they are
   * not asked again, and they count in the totals and the result as if this attempt had made them.
   */
  resume?: { finished: readonly FinishedExample[] };
}

export interface TrainingHandle {
  runId: string;
  /** Resolves with the result when the run ends, cancelled or not; never rejects for teacher failures. */
  done: Promise<TrainingResult>;
  /** Stops starting examples, aborts calls in flight, keeps what is done (status `cancelled`). */
  cancel(): void;
  /**
   * Shutdown: starts no more examples, lets those in flight finish for up to `graceMs`, then
   * aborts the rest; the run ends `interrupted` (resumable), unless it had nothing left to do.
   */
  interrupt(graceMs: number): void;
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
  setMaxListeners(0, controller.signal);
  // Drawn here, not inside the run, so the plan stored with the run carries it and a resumed run
  // draws the very same prompts.
  const planned: RunOptions = { ...validated, seed: validated.seed ?? randomUUID() };
  const stopping: StopState = { interrupted: false };
  let graceTimer: NodeJS.Timeout | undefined;
  const done = executeRun(runId, planned, deps, controller.signal, stopping).finally(() => clearTimeout(graceTimer));
  return {
    runId,
    done,
    cancel: () => controller.abort(new Error('run cancelled')),
    interrupt: (graceMs) => {
      if (stopping.interrupted || controller.signal.aborted) return;
      stopping.interrupted = true;
      graceTimer = setTimeout(() => controller.abort(new Error('run interrupted: shutdown grace period over')), graceMs);
    },
  };
}

interface StopState {
  /** Shutdown: no example starts any more (those in flight finish). */
  interrupted: boolean;
}

async function executeRun(runId: string, options: RunOptions, deps: TrainerDeps, signal: AbortSignal, stopping: StopState): Promise<TrainingResult> {
  const clock = deps.clock ?? systemClock;
  const now = deps.now ?? (() => clock.now());
  const emit = (event: TrainingEvent) => {
    try {
      deps.onEvent?.(event);
    } catch (err) {
      deps.onError?.(err, 'progress listener');
    }
  };
  const teacherInfos: TeacherInfo[] = deps.teachers.map(({ id, provider, model, defaults }) => ({ id, provider, model, defaults }));
  const startedAt = now();
  const seed = options.seed as string;
  const planner = createPromptPlanner({ genres: options.genres, random: createRandom(seed) });
  const accumulator = new RunAccumulator(teacherInfos, options.examples, startedAt);
  const breakers = new Map(deps.teachers.map((t) => [t.id, new TeacherBreaker({ clock, ...(deps.breakerCoolDownMs ? { coolDownMs: deps.breakerCoolDownMs } : {}) })]));
  const admission: AdmissionSettings = { slotWaitMs: deps.slotWaitMs ?? DEFAULT_SLOT_WAIT_MS, minCandidates: deps.minCandidates ?? DEFAULT_MIN_CANDIDATES };
  const chooser = options.teachers === 'auto' ? new TeacherChooser({ pick: admission.minCandidates }) : undefined;
  if (chooser && deps.store.teacherHistory) chooser.seed(await deps.store.teacherHistory(), deps.teachers.map((t) => t.id));
  let fineTuneTotal = await deps.store.countFineTuneExamples(options.userId);

  const finished = new Set<number>();
  for (const prior of deps.resume?.finished ?? []) {
    if (prior.index < 0 || prior.index >= options.examples || finished.has(prior.index)) continue;
    finished.add(prior.index);
    accumulator.addFinished(prior);
  }

  await deps.store.startRun(runId, options, teacherInfos);
  emit({ type: 'started', runId, options, teachers: teacherInfos, startedAt, ...(finished.size > 0 ? { resumedAt: finished.size } : {}) });

  // A write the store refused stops the run (examples in flight end, nothing new starts): going on
  // would spend teacher calls on results that are not kept.
  const storeStop = new AbortController();
  const runSignal = AbortSignal.any([signal, storeStop.signal]);
  setMaxListeners(0, runSignal);
  const callsEnd = new AbortController();
  setMaxListeners(0, callsEnd.signal);
  runSignal.addEventListener('abort', () => callsEnd.abort(runSignal.reason), { once: true });
  const noteBreaker = (teacherId: string, change: BreakerChange) => {
    if (!change) return;
    accumulator.recordChange({ teacherId, change: change.change, atMs: now() - startedAt, ...(change.change === 'out' ? { reason: change.reason } : {}) });
    if (change.change === 'out') emit({ type: 'teacher-unavailable', runId, teacherId, reason: change.reason, ...(change.retryAt ? { retryAt: change.retryAt } : {}) });
    else emit({ type: 'teacher-back', runId, teacherId, afterMs: change.afterMs });
  };
  const context: ExampleContext = {
    runId,
    options,
    deps,
    accumulator,
    signal: runSignal,
    seed,
    emit,
    clock,
    admission,
    chooser,
    breakerOf: (t) => breakers.get(t.id) as TeacherBreaker,
    noteBreaker,
    teachersById: new Map(deps.teachers.map((t) => [t.id, t])),
    callsSignal: callsEnd.signal,
  };
  // Plans are drawn in index order before any call, so the same seed gives the same prompts
  // whatever order the examples finish in.
  const plans: PlannedExample[] = Array.from({ length: options.examples }, () => planner.next());
  let storeError: string | undefined;

  const oneExample = async (index: number, plan: PlannedExample) => {
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
    chooser?.record(record);
    emit({ type: 'example', runId, example: { ...record, ...(storyId ? { storyId } : {}) }, totals: accumulator.totals(now()) });
  };
  // `concurrency` workers take the next planned example until none is left or the run stops.
  let next = 0;
  const worker = async () => {
    while (next < plans.length && !runSignal.aborted && !stopping.interrupted) {
      const index = next++;
      if (finished.has(index)) continue;
      await oneExample(index, plans[index] as PlannedExample).catch((err: unknown) => deps.onError?.(err, `example ${index} of run ${runId}`));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deps.concurrency ?? 3) }, worker));
  // Calls left to finish after their vote closed are of no use once the run is over.
  callsEnd.abort(new Error('run over'));

  const { status, error } = runOutcome({
    cancelled: signal.aborted,
    interrupted: stopping.interrupted,
    requested: options.examples,
    storeError,
    done: accumulator.done,
    successful: accumulator.successfulCount,
  });
  const outAtEnd = new Map(
    deps.teachers.flatMap((t) => {
      const state = breakers.get(t.id)?.status();
      return state && state.state !== 'closed' ? [[t.id, state.reason ?? 'out'] as const] : [];
    }),
  );
  const result = accumulator.result({
    runId,
    userId: options.userId,
    status,
    error,
    now: now(),
    fineTuneTotal,
    fineTuneEvery: deps.fineTuneEvery ?? FINE_TUNE_EVERY,
    out: outAtEnd,
    ...(chooser ? { callsSaved: chooser.saved } : {}),
  });
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
  accumulator: RunAccumulator;
  signal: AbortSignal;
  seed: string;
  emit: (event: TrainingEvent) => void;
  clock: Clock;
  admission: AdmissionSettings;
  chooser?: TeacherChooser;
  breakerOf: (teacher: Teacher) => TeacherBreaker;
  noteBreaker: (teacherId: string, change: BreakerChange) => void;
  teachersById: Map<string, Teacher>;
  /** Aborted when the run is cancelled or over: stops calls left running after their vote closed. */
  callsSignal: AbortSignal;
}

/** Admissions of one example that no teacher could answer for lack of quota, before it fails. */
const MAX_ADMISSIONS = 5;

interface SeatResult {
  outcome?: TeacherOutcome;
  /** The candidate's words, tokenised once for scoring and voting. */
  words?: string[];
  /** The limiter could not keep the slot: skipped for lack of quota. */
  skipped?: boolean;
}

/** One admission of an example and the calls of its seats; undefined when the run was cancelled. */
async function admitAndAsk(
  ctx: ExampleContext,
  chosen: Teacher[],
  plan: PlannedExample,
  system: string,
  settingsOf: Map<string, GenerationSettings>,
  calls: ExampleCallTally,
): Promise<{ admission: Admission; results: SeatResult[] } | undefined> {
  const { signal, clock } = ctx;
  // The example's own signal: the run's cancellation, or its vote closing (which also gives up
  // admitted starts that never came).
  const vote = new AbortController();
  const onRunAbort = () => vote.abort(signal.reason);
  if (signal.aborted) return undefined;
  signal.addEventListener('abort', onRunAbort, { once: true });
  const admission = await admit(chosen, { breakerOf: ctx.breakerOf, settings: ctx.admission, clock, signal: vote.signal });
  if (!admission) {
    signal.removeEventListener('abort', onRunAbort);
    return undefined;
  }

  const closing = new VoteClosing(
    Math.min(ctx.admission.minCandidates, admission.seats.length),
    clock,
    (id) => ctx.teachersById.get(id)?.limiter?.snapshot().latencyMs ?? 0,
    () => vote.abort(new Error('vote closed')),
  );
  for (const seat of admission.seats) closing.asked(seat.teacher.id);

  const results: SeatResult[] = await Promise.all(
    admission.seats.map(async (seat): Promise<SeatResult> => {
      const { teacher } = seat;
      const breaker = ctx.breakerOf(teacher);
      const settings = settingsOf.get(teacher.id) as GenerationSettings;
      const permit = await seat.permit;
      if (!permit) {
        if (seat.probe) breaker.cancelProbe();
        closing.finished(teacher.id, false);
        return { skipped: true };
      }
      closing.started(teacher.id);
      const callStartedAt = clock.now();
      // The call runs on the run's calls signal, not the vote's: a vote that closes without it
      // leaves it to finish in the background, so the limiter and breaker still learn how the
      // teacher answers; the end of the run stops it.
      const asked = askTeacher(
        teacher,
        { messages: [{ role: 'system', content: system }, { role: 'user', content: plan.text }], settings, signal: ctx.callsSignal },
        {
          permit,
          maxWaitMs: ctx.admission.slotWaitMs,
          clock,
          retry: !seat.probe,
          // The failed first call counts now: its retry may come after the vote closed.
          onRetry: (failure) => {
            calls.record(teacher.id, failure.latencyMs, false);
            ctx.noteBreaker(teacher.id, breaker.onFailure(failure, seat.probe));
          },
        },
      );
      const late = new Promise<'late'>((resolve) => vote.signal.addEventListener('abort', () => resolve('late'), { once: true }));
      const first = await Promise.race([asked, late]);
      closing.finished(teacher.id, first !== 'late' && first.outcome.ok);
      if (first === 'late') {
        if (signal.aborted) return {};
        // Closed without this answer: a timeout for the breaker; the call's own end still feeds
        // the limiter (askTeacher reports it) and a later success resets the breaker's streak.
        const waited = clock.now() - callStartedAt;
        const failure = { kind: 'timeout' as const, message: `no answer within ${waited} ms, when the vote closed`, latencyMs: waited };
        calls.record(teacher.id, waited, false);
        ctx.noteBreaker(teacher.id, breaker.onFailure(failure, seat.probe));
        void asked.then(({ outcome }) => {
          if (outcome.ok) ctx.noteBreaker(teacher.id, breaker.onSuccess(false));
        });
        return { outcome: { teacherId: teacher.id, ok: false, latencyMs: waited, settings, failure: { kind: failure.kind, message: failure.message } } };
      }
      const { outcome, attempts } = first;
      if (outcome.ok) {
        const { generation } = outcome;
        calls.record(teacher.id, generation.latencyMs, true, generation.usage);
        ctx.noteBreaker(teacher.id, breaker.onSuccess(seat.probe));
        const words = tokenizeWords(generation.text);
        return {
          outcome: {
            teacherId: teacher.id,
            ok: true,
            latencyMs: generation.latencyMs,
            settings: generation.settings,
            text: generation.text,
            textQuality: textQuality(generation.text, words),
            usage: generation.usage,
            finishReason: generation.finishReason,
          },
          words,
        };
      }
      const { failure } = outcome;
      if (attempts === 0 && failure.kind === 'cancelled' && !signal.aborted) {
        // The limiter could not admit the call after all (the provider asked for a pause meanwhile).
        if (seat.probe) breaker.cancelProbe();
        return { skipped: true };
      }
      if (failure.kind !== 'cancelled') {
        calls.record(teacher.id, failure.latencyMs, false);
        ctx.noteBreaker(teacher.id, breaker.onFailure(failure, seat.probe));
      } else if (seat.probe) breaker.cancelProbe();
      return {
        outcome: {
          teacherId: teacher.id,
          ok: false,
          latencyMs: failure.latencyMs,
          settings,
          failure: { kind: failure.kind, message: failure.message, ...(failure.status ? { status: failure.status } : {}) },
        },
      };
    }),
  );
  closing.dispose();
  signal.removeEventListener('abort', onRunAbort);
  if (signal.aborted) return undefined;

  if (signal.aborted) return undefined;
  return { admission, results };
}

async function runExample(ctx: ExampleContext, index: number, plan: PlannedExample): Promise<ExampleRecord | undefined> {
  const { deps, signal, clock } = ctx;
  // One generator per example: settings do not depend on which example finished first. Settings
  // are drawn for every teacher in roster order, so they do not depend on who is admitted either.
  const random = createRandom(`${ctx.seed}:${index}`);
  const settingsOf = new Map(deps.teachers.map((t) => [t.id, drawSettings(t.defaults, () => random.next())]));
  const system = storySystemPrompt(plan.genre);
  const inRun = deps.teachers.filter((t) => ctx.breakerOf(t).waitMs() !== Number.POSITIVE_INFINITY);
  const chosen = ctx.chooser ? ctx.chooser.choose(plan.genre, inRun, createRandom(`${ctx.seed}:${index}:auto`)) : deps.teachers;
  // Admits and asks; again (a few times) if no teacher could answer for lack of quota — every
  // admitted slot was taken back before its call went, or answered 429 (the limiters have learned
  // from those 429s meanwhile): the example was not really tried yet.
  const calls = new ExampleCallTally(ctx.accumulator);
  let attempt: Awaited<ReturnType<typeof admitAndAsk>>;
  for (let tries = 1; ; tries++) {
    attempt = await admitAndAsk(ctx, chosen, plan, system, settingsOf, calls);
    if (!attempt) return undefined;
    const onlyQuota =
      attempt.admission.seats.length > 0 && attempt.results.every((r) => r.skipped || r.outcome?.failure?.kind === 'rate_limited');
    if (!onlyQuota || tries >= MAX_ADMISSIONS) break;
  }
  const { admission, results } = attempt;
  const outcomes = results.flatMap((r) => (r.outcome ? [r.outcome] : []));
  const skipped = admission.seats.filter((_, i) => results[i]?.skipped).map((s) => s.teacher.id);
  skipped.unshift(...admission.skipped.map((t) => t.id));
  for (const id of skipped) ctx.accumulator.recordSkip(id);
  const wordsOf = new Map(results.flatMap((r) => (r.outcome && r.words ? [[r.outcome.teacherId, r.words] as const] : [])));
  const base = {
    runId: ctx.runId,
    userId: ctx.options.userId,
    index,
    genre: plan.genre,
    promptId: plan.prompt.id,
    prompt: plan.text,
    style: plan.style.text,
    finishedAt: clock.now(),
    ...(skipped.length > 0 ? { skipped } : {}),
  };
  const candidates: Candidate[] = outcomes
    .filter((o) => o.ok && o.text)
    .map((o) => ({ teacherId: o.teacherId, text: o.text as string, textQuality: o.textQuality, words: wordsOf.get(o.teacherId) }));
  if (candidates.length === 0) {
    const failureReasons = outcomes.map((o) => `${o.teacherId}: ${o.failure?.kind ?? 'skipped'} ${o.failure?.message ?? ''}`.trim());
    for (const id of skipped) failureReasons.push(`${id}: skipped (no quota within ${ctx.admission.slotWaitMs} ms)`);
    for (const t of admission.out) failureReasons.push(`${t.id}: out of this run (${ctx.breakerOf(t).status().reason ?? 'unavailable'})`);
    if (admission.seats.length === 0 && admission.skipped.length === 0) failureReasons.push('every teacher is unavailable for this run');
    return { ...base, status: 'failed', outcomes, failureReasons, toFineTune: false, toMemory: false, saveStory: false, calls: calls.list() };
  }

  // Relevance is judged against the prompt's subject, not the style instruction appended to it.
  const voteContext: VoteContext = { prompt: plan.prompt.text };
  let jury: JuryCount | undefined;
  let vote: VoteResult;
  if (ctx.options.voting === 'jury') ({ vote, jury } = await juryVote(ctx, plan.text, candidates, random, voteContext, calls));
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
    calls: calls.list(),
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
  calls: ExampleCallTally,
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
      const { outcome, attempts } = await askTeacher(
        teacher,
        { ...request, settings: JURY_SETTINGS, signal: ctx.signal },
        { maxWaitMs: ctx.admission.slotWaitMs, clock: ctx.clock },
      );
      // No slot for the juror soon (lack of quota): not a juror of this example.
      if (attempts === 0) return undefined;
      if (!outcome.ok) {
        if (outcome.failure.kind !== 'cancelled') calls.record(teacher.id, outcome.failure.latencyMs, false);
        return [voter.teacherId, undefined];
      }
      calls.record(teacher.id, outcome.generation.latencyMs, true, outcome.generation.usage);
      const ranking = parseJuryRanking(outcome.generation.text, labelled.map((l) => l.label));
      return [voter.teacherId, ranking?.map((label) => labelled.find((l) => l.label === label)?.teacherId as string)];
    }),
  );
  const asked = ballots.filter((b): b is [string, string[] | undefined] => b !== undefined);
  const readable = asked.filter(([, ranking]) => ranking !== undefined).length;
  const vote = bordaTally(candidates, Object.fromEntries(asked), context);
  return { vote, jury: { ballots: asked.length, unreadable: asked.length - readable, fallback: asked.length > 0 && readable === 0 } };
}
