/**
 * What the setup panel promises: API calls and a rough duration. Duration is bounded below by the
 * slowest teacher's per-minute quota (every example asks every teacher) and by typical latency.
 */
import type { RosterEntry } from '../teachers/roster.ts';
import type { Teacher } from '../teachers/types.ts';
import type { VotingMode } from './types.ts';

/** Typical wall time of one example against real providers (7 parallel calls, the slowest decides). */
export const TYPICAL_EXAMPLE_SECONDS = 8;

export function estimateRun(args: {
  examples: number;
  voting: VotingMode;
  teachers: readonly Teacher[];
  roster: readonly RosterEntry[];
  concurrency: number;
  rateLimited: boolean;
}): { seconds: number; calls: number } {
  const perExample = args.teachers.length * (args.voting === 'jury' ? 2 : 1);
  const calls = args.examples * perExample;
  const latencyBound = (args.examples / Math.max(1, args.concurrency)) * TYPICAL_EXAMPLE_SECONDS;
  const enabled = new Set(args.teachers.map((t) => t.id));
  const rpms = args.roster.filter((e) => enabled.has(e.id) && e.rpm).map((e) => e.rpm as number);
  const callsPerExamplePerTeacher = args.voting === 'jury' ? 2 : 1;
  const quotaBound = args.rateLimited && rpms.length > 0 ? ((args.examples * callsPerExamplePerTeacher) / Math.min(...rpms)) * 60 : 0;
  return { seconds: Math.round(Math.max(latencyBound, quotaBound)), calls };
}
