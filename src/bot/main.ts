/**
 * A bot process: the Discord client (one shard, or every shard when unsharded) wired to the run
 * queue — its own in-process queue (embedded), or the cluster's on Redis, with a worker beside it
 * when ZEGA_ROLE=all.
 */
import { loadConfig, requireSettings } from '../config/env.ts';
import { explainDiscordFailure } from '../discord/startupErrors.ts';
import { createRuntime } from '../app/runtime.ts';
import { onShutdownSignal } from '../app/shutdown.ts';
import { missingTeachersMessage } from '../teachers/roster.ts';
import { ClusterConnection, openBullQueue, startRunWorker } from '../runs/index.ts';
import { RedisRateWindow } from '../teachers/sharedRate.ts';
import type { RunWorker } from '../runs/worker.ts';
import type { RunQueue } from '../runs/types.ts';
import { createBot } from './client.ts';

/** How often a cluster bot looks for runs no bot reports on (a bot that died). */
const ADOPT_EVERY_MS = 15_000;

export async function runBotProcess({ withWorker }: { withWorker: boolean }): Promise<void> {
  const config = loadConfig();
  requireSettings(config, ['DISCORD_TOKEN']);
  const cluster = config.REDIS_URL ? new ClusterConnection(config.REDIS_URL, config.REDIS_PREFIX, config.DAILY_EXAMPLES_PER_USER) : undefined;
  const runtime = await createRuntime(cluster ? { sharedRate: new RedisRateWindow(cluster.redis, cluster.prefix) } : {});
  if (runtime.teachers.length === 0 && (withWorker || !cluster)) runtime.logger.warn(missingTeachersMessage(runtime.roster));
  const onError = (err: unknown, context: string) => runtime.logger.error({ err, context }, 'run error');
  let worker: RunWorker | undefined;
  let queue: RunQueue | undefined;
  if (cluster) {
    queue = await openBullQueue(runtime, cluster, onError);
    if (withWorker) worker = await startRunWorker(runtime, cluster, onError);
  }
  const bot = createBot(runtime, {
    ...(config.DISCORD_API_URL ? { restApi: config.DISCORD_API_URL } : {}),
    ...(queue ? { runs: queue, adoptEveryMs: ADOPT_EVERY_MS } : {}),
  });

  onShutdownSignal(
    async (signal) => {
      const graceMs = config.SHUTDOWN_GRACE_MS;
      runtime.logger.info({ signal, graceMs }, 'shutting down: finishing the examples in flight, then stopping');
      // The worker first: its runs' last progress still reaches the users through this bot.
      await worker?.close(graceMs);
      await bot.stop(graceMs);
      await queue?.close(graceMs);
      await cluster?.close();
      await runtime.close();
      runtime.logger.info('stopped');
    },
    { hardLimitMs: config.SHUTDOWN_GRACE_MS + 15_000, onError: (err) => runtime.logger.error({ err }, 'shutdown failed') },
  );

  try {
    await bot.login(config.DISCORD_TOKEN as string);
  } catch (err) {
    await worker?.close(0);
    await queue?.close(0);
    await bot.client.destroy();
    await cluster?.close();
    await runtime.close();
    throw explainDiscordFailure(err, config.DISCORD_API_URL);
  }
}
