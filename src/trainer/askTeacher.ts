/**
 * The one retry policy of Zega (the SDKs' own retries are switched off in the adapters, so
 * retries never stack): at most one retry per call, only for failures that a retry can fix,
 * and never waiting longer than MAX_RETRY_WAIT_MS for a rate limit.
 */
import type { GenerateOutcome, GenerateRequest, Teacher, TeacherFailure } from '../teachers/types.ts';

export const MAX_RETRY_WAIT_MS = 10_000;
const SERVER_RETRY_DELAY_MS = 1_000;

export function retryDelay(failure: TeacherFailure): number | undefined {
  switch (failure.kind) {
    case 'rate_limited':
      return failure.retryAfterMs !== undefined && failure.retryAfterMs <= MAX_RETRY_WAIT_MS ? failure.retryAfterMs : undefined;
    case 'server_error':
    case 'network':
      return SERVER_RETRY_DELAY_MS;
    default:
      return undefined;
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface AskResult {
  outcome: GenerateOutcome;
  /** HTTP calls made (1 or 2). */
  attempts: number;
}

export async function askTeacher(teacher: Teacher, request: GenerateRequest): Promise<AskResult> {
  const first = await teacher.generate(request);
  if (first.ok) return { outcome: first, attempts: 1 };
  const delay = retryDelay(first.failure);
  if (delay === undefined) return { outcome: first, attempts: 1 };
  const waited = await abortableSleep(delay, request.signal);
  if (!waited) return { outcome: { ok: false, failure: { ...first.failure, kind: 'cancelled', message: 'cancelled before retry' } }, attempts: 1 };
  const second = await teacher.generate(request);
  return { outcome: second, attempts: 2 };
}
