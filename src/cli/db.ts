/** `cli db migrate` and `cli db status`: the database's schema version, from the terminal. */
import { inspectStore, isStorageError, openStore } from '../storage/index.ts';
import type { MigrationStatus } from '../storage/index.ts';
import { UsageError, type CliIo } from './io.ts';
import { DB_USAGE } from './usage.ts';



function describeStatus(location: string, status: MigrationStatus): string[] {
  const lines = [`Database: ${location}`, `Schema version: ${status.current} (this Zega: ${status.latest})`];
  for (const m of status.applied) lines.push(`  applied  ${m.version}  ${m.name}  ${new Date(m.appliedAt).toISOString()}`);
  for (const m of status.pending) lines.push(`  pending  ${m.version}  ${m.name}`);
  if (status.pending.length > 0) lines.push('Run `npm run cli -- db migrate` (or start the bot) to apply the pending migrations.');
  return lines;
}

export async function dbCommand(args: string[], storageUrl: string, io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (rest.length > 0) throw new UsageError(`db ${sub ?? ''}: unexpected arguments ${rest.join(' ')}`);
  if (sub === 'status') {
    try {
      const { location, status } = await inspectStore(storageUrl);
      for (const line of describeStatus(location, status)) io.out(line);
      return status.current > status.latest ? 1 : 0;
    } catch (error) {
      // No database yet is a state to report, not a failure.
      if (isStorageError(error) && error.code === 'NO_DATABASE') {
        io.out(error.message);
        return 0;
      }
      throw error;
    }
  }
  if (sub === 'migrate') {
    const store = await openStore(storageUrl, { recoverRuns: false });
    try {
      io.out(store.migrated.length === 0 ? `Database ${store.location} is up to date.` : `Migrated ${store.location}: ${store.migrated.join('; ')}.`);
      const { issueCount } = store.health();
      if (issueCount > 0) io.error(`zega: ${issueCount} row(s) could not be read and were kept in the unreadable_rows table (see the log).`);
      for (const line of describeStatus(store.location, await store.migrationStatus()).slice(1)) io.out(line);
      return 0;
    } finally {
      await store.close();
    }
  }
  throw new UsageError(`db needs status or migrate\n${DB_USAGE}`);
}
