/**
 * What `npm start` and `npm run deploy` say when Discord cannot be used: the same clear line for
 * a refused token (a configuration error, exit 2) and for a Discord that cannot be reached
 * (naming the URL), instead of discord.js's "An invalid token was provided." or a raw ECONNREFUSED.
 */
import { ConfigError } from '../config/env.ts';

/** Where discord.js goes without DISCORD_API_URL. */
const DEFAULT_DISCORD_API = 'https://discord.com/api';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

export class DiscordUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiscordUnreachableError';
  }
}

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (e.message === 'fetch failed' && !(e.cause instanceof Error)) return 'fetch failed';
  }
  return undefined;
}

/** `err` from logging in or calling Discord's REST API, explained; other errors come back unchanged. */
export function explainDiscordFailure(err: unknown, apiUrl: string | undefined): unknown {
  const { code, status } = (err ?? {}) as { code?: unknown; status?: unknown };
  if (code === 'TokenInvalid' || status === 401) {
    return new ConfigError(['DISCORD_TOKEN was refused by Discord: reset it in the Developer Portal → Bot → Reset Token, and put the new one in .env']);
  }
  if (code === 50001 || code === 10004) {
    return new ConfigError(['DISCORD_GUILD_ID names a server the bot is not in: invite the bot there (OAuth2 → URL Generator) or fix DISCORD_GUILD_ID']);
  }
  const network = networkCode(err);
  if (network) {
    const url = apiUrl ?? DEFAULT_DISCORD_API;
    return new DiscordUnreachableError(`cannot reach Discord at ${url} (${network}): check the network connection${apiUrl ? ' and DISCORD_API_URL' : ''}`);
  }
  return err;
}
