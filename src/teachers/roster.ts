/**
 * Which teachers exist (the roster) and which of them this process can use (enabled = its
 * provider is configured). The default roster is the product's 7: 2 Gemini, 2 Groq, 2 Hugging
 * Face, 1 Ollama; `TEACHERS_FILE` replaces it with a JSON array of the same shape.
 */
import { z } from 'zod';
import type { Config } from '../config/env.ts';
import { InputFileError, readInputFile } from '../config/inputFile.ts';
import { createGeminiTeacher } from './gemini.ts';
import { createGroqTeacher } from './groq.ts';
import { createHuggingFaceTeacher } from './huggingface.ts';
import { createOllamaTeacher } from './ollama.ts';
import type { Clock } from './limits/clock.ts';
import { LearnedLimiter } from './limits/learnedLimiter.ts';
import { SharedLimiter, type SharedRateWindow } from './sharedRate.ts';
import { PROVIDERS, type Provider, type Teacher, type TeacherFactoryOptions } from './types.ts';

/** High enough that RUN_CONCURRENCY (at most 64 examples at once) is the real knob. */
export const DEFAULT_TEACHER_CONCURRENCY = 64;

const rosterEntrySchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,62}$/, 'ids are lower-case letters, digits, ".", "_" or "-" (2–63 characters)'),
  provider: z.enum(PROVIDERS as [Provider, ...Provider[]]),
  model: z.string().min(1),
  temperature: z.number().min(0).max(2).default(0.9),
  top_p: z.number().gt(0).max(1).default(0.95),
  max_tokens: z.number().int().min(16).max(8192).default(600),
  /** Requests per minute to start from (free-tier quotas are low); the limiter then follows what the provider reports. */
  rpm: z.number().int().min(1).max(100_000).optional(),
  /** Hard ceiling on requests per minute that no learned limit passes. */
  max_rpm: z.number().int().min(1).max(100_000).optional(),
  /** Calls in flight at once to this model, across all runs of the process. */
  concurrency: z.number().int().min(1).max(1_000).default(DEFAULT_TEACHER_CONCURRENCY),
});

export type RosterEntry = z.output<typeof rosterEntrySchema>;

export const rosterSchema = z
  .array(rosterEntrySchema)
  .min(1, 'the roster needs at least one teacher')
  .refine((entries) => new Set(entries.map((e) => e.id)).size === entries.length, 'teacher ids must be unique');

export const DEFAULT_ROSTER: RosterEntry[] = [
  { id: 'gemini-2.5-flash', provider: 'gemini', model: 'gemini-2.5-flash', temperature: 0.9, top_p: 0.95, max_tokens: 600, rpm: 10, concurrency: DEFAULT_TEACHER_CONCURRENCY },
  { id: 'gemini-2.5-flash-lite', provider: 'gemini', model: 'gemini-2.5-flash-lite', temperature: 0.9, top_p: 0.95, max_tokens: 600, rpm: 15, concurrency: DEFAULT_TEACHER_CONCURRENCY },
  { id: 'groq-llama-3.3-70b', provider: 'groq', model: 'llama-3.3-70b-versatile', temperature: 0.9, top_p: 0.9, max_tokens: 600, rpm: 30, concurrency: DEFAULT_TEACHER_CONCURRENCY },
  { id: 'groq-llama-3.1-8b', provider: 'groq', model: 'llama-3.1-8b-instant', temperature: 1.0, top_p: 0.9, max_tokens: 600, rpm: 30, concurrency: DEFAULT_TEACHER_CONCURRENCY },
  { id: 'hf-qwen2.5-7b', provider: 'huggingface', model: 'Qwen/Qwen2.5-7B-Instruct', temperature: 0.8, top_p: 0.9, max_tokens: 600, rpm: 30, concurrency: DEFAULT_TEACHER_CONCURRENCY },
  { id: 'hf-mistral-7b', provider: 'huggingface', model: 'mistralai/Mistral-7B-Instruct-v0.3', temperature: 0.8, top_p: 0.95, max_tokens: 600, rpm: 30, concurrency: DEFAULT_TEACHER_CONCURRENCY },
  { id: 'ollama-llama3.2', provider: 'ollama', model: 'llama3.2', temperature: 0.8, top_p: 0.9, max_tokens: 600, concurrency: DEFAULT_TEACHER_CONCURRENCY },
];

