/**
 * One SDK client per teacher, yet a deadline and response headers per call: each call hands its
 * SDK a `fetch` bound to the call's scope (as a per-call option where the SDK takes one). The SDKs
 * hide response headers in places (Hugging Face and Ollama errors), so the scope keeps the last
 * response's headers for the adapter to read rate-limit signals from.
 *
 * Not AsyncLocalStorage: on Node 20 it turns on promise hooks for the whole process, which cost
 * every promise of a run (measured: about 4 % of a run's CPU and of its garbage).
 */
import { parseRetryAfter } from './failure.ts';
import type { RateSignals } from './types.ts';

export interface CallScope {
  /** The call's deadline and the caller's cancellation. */
  signal: AbortSignal;
  /** Headers of the last response of this call. */
  headers?: Headers;
}

/** The `fetch` of one call: adds the call's signal and records its response headers. */
export function callFetch(base: typeof globalThis.fetch, scope: CallScope): typeof globalThis.fetch {
  return async (input, init) => {
    // An SDK that passes a signal got the call's deadline signal from the adapter (Hugging Face);
    // one that passes none (Ollama) gets it here. Not combining them saves a signal per call.
    const response = await base(input, init?.signal ? init : { ...init, signal: scope.signal });
    scope.headers = response.headers;
    return response;
  };
}

/** Groq-style durations: "7.66s", "2m59.56s", "1h2m3s", "250ms". */
export function parseResetDuration(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(value.trim());
  if (!match || match[0] === '') return undefined;
  const [, h, m, s, ms] = match;
  return Math.round(Number(h ?? 0) * 3_600_000 + Number(m ?? 0) * 60_000 + Number(s ?? 0) * 1000 + Number(ms ?? 0));
}

/**
 * Rate-limit signals of response headers: `retry-after`, and the request budget
 * (`x-ratelimit-remaining-requests` until `x-ratelimit-reset-requests`). Groq's
 * `x-ratelimit-limit-requests` is a per-day figure, so it is not read as a per-minute limit.
 */
export function rateSignalsFromHeaders(headers: Headers | undefined, now = Date.now()): RateSignals | undefined {
  if (!headers) return undefined;
  const signals: RateSignals = {};
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfterMs !== undefined) signals.retryAfterMs = retryAfterMs;
  const remaining = Number(headers.get('x-ratelimit-remaining-requests') ?? Number.NaN);
  const resetMs = parseResetDuration(headers.get('x-ratelimit-reset-requests'));
  if (Number.isFinite(remaining) && remaining >= 0) signals.remaining = remaining;
  if (resetMs !== undefined) signals.resetMs = resetMs;
  return Object.keys(signals).length > 0 ? signals : undefined;
}
