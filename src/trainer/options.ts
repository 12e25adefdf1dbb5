/** Checks a run's options before anything starts, with one message per problem. */
import { GENRES, isGenre } from './genres.ts';
import { MAX_EXAMPLES, MIN_EXAMPLES, VOTING_MODES, type RunOptions } from './types.ts';

export class RunOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'RunOptionsError';
  }
}

export function validateRunOptions(options: RunOptions): RunOptions {
  const problems: string[] = [];
  if (!options.userId || !/^[\w-]{1,64}$/.test(options.userId)) problems.push('user id must be 1–64 letters, digits, "_" or "-"');
  if (!Number.isInteger(options.examples) || options.examples < MIN_EXAMPLES || options.examples > MAX_EXAMPLES)
    problems.push(`examples must be a whole number from ${MIN_EXAMPLES} to ${MAX_EXAMPLES} (got ${String(options.examples)})`);
  const unknown = options.genres.filter((g) => !isGenre(g));
  if (unknown.length > 0) problems.push(`unknown genre${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known: ${GENRES.join(', ')})`);
  if (options.genres.length > GENRES.length) problems.push(`at most ${GENRES.length} genres`);
  if (!VOTING_MODES.includes(options.voting)) problems.push(`voting must be ${VOTING_MODES.map((m) => `"${m}"`).join(', ')} (got ${String(options.voting)})`);
  if (options.teachers !== undefined && options.teachers !== 'all' && options.teachers !== 'auto') problems.push(`teachers must be "all" or "auto" (got ${String(options.teachers)})`);
  if (problems.length > 0) throw new RunOptionsError(problems);
  return { ...options, genres: [...new Set(options.genres)] };
}