export async function loadRoster(file: string | undefined): Promise<RosterEntry[]> {
  if (!file) return DEFAULT_ROSTER;
  const raw = await readInputFile(file, 'TEACHERS_FILE');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new InputFileError(`TEACHERS_FILE ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = rosterSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InputFileError(`TEACHERS_FILE ${file} is not a valid roster:\n  - ${problems.join('\n  - ')}`);
  }
  return parsed.data;
}

/** Connection settings of one provider; undefined when the provider is not configured. */
export interface ProviderConnection {
  apiKey?: string;
  baseUrl?: string;
}

export type ProviderConnections = Partial<Record<Provider, ProviderConnection>>;

/** Providers configured by the environment. Ollama needs no key; its reachability is probed separately. */
export function connectionsFromConfig(config: Config, ollamaReachable: boolean): ProviderConnections {
  const connections: ProviderConnections = {};
  if (config.GEMINI_API_KEY) connections.gemini = { apiKey: config.GEMINI_API_KEY, baseUrl: config.GEMINI_BASE_URL };
  if (config.GROQ_API_KEY) connections.groq = { apiKey: config.GROQ_API_KEY, baseUrl: config.GROQ_BASE_URL };
  if (config.HF_TOKEN) connections.huggingface = { apiKey: config.HF_TOKEN, baseUrl: config.HF_BASE_URL };
  if (config.OLLAMA_HOST !== 'off' && ollamaReachable) connections.ollama = { baseUrl: config.OLLAMA_HOST };
  return connections;
}

/** What to configure for each provider, for the message of a run that has no teacher. */
export const PROVIDER_SETUP: Record<Provider, string> = {
  gemini: 'set GEMINI_API_KEY',
  groq: 'set GROQ_API_KEY',
  huggingface: 'set HF_TOKEN',
  ollama: 'run Ollama (ollama serve) and set OLLAMA_HOST if it is not on http://127.0.0.1:11434',
};

const factories: Record<Provider, (options: TeacherFactoryOptions) => Teacher> = {
  gemini: createGeminiTeacher,
  groq: createGroqTeacher,
  huggingface: createHuggingFaceTeacher,
  ollama: createOllamaTeacher,
};

export interface BuildTeachersOptions {
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  /** Overrides the roster's `concurrency` of every teacher. */
  concurrencyPerTeacher?: number;
  /** Ignore the roster's `rpm` and `max_rpm` (RATE_LIMITS=off: self-hosted gateways, loopback simulators). */
  unlimited?: boolean;
  /** Length of the providers' rate window; one minute except in tests and benchmarks. */
  rateWindowMs?: number;
  /** Where the roster's `rpm` is counted when several processes share each quota (Redis); default: in this process only. */
  sharedRate?: SharedRateWindow;
  clock?: Clock;
}

/** The enabled teachers, in roster order (roster order breaks voting ties). */
export function buildTeachers(roster: RosterEntry[], connections: ProviderConnections, options: BuildTeachersOptions = {}): Teacher[] {
  return roster.flatMap((entry) => {
    const connection = connections[entry.provider];
    if (!connection) return [];
    const teacher = factories[entry.provider]({
        id: entry.id,
        provider: entry.provider,
        model: entry.model,
        defaults: { temperature: entry.temperature, topP: entry.top_p, maxTokens: entry.max_tokens },
        apiKey: connection.apiKey,
        baseUrl: connection.baseUrl,
        fetch: options.fetch,
        timeoutMs: options.timeoutMs,
    });
    // One limiter per teacher for the whole process, so every run together stays in the quota.
    const local = new LearnedLimiter({
      ...(options.unlimited ? {} : { rpm: entry.rpm, maxRpm: entry.max_rpm }),
      concurrency: options.concurrencyPerTeacher ?? entry.concurrency,
      ...(options.rateWindowMs ? { windowMs: options.rateWindowMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    // In a cluster the roster's rpm is the whole cluster's: each start also takes a slot of the shared schedule.
    const sharedRpm = options.unlimited ? undefined : (entry.max_rpm ?? entry.rpm);
    teacher.limiter = options.sharedRate && sharedRpm !== undefined ? new SharedLimiter(local, options.sharedRate, entry.id, sharedRpm, options.rateWindowMs ?? 60_000) : local;
    return [teacher];
  });
}

export function missingTeachersMessage(roster: RosterEntry[]): string {
  const providers = [...new Set(roster.map((e) => e.provider))];
  return `No teacher is enabled. Configure at least one provider: ${providers.map((p) => `${p}: ${PROVIDER_SETUP[p]}`).join('; ')}.`;
}

/** Ollama has no key, so "configured" means "answers": a short probe of its version endpoint. */
export async function probeOllama(host: string, timeoutMs = 1500, fetchImpl: typeof fetch = fetch): Promise<boolean> {
  if (host === 'off') return false;
  try {
    const res = await fetchImpl(new URL('/api/version', host), { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}
