/**
 * One teacher call through its limiter, with the one retry policy of Zega (the SDKs' own retries
 * are switched off in the adapters, so retries never stack): at most one retry per call, only for
 * failures a retry can fix, and only if the limiter admits it soon. Every answer is reported to
 * the limiter, so it learns the provider's real limits from what the provider says.
 */
import { systemClock, type Clock } from '../teachers/limits/clock.ts';
import { unlimitedLimiter, type Permit, type RateReport, type TeacherLimiter } from '../teachers/limits/limiter.ts';
import { failure } from '../teachers/failure.ts';
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

/** What the limiter learns from one answer. */
export function rateReport(outcome: GenerateOutcome): RateReport {
  if (outcome.ok) return { outcome: 'ok', latencyMs: outcome.generation.latencyMs, ...outcome.generation.rate };
  const { failure } = outcome;
  const kind = failure.kind === 'rate_limited' ? (failure.overloaded ? 'overloaded' : 'rate_limited') : 'other';
  return { outcome: kind, latencyMs: failure.latencyMs, ...failure.rate, ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}) };
}

export interface AskResult {
  outcome: GenerateOutcome;
  /** HTTP calls made (1 or 2). */
  attempts: number;
}

export interface AskOptions {
  /** A permit already granted for the first call; without one, the first call acquires its own. */
  permit?: Permit;
  /** How long a call (first without permit, or the retry) may wait for the limiter. */
  maxWaitMs: number;
  clock?: Clock;
  /** false: one call only (a breaker's probe must be judged on its own answer). */
  retry?: boolean;
  /** Told of a first failure that will be retried, as soon as it happens (breakers count it). */
  onRetry?: (failure: TeacherFailure) => void;
}

const limiterOf = (teacher: Teacher): TeacherLimiter => teacher.limiter ?? unlimitedLimiter;

/**
 * An adapter that throws instead of answering has a bug: that is an error and is reported as one,
 * never disguised as a cancellation (only a fired signal makes a call cancelled).
 */
function thrownOutcome(teacher: Teacher, request: GenerateRequest, err: unknown, startedAt: number, clock: Clock): GenerateOutcome {
  const latencyMs = clock.now() - startedAt;
  if (request.signal?.aborted) return { ok: false, failure: failure('cancelled', 'cancelled by the caller', latencyMs) };
  return { ok: false, failure: failure('internal', `${teacher.id} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`, latencyMs) };
}

async function callOnce(teacher: Teacher, request: GenerateRequest, permit: Permit, clock: Clock): Promise<GenerateOutcome> {
  const startedAt = clock.now();
  try {
    const outcome = await teacher.generate(request).catch((err: unknown) => thrownOutcome(teacher, request, err, startedAt, clock));
    if (!(outcome.ok === false && outcome.failure.kind === 'cancelled')) limiterOf(teacher).observe(rateReport(outcome));
    return outcome;
  } finally {
    permit.release();
  }
}

const notAdmitted = (): GenerateOutcome => ({ ok: false, failure: { kind: 'cancelled', message: 'no slot within the wait allowed', latencyMs: 0 } });

/**
 * Calls the teacher once, and once more for a retryable failure. A call the limiter does not
 * admit in time is returned as `cancelled` with 0 attempts (nothing was sent).
 */
export async function askTeacher(teacher: Teacher, request: GenerateRequest, options: AskOptions = { maxWaitMs: MAX_RETRY_WAIT_MS }): Promise<AskResult> {
  const clock = options.clock ?? systemClock;
  const limiter = limiterOf(teacher);
  const permit = options.permit ?? (await limiter.acquire({ maxWaitMs: options.maxWaitMs, signal: request.signal }));
  if (!permit) return { outcome: notAdmitted(), attempts: 0 };
  const first = await callOnce(teacher, request, permit, clock);
  if (first.ok) return { outcome: first, attempts: 1 };
  const delay = options.retry === false ? undefined : retryDelay(first.failure);
  if (delay === undefined) return { outcome: first, attempts: 1 };
  options.onRetry?.(first.failure);
  const waited = await clock.sleep(delay, request.signal);
  if (!waited) return { outcome: { ok: false, failure: { ...first.failure, kind: 'cancelled', message: 'cancelled before retry' } }, attempts: 1 };
  const again = await limiter.acquire({ maxWaitMs: options.maxWaitMs, signal: request.signal });
  if (!again) return { outcome: first, attempts: 1 };
  return { outcome: await callOnce(teacher, request, again, clock), attempts: 2 };
}
