/**
 * The one pino logger. API keys never reach a log line: known secret fields are redacted by
 * path, and every secret value registered at start-up is scrubbed from messages and error
 * texts too, because an SDK error can echo a request (and its key) back into a message.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';

const secrets = new Set<string>();

/** Registers values (API keys, tokens) that must never appear in a log line. */
export function registerSecrets(...values: (string | undefined)[]): void {
  for (const value of values) if (value && value.length >= 6) secrets.add(value);
}

export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { type: value.name, message: scrubSecrets(value.message), stack: value.stack && scrubSecrets(value.stack) };
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, depth + 1)]));
}

export const REDACTED_PATHS = [
  'apiKey',
  'token',
  'authorization',
  '*.apiKey',
  '*.token',
  '*.authorization',
  '*.headers.authorization',
  '*.headers["x-goog-api-key"]',
  'config.GEMINI_API_KEY',
  'config.GROQ_API_KEY',
  'config.HF_TOKEN',
  'config.DISCORD_TOKEN',
];

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { app: 'zega' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        // Scrub every argument (merge object and message) before pino serialises it.
        const cleaned = args.map((arg) => scrubDeep(arg)) as Parameters<typeof method>;
        method.apply(this, cleaned);
      },
    },
  };
  // stderr, so the CLI's stdout carries nothing but its output (`train --json` prints pure JSON).
  return pino(options, destination ?? pino.destination(2));
}
