/**
 * One interface over the four provider SDKs, shaped like the Vercel AI SDK's providers:
 * a factory takes base URL, key and `fetch`, and returns a Teacher whose `generate`
 * never throws — every failure comes back classified, so a run can count and explain it.
 */

import type { TeacherLimiter } from './limits/limiter.ts';

export type Provider = 'gemini' | 'groq' | 'huggingface' | 'ollama';

export const PROVIDERS: readonly Provider[] = ['gemini', 'groq', 'huggingface', 'ollama'];

/** Generation settings in provider-neutral names; each adapter maps them to its SDK. */
export interface GenerationSettings {
  temperature: number;
  topP: number;
  maxTokens: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A structured reply: JSON that follows `schema`, sent through each provider's structured-output field. */
export interface ResponseFormat {
  /** Name of the schema (letters, digits, "_" and "-"), for providers that name it. */
  name: string;
  /** JSON Schema of the reply (types, enum, arrays, required: the subset every provider takes). */
  schema: Record<string, unknown>;
}

export interface GenerateRequest {
  /** System instruction, user prompt and optional few-shot turns. */
  messages: ChatMessage[];
  settings: GenerationSettings;
  /** Ask for JSON of this shape (the jury's ballot); absent for stories. */
  responseFormat?: ResponseFormat;
  /** Aborted when the run is cancelled; the adapter adds its own per-call deadline on top. */
  signal?: AbortSignal;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** What a reply said about the provider's limits (headers or error body), for the limiter. */
export interface RateSignals {
  retryAfterMs?: number;
  /** Requests per minute the provider named. */
  limitPerMinute?: number;
  /** Requests left until `resetMs` (x-ratelimit-remaining-requests / -reset-requests). */
  remaining?: number;
  resetMs?: number;
}

export interface Generation {
  text: string;
  settings: GenerationSettings;
  latencyMs: number;
  usage: TokenUsage;
  /** Provider finish reason normalised to lower case (`stop`, `length`, ...), `unknown` if absent. */
  finishReason: string;
  rate?: RateSignals;
}

export type TeacherFailureKind =
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'bad_reply'
  | 'empty_output'
  | 'auth'
  | 'client_error'
  | 'network'
  /** Zega itself failed around the call (a bug, not the provider's doing): never reported as cancelled. */
  | 'internal'
  | 'cancelled';

export interface TeacherFailure {
  kind: TeacherFailureKind;
  /** Short human-readable reason; never contains an API key. */
  message: string;
  /** HTTP status when the provider answered. */
  status?: number;
  /** For `rate_limited`: how long the provider asked us to wait. */
  retryAfterMs?: number;
  /** For `rate_limited`: the server is busy (too many calls at once) rather than over a quota. */
  overloaded?: boolean;
  rate?: RateSignals;
  latencyMs: number;
}

export type GenerateOutcome =
  | { ok: true; generation: Generation }
  | { ok: false; failure: TeacherFailure };

export interface TeacherInfo {
  /** Stable id, e.g. `groq-llama-3.3-70b`; used in statistics and leaderboards. */
  id: string;
  provider: Provider;
  model: string;
  defaults: GenerationSettings;
}

export interface Teacher extends TeacherInfo {
  generate(request: GenerateRequest): Promise<GenerateOutcome>;
  /** Admission of this teacher's calls, shared by every run of the process; none = unlimited. */
  limiter?: TeacherLimiter;
}

/** What every adapter factory takes, besides provider-specific bits. */
export interface TeacherFactoryOptions extends TeacherInfo {
  apiKey?: string;
  baseUrl?: string;
  /** Injected so tests and proxies can observe or reroute traffic; defaults to global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Deadline of one call, in milliseconds. */
  timeoutMs?: number;
}
