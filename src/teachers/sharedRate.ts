/**
 * A teacher's per-minute quota shared by every process that calls it (the workers of a cluster):
 * one schedule per teacher on Redis (the server's clock), each call reserving the next start slot,
 * `window / rpm` after the previous one. N workers together so send at most `rpm` requests in any
 * window, evenly — no burst at the turn of a minute, which a provider counting a sliding minute
 * would answer with 429s (rate-limiter-flexible's Redis limiter counts fixed windows, which lets
 * twice the quota through across a window boundary).
 */
import type { Redis } from 'ioredis';
import type { GenerateOutcome, Teacher } from './types.ts';

export interface SharedRateWindow {
  /** Waits until a call may start within the shared quota; false when `signal` aborted first. */
  acquire(teacherId: string, rpm: number, windowMs: number, signal?: AbortSignal): Promise<boolean>;
}

/** Reserves the next start of the teacher's schedule; returns how many ms until it. */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local spacing = tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[1]) or '-1e15')
local start = math.max(now, last + spacing)
redis.call('SET', KEYS[1], start, 'PX', math.ceil(start - now + spacing) + 1000)
return math.ceil(start - now)`;

/**
 * The schedule spreads `rpm` calls over a slightly longer window than the provider's: between the
 * start slot here and the request's arrival there is a network and an event loop, and calls must
 * not bunch up inside one window of the provider.
 */
export function windowWithMargin(windowMs: number): number {
  return Math.round(windowMs * 1.05) + 250;
}

export class RedisRateWindow implements SharedRateWindow {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async acquire(teacherId: string, rpm: number, windowMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    const spacing = windowWithMargin(windowMs) / rpm;
    const wait = Number(await this.redis.eval(RESERVE, 1, `${this.prefix}:rate:${teacherId}`, spacing));
    // A call cancelled while it waits leaves its slot unused: the quota is never exceeded, only not fully used.
    return sleep(wait, signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!signal?.aborted);
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
