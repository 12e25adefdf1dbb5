/**
 * `npm run bot`: discord.js's ShardingManager starts one process per gateway shard (SHARD_COUNT, or
 * `auto`: the count Discord recommends in GET /gateway/bot), each a bot on the cluster's queue, and
 * restarts a shard that dies. Any shard can start, show and stop any run: runs live in the queue on
 * Redis, not in a shard's memory. SIGTERM/SIGINT reach every shard, which shut down gracefully
 * before the manager exits.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REST, Routes, ShardingManager } from 'discord.js';
import { requireSettings, type Config } from '../config/env.ts';
import { createLogger } from '../logger.ts';
import { onShutdownSignal } from '../app/shutdown.ts';

/** Discord's recommendation, asked through the same REST base as the bot (DISCORD_API_URL). */
export async function recommendedShardCount(config: Config): Promise<number> {
  const rest = new REST(config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {}).setToken(config.DISCORD_TOKEN as string);
  const { shards } = (await rest.get(Routes.gatewayBot())) as { shards: number };
  return Math.max(1, shards);
}

export async function runShardManager(config: Config): Promise<void> {
  requireSettings(config, ['DISCORD_TOKEN']);
  const logger = createLogger(config.LOG_LEVEL).child({ component: 'shards' });
  const totalShards = config.SHARD_COUNT === 'auto' ? await recommendedShardCount(config) : config.SHARD_COUNT;
  // The same entry point this process runs: src/main.ts under tsx, dist/main.js compiled.
  const entry = fileURLToPath(new URL(`../main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  const manager = new ShardingManager(entry, {
    totalShards,
    token: config.DISCORD_TOKEN as string,
    mode: 'process',
    shardArgs: ['bot'],
    // The shards run the same way as this process (e.g. `node --import tsx`).
    execArgv: process.execArgv,
  });
  manager.on('shardCreate', (shard) => {
    logger.info({ shard: shard.id, of: totalShards }, 'shard started');
    shard.on('death', () => logger.warn({ shard: shard.id }, 'shard process ended'));
  });

  onShutdownSignal(
    async (signal) => {
      logger.info({ signal }, 'stopping every shard gracefully');
      manager.respawn = false;
      await Promise.all(
        [...manager.shards.values()].map(
          (shard) =>
            new Promise<void>((resolve) => {
              const child = shard.process;
              if (!child || child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              // A terminal's Ctrl-C reached the shards already; a SIGTERM to the manager alone did not.
              if (signal === 'SIGTERM') child.kill('SIGTERM');
            }),
        ),
      );
      logger.info('every shard stopped');
    },
    { hardLimitMs: config.SHUTDOWN_GRACE_MS + 30_000, onError: (err) => logger.error({ err }, 'shard shutdown failed') },
  );
  await manager.spawn({ amount: totalShards });
  logger.info({ shards: totalShards }, 'all shards ready');
}
