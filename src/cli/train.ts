/** `cli train`: one training run from the terminal, with a progress bar or pure JSON; `--resume` continues one. */
import { randomUUID } from 'node:crypto';
import { parseGenreList } from '../trainer/genres.ts';
import { DEFAULT_VOTING, MAX_EXAMPLES, MIN_EXAMPLES, VOTING_MODES, type RunOptions, type TrainingEvent, type TrainingResult, type VotingMode } from '../trainer/types.ts';
import { missingTeachersMessage } from '../teachers/roster.ts';
import { personalFor } from '../personal/runtime.ts';
import { roundSummary } from '../personal/roundSummary.ts';
import type { Runtime } from '../app/runtime.ts';
import { onShutdownSignal } from '../app/shutdown.ts';
import { executorDeps } from '../runs/executorDeps.ts';
import { planJob, startJob } from '../runs/executor.ts';
import type { RunJob } from '../runs/types.ts';
import { UsageError, type CliIo } from './io.ts';
import { formatFailures, formatGenres, formatLeaderboard, formatSummary, progressLine } from './render.ts';

export interface TrainArgs {
  examples?: string;
  genres?: string;
  save?: boolean;
  memory?: boolean;
  user?: string;
  voting?: string;
  seed?: string;
  teachers?: string;
  json?: boolean;
}

export function parseTrainArgs(args: TrainArgs): RunOptions {
  const examples = Number(args.examples ?? '20');
  if (!Number.isInteger(examples) || examples < MIN_EXAMPLES || examples > MAX_EXAMPLES)
    throw new UsageError(`--examples must be a whole number from ${MIN_EXAMPLES} to ${MAX_EXAMPLES} (got "${args.examples}")`);
  const genres = parseGenreList(args.genres ?? '');
  if ('error' in genres) throw new UsageError(`--genres: ${genres.error}`);
  const voting = (args.voting ?? DEFAULT_VOTING) as VotingMode;
  if (!VOTING_MODES.includes(voting)) throw new UsageError(`--voting must be ${VOTING_MODES.join(', ')} (got "${args.voting}")`);
  const teachers = args.teachers ?? 'all';
  if (teachers !== 'all' && teachers !== 'auto') throw new UsageError(`--teachers must be all or auto (got "${args.teachers}")`);
  return {
    teachers,
    userId: args.user ?? 'cli-user',
    examples,
    genres: genres.genres,
    save: args.save ?? false,
    memory: args.memory ?? false,
    voting,
    ...(args.seed ? { seed: args.seed } : {}),
  };
}

/** The user of `npm run demo`'s runs: they ran against the demo's simulators, so the demo resumes them. */
export const DEMO_USER = 'demo-user';

/** The command that continues an interrupted run (of `userId`). */
export function resumeCommand(runId: string, userId?: string): string {
  // `cli train` would ask the providers configured in the environment, which a demo run never used.
  return userId === DEMO_USER ? `npm run demo -- --resume ${runId}` : `npm run cli -- train --resume ${runId}`;
}

export interface TrainCommandOptions {
  json: boolean;
  /** Extra listener (the demo keeps the best example to show it). */
  onEvent?: (event: TrainingEvent) => void;
}

/** A new run's job (planned and recorded), or the stored job of the run to resume. */
export async function trainJob(runtime: Runtime, request: { options: RunOptions } | { resume: string }): Promise<RunJob> {
  const journal = executorDeps(runtime, () => undefined).journal;
  if ('options' in request) {
    const job = planJob(randomUUID(), request.options);
    await journal.plan(job);
    return job;
  }
  const stored = await journal.job(request.resume);
  if (!stored) throw new UsageError(`There is no run ${request.resume} to resume (\`cli runs --user ID\` lists a user's runs).`);
  if (stored.status === 'running' || stored.status === 'queued')
    throw new UsageError(`Run ${request.resume} is ${stored.status} in another process; it can be resumed once that process has stopped.`);
  if (stored.status !== 'interrupted') throw new UsageError(`Run ${request.resume} is ${stored.status}: only an interrupted run can be resumed.`);
  return { runId: stored.runId, options: stored.options };
}

export async function trainCommand(job: RunJob, runtime: Runtime, io: CliIo, { json, onEvent }: TrainCommandOptions): Promise<TrainingResult> {
  if (runtime.teachers.length === 0) throw new UsageError(missingTeachersMessage(runtime.roster));
  const deps = executorDeps(runtime, (err, context) => runtime.logger.error({ err }, `trainer: ${context}`));
  const handle = await startJob(job, deps, (event) => {
    onEvent?.(event);
    if (json) return;
    if (event.type === 'started') {
      io.error(`Training ${event.options.examples} examples with ${event.teachers.length} teachers (${event.teachers.map((t) => t.id).join(', ')}) · run ${event.runId}`);
      if (event.resumedAt) io.error(`Resuming at ${event.resumedAt}/${event.options.examples}: the examples already done are kept, not asked again.`);
    }
    if (event.type === 'teacher-unavailable')
      io.error(`\n${event.teacherId} is out: ${event.reason}${event.retryAt ? ` (one probe call in ${Math.max(1, Math.round((event.retryAt - Date.now()) / 1000))} s decides whether it comes back)` : ' (for the rest of this run)'}`);
    if (event.type === 'teacher-back') io.error(`\n${event.teacherId} is back: its probe call answered`);
    if (event.type === 'example') {
      if (io.progress) io.progress(progressLine(event.totals));
      else if (event.totals.done % 10 === 0 || event.totals.done === event.totals.total) io.error(progressLine(event.totals));
    }
  });
  // SIGTERM or Ctrl-C: the examples in flight finish (within SHUTDOWN_GRACE_MS), the run ends
  // interrupted and resumable; a second signal exits at once.
  const graceMs = runtime.config.SHUTDOWN_GRACE_MS;
  const removeSignals = onShutdownSignal(
    () => {
      io.error(`\nStopping: finishing the examples in flight (up to ${Math.round(graceMs / 1000)} s)…`);
      handle.interrupt(graceMs);
      return Promise.resolve();
    },
    { exit: false },
  );
  const result = await handle.done.finally(removeSignals);
  if (result.status !== 'interrupted') {
    // The fine-tune round this run made due, if any (never throws). On stderr: --json keeps stdout to the result.
    const personal = await personalFor(runtime).fineTune.afterRun(job.options.userId);
    if (personal.round) io.error(roundSummary(personal.round));
    if (personal.error) io.error(`Fine-tune round failed (retried after the next run): ${personal.error}`);
  }
  if (json) io.out(JSON.stringify(result));
  else {
    if (io.progress) io.error('');
    io.out(formatSummary(result));
    io.out('');
    io.out(formatLeaderboard(result));
    io.out('');
    io.out(formatGenres(result));
    const failures = formatFailures(result);
    if (failures) {
      io.out('');
      io.out(failures);
    }
  }
  if (result.status === 'interrupted') io.error(`\nRun ${result.run_id} is interrupted at ${result.successful + result.failed}/${result.requested}. Resume it with: ${resumeCommand(result.run_id, result.user_id)}`);
  return result;
}
