/**
 * A teacher's per-minute quota shared by every process that calls it (the workers of a cluster):
 * a sliding-window log on Redis (one sorted set per teacher, the server's clock), so N workers
 * together send at most `rpm` requests in any window, with no burst at the turn of a minute. A
 * fixed-window counter (rate-limiter-flexible's RateLimiterRedis) would let twice the quota
 * through across a window boundary, which a provider counting a sliding minute answers with 429s.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { GenerateOutcome, Teacher } from './types.ts';

export interface SharedRateWindow {
  /** Waits until a call may start within the shared quota; false when `signal` aborted first. */
  acquire(teacherId: string, rpm: number, windowMs: number, signal?: AbortSignal): Promise<boolean>;
}

/** Returns 0 when the call may start now (and records it), else how many ms until the oldest call leaves the window. */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1]); local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3] .. now)
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)`;

/**
 * Calls are counted over a slightly longer window than the provider's: between the admission here
 * and the request's arrival there is a network and an event loop, and two calls admitted exactly a
 * window apart must not land inside one window of the provider.
 */
export function windowWithMargin(windowMs: number): number {
  return Math.round(windowMs * 1.05) + 50;
}

export class RedisRateWindow implements SharedRateWindow {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async acquire(teacherId: string, rpm: number, windowMs: number, signal?: AbortSignal): Promise<boolean> {
    const key = `${this.prefix}:rate:${teacherId}`;
    const member = `${randomBytes(6).toString('hex')}:`;
    for (;;) {
      if (signal?.aborted) return false;
      const wait = Number(await this.redis.eval(ACQUIRE, 1, key, windowWithMargin(windowMs), rpm, member));
      if (wait === 0) return true;
      // A little spread, so the workers waiting for the same slot do not all ask at once.
      if (!(await sleep(wait + Math.floor(Math.random() * 15), signal))) return false;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The teacher, each call admitted by the shared window first (its own concurrency limit stays per process). */
export function withSharedRate(teacher: Teacher, window: SharedRateWindow, rpm: number, windowMs = 60_000): Teacher {
  return {
    ...teacher,
    async generate(request): Promise<GenerateOutcome> {
      const queuedAt = Date.now();
      if (!(await window.acquire(teacher.id, rpm, windowMs, request.signal)))
        return { ok: false, failure: { kind: 'cancelled', message: 'cancelled while waiting for the rate limit', latencyMs: Date.now() - queuedAt } };
      return teacher.generate(request);
    },
  };
}
