/**
 * `npm start`: the real bot, configured from `.env`. A missing or invalid setting is reported by
 * name with where to get it, never as a stack trace.
 */
import { ConfigError, loadConfig, requireSettings } from './config/env.ts';
import { InputFileError } from './config/inputFile.ts';
import { loadEnvFile } from './config/envFile.ts';
import { createRuntime } from './app/runtime.ts';
import { createBot } from './bot/client.ts';
import { explainDiscordFailure } from './discord/startupErrors.ts';
import { missingTeachersMessage } from './teachers/roster.ts';
import { StorageError } from './storage/index.ts';

async function main(): Promise<void> {
  loadEnvFile();
  const config = loadConfig();
  requireSettings(config, ['DISCORD_TOKEN']);
  const runtime = await createRuntime();
  if (runtime.teachers.length === 0) runtime.logger.warn(missingTeachersMessage(runtime.roster));
  const bot = createBot(runtime, config.DISCORD_API_URL ? { restApi: config.DISCORD_API_URL } : {});

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    runtime.logger.info({ signal }, 'shutting down: stopping runs and keeping what is done');
    await bot.stop();
    await runtime.close();
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    await bot.login(config.DISCORD_TOKEN as string);
  } catch (err) {
    await bot.client.destroy();
    await runtime.close();
    throw explainDiscordFailure(err, config.DISCORD_API_URL);
  }
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
