/**
 * `npm start` (ZEGA_ROLE, default all), `npm run bot` and `npm run worker`: Zega's long-running
 * processes, configured from `.env`. A missing or invalid setting is reported by name with where to
 * get it, never as a stack trace.
 *
 * - all, without REDIS_URL: the embedded default — the bot and its runs in this one process.
 * - all, with REDIS_URL: bot and worker in one process, on the cluster's queue.
 * - bot: Discord only (shards through ShardingManager); runs go to the workers via Redis.
 * - worker: executes runs from the Redis queue; any number, on any machine.
 *
 * SIGTERM/SIGINT: nothing new is taken, examples in flight finish within SHUTDOWN_GRACE_MS, runs
 * end `interrupted` (resumed at the next start, or by another worker), exit 0.
 */
import { ConfigError, loadConfig, type Config } from './config/env.ts';
import { InputFileError } from './config/inputFile.ts';
import { loadEnvFile } from './config/envFile.ts';
import { StorageError } from './storage/index.ts';
import { runBotProcess } from './bot/main.ts';
import { runShardManager } from './bot/shards.ts';
import { runWorkerProcess } from './worker/main.ts';

const ROLES = ['all', 'bot', 'worker'] as const;
type Role = (typeof ROLES)[number];

function roleOf(config: Config, argv: string[]): Role {
  const asked = argv[2];
  if (asked === undefined) return config.ZEGA_ROLE;
  if ((ROLES as readonly string[]).includes(asked)) return asked as Role;
  throw new ConfigError([`unknown role "${asked}": use all, bot or worker (or set ZEGA_ROLE)`]);
}

async function main(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  const role = roleOf(config, process.argv);
  if (role !== 'all' && !config.REDIS_URL)
    throw new ConfigError([`ZEGA_ROLE=${role} needs REDIS_URL (the queue bots and workers share); without it, run everything in one process with ZEGA_ROLE=all`]);
  if (role === 'worker') return runWorkerProcess();
  // A shard child (spawned by the manager below) runs the bot itself.
  if (role === 'bot' && !process.env.SHARDING_MANAGER) return runShardManager(config);
  return runBotProcess({ withWorker: role === 'all' });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof StorageError || err instanceof InputFileError) {
    process.stderr.write(`zega: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`zega: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
