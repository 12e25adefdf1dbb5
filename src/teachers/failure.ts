/**
 * Classification shared by every adapter, so the same HTTP status means the same failure kind
 * whichever SDK reported it, and so the per-call deadline is built one way everywhere.
 */
import { redactSecrets } from '../security/redact.ts';
import type { GenerateOutcome, GenerationSettings, TeacherFailure, TeacherFailureKind } from './types.ts';

/** Default deadline of one generation call. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export function kindForStatus(status: number): TeacherFailureKind {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  return 'client_error';
}

export function failure(kind: TeacherFailureKind, message: string, latencyMs: number, extra: Partial<TeacherFailure> = {}): TeacherFailure {
  return { kind, message: truncateMessage(message), latencyMs, ...extra };
}

/** Longest failure message kept: provider error bodies can be long (and may echo request data). */
export const MAX_FAILURE_MESSAGE = 300;

/**
 * One line of at most `max` characters with every secret redacted — redacted FIRST, so a key
 * straddling the cut cannot survive in part.
 */
export function truncateMessage(message: string, max = MAX_FAILURE_MESSAGE): string {
  const oneLine = redactSecrets(message).replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** Parses a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface Deadline {
  signal: AbortSignal;
  /** True once the deadline (not the caller) aborted the call. */
  timedOut(): boolean;
  /** True once the caller's signal aborted the call. */
  cancelled(): boolean;
  dispose(): void;
}

/**
 * Combines the caller's cancellation with a per-call timeout. Adapters pass `signal` to their SDK
 * and ask `timedOut()`/`cancelled()` afterwards, because SDKs report both as the same AbortError.
 */
export function deadline(timeoutMs: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => expired,
    cancelled: () => !expired && (parent?.aborted ?? false),
    dispose: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/** undici reports refused/reset connections as `TypeError('fetch failed')` with the errno in `cause`. */
export function networkCause(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (err.message === 'fetch failed') return typeof cause?.message === 'string' ? cause.message : err.message;
  return undefined;
}

/** Provider finish reasons in one vocabulary: `stop`, `length` (token budget reached), or the provider's own word. */
export function normaliseFinishReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason === '') return 'unknown';
  const lower = reason.toLowerCase();
  // Gemini says MAX_TOKENS where OpenAI-style APIs and Ollama say length.
  return lower === 'max_tokens' ? 'length' : lower;
}

/**
 * Longest answer text kept per candidate (about 8,000 tokens, the roster's largest budget): what a
 * run stores per candidate — winner and losers alike — is bounded even when a provider ignores
 * the token budget.
 */
export const MAX_ANSWER_CHARS = 32_000;

const tokenCount = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0);

/**
 * The one way an adapter turns a parsed reply into an outcome: blank text is `empty_output`
 * (with the finish reason, which usually says why), token counts default to 0.
 */
export function generationOutcome(args: {
  provider: string;
  text: string;
  settings: GenerationSettings;
  latencyMs: number;
  inputTokens: unknown;
  outputTokens: unknown;
  finishReason: unknown;
  /** Why the text is empty when the provider said more than a finish reason (e.g. a blocked prompt). */
  emptyBecause?: string;
}): GenerateOutcome {
  let finishReason = normaliseFinishReason(args.finishReason);
  let text = args.text;
  if (text.length > MAX_ANSWER_CHARS) {
    text = text.slice(0, MAX_ANSWER_CHARS);
    finishReason = 'length';
  }
  if (text.trim() === '') {
    return { ok: false, failure: failure('empty_output', `${args.provider} returned no text: ${args.emptyBecause ?? `finish reason ${finishReason}`}`, args.latencyMs) };
  }
  return {
    ok: true,
    generation: {
      text,
      settings: args.settings,
      latencyMs: args.latencyMs,
      usage: { inputTokens: tokenCount(args.inputTokens), outputTokens: tokenCount(args.outputTokens) },
      finishReason,
    },
  };
}
