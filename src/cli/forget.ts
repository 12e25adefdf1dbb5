/** `cli forget --user ID --yes`: erases everything Zega keeps about one user, and says what went. */
import { parseArgs } from 'node:util';
import type { Config } from '../config/env.ts';
import { ollamaConnector } from '../personal/fineTuneRounds.ts';
import { describeErase, eraseUser, type QueueRecords } from '../personal/forget.ts';
import type { ZegaStore } from '../storage/index.ts';
import { UsageError, type CliIo } from './io.ts';

/** In a cluster (REDIS_URL), the user's budget ledger and run records on its Redis go too. */
async function clusterRecords(config: Pick<Config, 'REDIS_URL' | 'REDIS_PREFIX'>): Promise<(QueueRecords & { close(): void }) | undefined> {
  if (!config.REDIS_URL) return undefined;
  const [{ connectRedis }, { forgetClusterUser }] = await Promise.all([import('../runs/cluster.ts'), import('../runs/forget.ts')]);
  const redis = connectRedis(config.REDIS_URL);
  return { forgetUser: (userId) => forgetClusterUser(redis, config.REDIS_PREFIX, userId), close: () => redis.disconnect() };
}

export async function forgetCommand(args: string[], store: ZegaStore, io: CliIo, config: Pick<Config, 'OLLAMA_HOST' | 'REDIS_URL' | 'REDIS_PREFIX'>): Promise<number> {
  const { values } = parseArgs({ args, options: { user: { type: 'string' }, yes: { type: 'boolean' } }, strict: true });
  if (!values.user) throw new UsageError('forget needs --user ID');
  if (!values.yes) {
    throw new UsageError(`forget erases every story, run, statistic, memory entry, dataset row, fine-tune round and personal model of user ${values.user}, for good. Add --yes to do it.`);
  }
  const cluster = await clusterRecords(config);
  let report;
  try {
    report = await eraseUser(store, ollamaConnector(config.OLLAMA_HOST), values.user, cluster);
  } catch (err) {
    if (err instanceof Error && err.name === 'ActiveRunError') throw new UsageError(`User ${values.user} has a training run queued or running; stop it (or let it finish) first. Nothing was erased.`);
    throw err;
  } finally {
    cluster?.close();
  }
  io.out(`Erased everything Zega kept about user ${values.user}:`);
  for (const line of describeErase(report)) io.out(`  ${line}`);
  return report.modelsLeft.length > 0 ? 1 : 0;
}
