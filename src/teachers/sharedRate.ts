/**
 * A teacher's per-minute quota shared by every process that calls it (the workers of a cluster):
 * one schedule per teacher on Redis (the server's clock), each call reserving the next start slot,
 * `window / rpm` after the previous one. N workers together so send at most `rpm` requests in any
 * window, evenly — no burst at the turn of a minute, which a provider counting a sliding minute
 * would answer with 429s (rate-limiter-flexible's Redis limiter counts fixed windows, which lets
 * twice the quota through across a window boundary).
 */
import type { Redis } from 'ioredis';
import type { AcquireOptions, LimitSnapshot, Permit, RateReport, TeacherLimiter } from './limits/limiter.ts';

export interface SharedRateWindow {
  /**
   * Reserves a start within the shared quota and waits for it; false (nothing reserved) when it
   * could not start within `maxWaitMs`, or when `signal` aborted first.
   */
  acquire(teacherId: string, rpm: number, windowMs: number, options?: Partial<AcquireOptions>): Promise<boolean>;
}

/**
 * Reserves the next start of the teacher's schedule unless it is more than ARGV[2] ms away;
 * returns the wait (ms), or -1 - wait when it was not reserved.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local spacing = tonumber(ARGV[1])
local maxWait = tonumber(ARGV[2])
local last = tonumber(redis.call('GET', KEYS[1]) or '-1e15')
local start = math.max(now, last + spacing)
local wait = math.ceil(start - now)
if wait > maxWait then return -1 - wait end
redis.call('SET', KEYS[1], start, 'PX', math.ceil(start - now + spacing) + 1000)
return wait`;

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

  async acquire(teacherId: string, rpm: number, windowMs: number, options: Partial<AcquireOptions> = {}): Promise<boolean> {
    if (options.signal?.aborted) return false;
    const spacing = windowWithMargin(windowMs) / rpm;
    const maxWait = options.maxWaitMs ?? Number.MAX_SAFE_INTEGER;
    const wait = Number(await this.redis.eval(RESERVE, 1, `${this.prefix}:rate:${teacherId}`, spacing, maxWait));
    if (wait < 0) return false;
    // A call cancelled while it waits leaves its slot unused: the quota is never exceeded, only not fully used.
    return sleep(wait, options.signal);
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

/**
 * A teacher's limiter in a cluster: this process's own limiter (calls in flight, what the provider
 * said, backing off) and, before each start, a slot of the quota the whole cluster shares.
 */
export class SharedLimiter implements TeacherLimiter {
  constructor(
    private readonly local: TeacherLimiter,
    private readonly shared: SharedRateWindow,
    private readonly teacherId: string,
    private readonly rpm: number,
    private readonly windowMs: number,
  ) {}

  waitEstimate(): number {
    return this.local.waitEstimate();
  }

  async acquire(options: AcquireOptions): Promise<Permit | null> {
    const asked = Date.now();
    const permit = await this.local.acquire(options);
    if (!permit) return null;
    const left = Math.max(0, options.maxWaitMs - (Date.now() - asked));
    if (await this.shared.acquire(this.teacherId, this.rpm, this.windowMs, { maxWaitMs: left, ...(options.signal ? { signal: options.signal } : {}) })) return permit;
    permit.release();
    return null;
  }

  observe(report: RateReport): void {
    this.local.observe(report);
  }

  snapshot(): LimitSnapshot {
    return this.local.snapshot();
  }
}
