/** `cli runs --user ID`: a user's runs with status and progress; interrupted ones say how to resume them. */
import type { ZegaStore } from '../storage/index.ts';
import { UsageError, type CliIo } from './io.ts';
import { resumeCommand } from './train.ts';

export async function runsCommand(args: { user?: string; json?: boolean; limit?: string }, store: ZegaStore, io: CliIo): Promise<number> {
  if (!args.user) throw new UsageError('runs needs --user ID');
  const limit = Number(args.limit ?? '20');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000 (got "${args.limit}")`);
  const runs = await store.runs.list(args.user, { limit });
  const rows = runs.map((run) => ({
    id: run.id,
    status: run.status,
    done: run.counts.done,
    examples: run.options.examples,
    successful: run.counts.successful,
    failed: run.counts.failed,
    createdAt: new Date(run.createdAt).toISOString(),
    ...(run.error ? { error: run.error } : {}),
    ...(run.status === 'interrupted' ? { resume: resumeCommand(run.id, run.userId) } : {}),
  }));
  if (args.json) {
    for (const row of rows) io.out(JSON.stringify(row));
    return 0;
  }
  if (rows.length === 0) {
    io.out(`No runs for user ${args.user}.`);
    return 0;
  }
  for (const row of rows) {
    io.out(`${row.id}  ${row.status.padEnd(11)} ${`${row.done}/${row.examples}`.padStart(9)}  ${row.successful} ok · ${row.failed} failed  ${row.createdAt}`);
    if (row.resume) io.out(`    resume: ${row.resume}`);
    if (row.error) io.out(`    ${row.error}`);
  }
  return 0;
}
