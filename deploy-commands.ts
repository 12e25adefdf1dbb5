/**
 * `npm run deploy`: registers Zega's slash commands — to DISCORD_GUILD_ID when set (instant, for
 * development), otherwise globally. A bulk overwrite, so running it twice changes nothing.
 */
import { REST, Routes, type RESTPutAPIApplicationCommandsResult } from 'discord.js';
import { ConfigError, loadConfig, requireSettings } from './src/config/env.ts';
import { loadEnvFile } from './src/config/envFile.ts';
import { COMMANDS } from './src/commands/index.ts';
import { explainDiscordFailure } from './src/discord/startupErrors.ts';

export async function deployCommands(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = console.log): Promise<RESTPutAPIApplicationCommandsResult> {
  const config = loadConfig(env);
  requireSettings(config, ['DISCORD_TOKEN', 'DISCORD_CLIENT_ID']);
  const rest = new REST(config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {}).setToken(config.DISCORD_TOKEN as string);
  const body = COMMANDS.map((c) => c.data);
  const clientId = config.DISCORD_CLIENT_ID as string;
  const route = config.DISCORD_GUILD_ID ? Routes.applicationGuildCommands(clientId, config.DISCORD_GUILD_ID) : Routes.applicationCommands(clientId);
  let registered: RESTPutAPIApplicationCommandsResult;
  try {
    registered = (await rest.put(route, { body })) as RESTPutAPIApplicationCommandsResult;
  } catch (err) {
    // The same messages as `npm start` for a refused token or a Discord out of reach.
    throw explainDiscordFailure(err, config.DISCORD_API_URL);
  }
  log(`Registered ${registered.length} commands ${config.DISCORD_GUILD_ID ? `to server ${config.DISCORD_GUILD_ID}` : 'globally (may take up to an hour to appear)'}:`);
  for (const c of registered) log(`  /${c.name} — ${c.description}`);
  return registered;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  (async () => {
    loadEnvFile();
    await deployCommands();
  })().catch((err: unknown) => {
    process.stderr.write(`zega deploy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  });
}
