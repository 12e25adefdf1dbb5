/** `cli train`: one training run from the terminal, with a progress bar or pure JSON. */
import { parseGenreList } from '../trainer/genres.ts';
import { startTraining } from '../trainer/run.ts';
import { DEFAULT_VOTING, MAX_EXAMPLES, MIN_EXAMPLES, VOTING_MODES, type RunOptions, type TrainingEvent, type TrainingResult, type VotingMode } from '../trainer/types.ts';
import { missingTeachersMessage } from '../teachers/roster.ts';
import { personalFor } from '../personal/runtime.ts';
import { roundSummary } from '../personal/roundSummary.ts';
import type { Runtime } from '../app/runtime.ts';
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
  return {
    userId: args.user ?? 'cli-user',
    examples,
    genres: genres.genres,
    save: args.save ?? false,
    memory: args.memory ?? false,
    voting,
    ...(args.seed ? { seed: args.seed } : {}),
  };
}

export interface TrainCommandOptions {
  json: boolean;
  /** Extra listener (the demo keeps the best example to show it). */
  onEvent?: (event: TrainingEvent) => void;
}

export async function trainCommand(options: RunOptions, runtime: Runtime, io: CliIo, { json, onEvent }: TrainCommandOptions): Promise<TrainingResult> {
  if (runtime.teachers.length === 0) throw new UsageError(missingTeachersMessage(runtime.roster));
  const handle = startTraining(options, {
    teachers: runtime.teachers,
    store: runtime.store.trainerStore(),
    concurrency: runtime.config.RUN_CONCURRENCY,
    fineTuneEvery: runtime.config.FINE_TUNE_EVERY,
    qualityScore: runtime.config.QUALITY_SCORE,
    onError: (err, context) => runtime.logger.error({ err }, `trainer: ${context}`),
    onEvent: (event) => {
      onEvent?.(event);
      if (json) return;
      if (event.type === 'started')
        io.error(`Training ${event.options.examples} examples with ${event.teachers.length} teachers (${event.teachers.map((t) => t.id).join(', ')})`);
      if (event.type === 'teacher-unavailable') io.error(`\n${event.teacherId} is out of this run: ${event.reason}`);
      if (event.type === 'example') {
        if (io.progress) io.progress(progressLine(event.totals));
        else if (event.totals.done % 10 === 0 || event.totals.done === event.totals.total) io.error(progressLine(event.totals));
      }
    },
  });
  // Ctrl-C stops the run and keeps what is done; a second Ctrl-C exits at once.
  const onSigint = () => {
    process.off('SIGINT', onSigint);
    io.error('\nStopping: finishing the examples in flight…');
    handle.cancel();
  };
  process.on('SIGINT', onSigint);
  const result = await handle.done.finally(() => process.off('SIGINT', onSigint));
  // The fine-tune round this run made due, if any (never throws). On stderr: --json keeps stdout to the result.
  const personal = await personalFor(runtime).fineTune.afterRun(options.userId);
  if (personal.round) io.error(roundSummary(personal.round));
  if (personal.error) io.error(`Fine-tune round failed (retried after the next run): ${personal.error}`);
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
  return result;
}
