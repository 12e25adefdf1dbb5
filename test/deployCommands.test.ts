/** deploy-commands against the loopback Discord: valid bodies, guild or global, idempotent. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCommands } from '../deploy-commands.ts';
import { COMMANDS } from '../src/commands/index.ts';
import { startDiscordSimulator, type DiscordSimulator } from './discord/server.ts';
import { closedPortUrl } from './helpers/teacherTest.ts';

let discord: DiscordSimulator;
beforeAll(async () => {
  discord = await startDiscordSimulator();
});
afterAll(() => discord.close());

const env = (extra: Record<string, string> = {}) => ({
  DISCORD_TOKEN: discord.token,
  DISCORD_CLIENT_ID: discord.applicationId,
  DISCORD_API_URL: discord.restApi,
  ...extra,
});

describe('npm run deploy', () => {
  it('registers every command to one server, validly, and prints what it registered', async () => {
    const lines: string[] = [];
    const registered = await deployCommands(env({ DISCORD_GUILD_ID: discord.guild.id }), (l) => lines.push(l));
    expect(registered.map((c) => c.name).sort()).toEqual(COMMANDS.map((c) => c.data.name).sort());
    expect(discord.commands(discord.guild.id).map((c) => c.name).sort()).toEqual(COMMANDS.map((c) => c.data.name).sort());
    expect(discord.commands()).toEqual([]);
    expect(lines[0]).toMatch(new RegExp(`Registered ${COMMANDS.length} commands to server ${discord.guild.id}`));
    for (const c of COMMANDS) expect(lines.join('\n')).toContain(`/${c.data.name} — `);
    expect(discord.violations).toEqual([]);
  });

  it('says where each command can be used with contexts and integration types, not the deprecated dm_permission', async () => {
    const registered = await deployCommands(env({ DISCORD_GUILD_ID: discord.guild.id }), () => undefined);
    for (const command of COMMANDS) {
      expect((command.data as { dm_permission?: unknown }).dm_permission, command.data.name).toBeUndefined();
      // Guild (0) and bot DM (1), installed to a server (0): what dm_permission true meant.
      expect(command.data, command.data.name).toMatchObject({ contexts: [0, 1], integration_types: [0] });
    }
    for (const command of registered) expect(command, command.name).toMatchObject({ contexts: [0, 1], integration_types: [0] });
    // Every request body was checked against Discord's OpenAPI description.
    expect(discord.violations).toEqual([]);
  });

  it('is idempotent: a second deploy keeps the same commands and ids', async () => {
    const first = await deployCommands(env(), () => undefined);
    const second = await deployCommands(env(), () => undefined);
    expect(second.map((c) => [c.name, c.id])).toEqual(first.map((c) => [c.name, c.id]));
    expect(discord.commands()).toHaveLength(COMMANDS.length);
    expect(discord.violations).toEqual([]);
  });

  it('names a missing setting instead of calling Discord', async () => {
    const before = discord.requests.length;
    await expect(deployCommands({ DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.restApi }, () => undefined)).rejects.toThrow(/DISCORD_CLIENT_ID is not set/);
    expect(discord.requests.length).toBe(before);
  });
});

/** `npm start` in a child process, with `env` on top of a teacher-less, storage-less setup. */
async function npmStart(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, STORAGE_URL: 'memory://', OLLAMA_HOST: 'off', GEMINI_API_KEY: '', GROQ_API_KEY: '', HF_TOKEN: '', LOG_LEVEL: 'silent', ...env },
      timeout: 60_000,
    });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code?: number; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stderr: e.stderr };
  }
}

describe('npm start and npm run deploy say the same', () => {
  it('for a token Discord refuses', async () => {
    const refused = /DISCORD_TOKEN was refused by Discord: reset it in the Developer Portal → Bot → Reset Token/;
    await expect(deployCommands(env({ DISCORD_TOKEN: 'not-the-token' }), () => undefined)).rejects.toThrow(refused);
    const start = await npmStart({ DISCORD_TOKEN: 'not-the-token', DISCORD_API_URL: discord.restApi });
    expect(start.code).toBe(2);
    expect(start.stderr).toMatch(refused);
  });

  it('for a Discord that cannot be reached, naming the URL', async () => {
    const api = `${await closedPortUrl()}/api`;
    const unreachable = new RegExp(`cannot reach Discord at ${api.replace(/[.]/g, '\\.')} \\(ECONNREFUSED\\): check the network connection and DISCORD_API_URL`);
    await expect(deployCommands(env({ DISCORD_API_URL: api }), () => undefined)).rejects.toThrow(unreachable);
    const start = await npmStart({ DISCORD_TOKEN: discord.token, DISCORD_API_URL: api });
    expect(start.code).toBe(1);
    expect(start.stderr).toMatch(unreachable);
  });
});
