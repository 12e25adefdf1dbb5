/**
 * Keeps this bot inside each model's quota. One limiter per teacher, shared by every run of the
 * process, so several users' runs together still send at most `rpm` requests a minute to a model
 * (a sliding window: no burst at the turn of a minute) and at most `concurrency` at once.
 * Time spent waiting here is not part of the per-call deadline, and a cancelled run leaves the
 * queue at once.
 */
import PQueue from 'p-queue';
import { failure } from './failure.ts';
import type { GenerateOutcome, Teacher } from './types.ts';

export interface RateLimit {
  /** Requests per minute; undefined = no per-minute limit (e.g. a local Ollama). */
  rpm?: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Length of the rate window; one minute except in tests. */
  windowMs?: number;
}

export function withRateLimit(teacher: Teacher, limit: RateLimit): Teacher {
  const queue = new PQueue({
    concurrency: limit.concurrency,
    ...(limit.rpm ? { interval: limit.windowMs ?? 60_000, intervalCap: limit.rpm, strict: true } : {}),
  });
  return {
    id: teacher.id,
    provider: teacher.provider,
    model: teacher.model,
    defaults: teacher.defaults,
    async generate(request): Promise<GenerateOutcome> {
      const queuedAt = Date.now();
      try {
        return await queue.add(() => teacher.generate(request), { signal: request.signal });
      } catch (err) {
        const latencyMs = Date.now() - queuedAt;
        // p-queue rejects when the signal fired before the call started: a real cancellation.
        if (request.signal?.aborted) return { ok: false, failure: { kind: 'cancelled', message: 'cancelled while waiting for the rate limit', latencyMs } };
        // Anything else is an error and is reported as one, never disguised as a cancellation.
        return { ok: false, failure: failure('internal', `${teacher.id} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`, latencyMs) };
      }
    },
  };
}
