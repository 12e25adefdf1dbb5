/**
 * The one pino logger. API keys never reach a log line: known secret fields are redacted by
 * path, and every string (messages, error texts, nested fields) goes through the one redaction
 * (`src/security/redact.ts`), because an SDK error can echo a request (and its key) back.
 * Errors are serialised by pino's own serializer, so a Discord error keeps its `code`, `status`,
 * `url` and `cause`; only strings are changed.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';
import { redactSecrets, registerSecrets } from './security/redact.ts';

export { registerSecrets };

/** `value` with secrets redacted in every string it holds; numbers, booleans and shapes are kept. */
function scrubStrings(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[…]';
  seen.add(value);
  // pino's serializer keeps own enumerable fields (code, status, url, method, rawError) and the cause chain.
  if (value instanceof Error) return scrubStrings(pino.stdSerializers.errWithCause(value), depth + 1, seen);
  if (Array.isArray(value)) return value.map((v) => scrubStrings(v, depth + 1, seen));
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubStrings(v, depth + 1, seen)]));
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
    serializers: { err: (err: unknown) => scrubStrings(err) },
    hooks: {
      logMethod(args, method) {
        // Scrub every argument (merge object and message) before pino serialises it.
        const cleaned = args.map((arg) => scrubStrings(arg)) as Parameters<typeof method>;
        method.apply(this, cleaned);
      },
    },
  };
  // stderr, so the CLI's stdout carries nothing but its output (`train --json` prints pure JSON).
  return pino(options, destination ?? pino.destination(2));
}
