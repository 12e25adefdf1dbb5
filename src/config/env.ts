/**
 * Every setting Zega reads, validated once at start-up. Each problem is reported with the
 * variable's name and how to get a valid value, so `npm start` never fails with a stack trace.
 */
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const optionalUrl = optionalString.pipe(
  z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:8080' })
    .optional(),
);

const snowflake = optionalString.pipe(
  z
    .string()
    .regex(/^\d{17,20}$/, 'must be a Discord id (17–20 digits): enable Developer Mode in Discord, right-click, Copy ID')
    .optional(),
);

const positiveInt = (fallback: number, max: number) =>
  optionalString.pipe(z.coerce.number<string | undefined>().int().min(1).max(max).optional()).transform((v) => v ?? fallback);

export const envSchema = z.object({
  GEMINI_API_KEY: optionalString,
  GEMINI_BASE_URL: optionalUrl,
  GROQ_API_KEY: optionalString,
  GROQ_BASE_URL: optionalUrl,
  HF_TOKEN: optionalString,
  HF_BASE_URL: optionalUrl,
  /** `off` disables the Ollama teacher; otherwise it is enabled when this host answers at start-up. */
  OLLAMA_HOST: optionalString
    .pipe(z.union([z.literal('off'), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL or "off"' })]).optional())
    .transform((v) => v ?? 'http://127.0.0.1:11434'),
  STORAGE_URL: optionalString.transform((v) => v ?? 'sqlite://data/zega.sqlite'),
  LOG_LEVEL: optionalString.pipe(z.enum(LOG_LEVELS).optional()).transform((v) => v ?? 'info'),
  TEACHERS_FILE: optionalString,
  /** Deadline of one teacher call. */
  TEACHER_TIMEOUT_MS: positiveInt(60_000, 600_000),
  /** `off` ignores the roster's requests-per-minute limits (self-hosted gateways, loopback simulators). */
  RATE_LIMITS: optionalString.pipe(z.enum(['on', 'off']).optional()).transform((v) => v ?? 'on'),
  /** Length of the providers' rate window for the roster's `rpm` (default one minute; simulators and benchmarks shorten it). */
  RATE_WINDOW_MS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(100).max(3_600_000).optional()).transform((v) => v ?? 60_000),
  /** How many examples of one run are generated at once (each asks every admitted teacher in parallel). */
  RUN_CONCURRENCY: positiveInt(3, 64),
  /** An example asks every teacher that can start within this many ms, and skips the others. */
  SLOT_WAIT_MS: positiveInt(2_000, 600_000),
  /** An example waits until at least this many teachers can be asked (fewer if fewer are enabled). */
  MIN_CANDIDATES: positiveInt(3, 7),
  /** Training runs at once for the whole bot (the whole cluster when scaled); further runs wait in a queue. */
  MAX_CONCURRENT_RUNS: positiveInt(2, 50),
  /**
   * Redis (redis://host:port/db). Set: runs go through a BullMQ queue on it and are executed by
   * worker processes; rate limits, budgets and progress are shared by every process.
   */
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379' }).optional()),
  /** Prefix of every Redis key Zega writes (several deployments, or test runs, can share one Redis). */
  REDIS_PREFIX: optionalString.pipe(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, ".", "_" or "-" (1–64 characters)').optional()).transform((v) => v ?? 'zega'),
  /** Which parts `npm start` runs: everything in one process (all), Discord only (bot) or runs only (worker). */
  ZEGA_ROLE: optionalString.pipe(z.enum(['all', 'bot', 'worker']).optional()).transform((v) => v ?? 'all'),
  /** Runs one worker process executes at once (scaled mode; MAX_CONCURRENT_RUNS still caps the cluster). */
  WORKER_CONCURRENCY: positiveInt(2, 50),
  /** How long a worker holds a run without renewing its lock: a dead worker's run moves to another after about this long. */
  RUN_LOCK_MS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(500).max(600_000).optional()).transform((v) => v ?? 30_000),
  /** On SIGTERM/SIGINT: how long examples in flight may take to finish before they are abandoned. */
  SHUTDOWN_GRACE_MS: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(600_000).optional()).transform((v) => v ?? 20_000),
  /** Discord gateway shards: a number, or auto (Discord's recommendation from GET /gateway/bot). */
  SHARD_COUNT: optionalString.pipe(z.union([z.literal('auto'), z.coerce.number<string>().int().min(1).max(1024)]).optional()).transform((v) => v ?? 'auto'),
  /** Examples one user may train per rolling 24 hours, so nobody can spend the bot's whole quota. */
  DAILY_EXAMPLES_PER_USER: positiveInt(2000, 1_000_000),
  /**
   * Which score decides the 7.0 / 8.0 thresholds: `seed` (the specified final quality) or `story`
   * (the human-aligned story score, docs/scoring.md).
   */
  QUALITY_SCORE: optionalString.pipe(z.enum(['seed', 'story']).optional()).transform((v) => v ?? 'seed'),
  /** Fine-tuning examples per fine-tune round (best parameters and personal model rebuilt). */
  FINE_TUNE_EVERY: positiveInt(50, 10_000),
  /** FROM of the personal Ollama models; must be pulled (`ollama pull llama3.2`). */
  PERSONAL_BASE_MODEL: optionalString.transform((v) => v ?? 'llama3.2'),
  /** Context of the base model in tokens (num_ctx of personal models; bounds their few-shot examples). */
  PERSONAL_CONTEXT_TOKENS: positiveInt(8192, 1_048_576),
  DISCORD_TOKEN: optionalString,
  DISCORD_CLIENT_ID: snowflake,
  DISCORD_GUILD_ID: snowflake,
  DISCORD_API_URL: optionalUrl,
});

export type Config = z.output<typeof envSchema>;

/** Where to get each setting that can be missing; shown next to the variable's name. */
export const HOW_TO_GET: Record<string, string> = {
  GEMINI_API_KEY: 'create a key at Google AI Studio (aistudio.google.com → Get API key)',
  GROQ_API_KEY: 'create a key at console.groq.com → API Keys',
  HF_TOKEN: 'create a token at huggingface.co → Settings → Access Tokens (with "Make calls to Inference Providers")',
  DISCORD_TOKEN: 'Discord Developer Portal → your application → Bot → Reset Token',
  DISCORD_CLIENT_ID: 'Discord Developer Portal → your application → General Information → Application ID',
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '?');
    return `${name} ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** Names the settings a front end needs and does not have, each with where to get it. */
export function requireSettings(config: Config, names: (keyof Config)[]): void {
  const missing = names.filter((name) => config[name] === undefined);
  if (missing.length === 0) return;
  throw new ConfigError(
    missing.map((name) => `${name} is not set: ${HOW_TO_GET[name] ?? 'see .env.example'}; put it in .env`),
  );
}
