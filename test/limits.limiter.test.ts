import { describe, expect, it } from 'vitest';
import { LearnedLimiter } from '../src/teachers/limits/learnedLimiter.ts';
import type { Permit } from '../src/teachers/limits/limiter.ts';
import { ManualClock, settle } from './helpers/manualClock.ts';

const MINUTE = 60_000;

/** Starts `count` calls as soon as the limiter lets them, each answering `ok` after `latencyMs`. */
async function drive(limiter: LearnedLimiter, clock: ManualClock, durationMs: number, opts: { latencyMs?: number; step?: number; answer?: () => Parameters<LearnedLimiter['observe']>[0]['outcome'] } = {}) {
  const starts: number[] = [];
  const step = opts.step ?? 100;
  const end = clock.now() + durationMs;
  while (clock.now() < end) {
    // Demand always present: ask as an example would, one reservation at a time.
    if (limiter.waitEstimate() <= 2_000) {
      const permit = limiter.acquire({ maxWaitMs: 2_000 });
      void permit.then(async (p) => {
        if (!p) return;
        starts.push(clock.now());
        await clock.sleep(opts.latencyMs ?? 10);
        const outcome = opts.answer?.() ?? 'ok';
        limiter.observe({ outcome, latencyMs: opts.latencyMs ?? 10 });
        p.release();
      });
    }
    await clock.advance(step);
  }
  return starts;
}

const maxInWindow = (times: number[], windowMs: number) => Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));

describe('LearnedLimiter pacing', () => {
  it('spaces calls evenly at the roster rpm: never more than rpm in any window, no burst', async () => {
    const clock = new ManualClock();
    const limiter = new LearnedLimiter({ rpm: 6, maxRpm: 6, concurrency: 10, clock });
    const starts = await drive(limiter, clock, 3 * MINUTE);
    expect(maxInWindow(starts, MINUTE)).toBeLessThanOrEqual(6);
    expect(starts.length).toBeGreaterThanOrEqual(17);
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(10_000);
  });

  it('reserves nothing when a call cannot start within the wait allowed', async () => {
    const clock = new ManualClock();
    const limiter = new LearnedLimiter({ rpm: 1, concurrency: 10, clock });
    expect(await limiter.acquire({ maxWaitMs: 0 })).not.toBeNull();
    const wait = limiter.waitEstimate();
    expect(wait).toBeGreaterThan(59_000);
    expect(await limiter.acquire({ maxWaitMs: 2_000 })).toBeNull();
    expect(limiter.waitEstimate()).toBe(wait);
  });

  it('never has more calls in flight than its concurrency, and a released slot goes to the next in line', async () => {
    const clock = new ManualClock();
    const limiter = new LearnedLimiter({ concurrency: 2, clock });
    const a = (await limiter.acquire({ maxWaitMs: 5_000 })) as Permit;
    await limiter.acquire({ maxWaitMs: 5_000 });
    let third: Permit | null | undefined;
    void limiter.acquire({ maxWaitMs: 5_000 }).then((p) => (third = p));
    await settle();
    expect(third).toBeUndefined();
    expect(limiter.snapshot().inFlight).toBe(2);
    a.release();
    await settle();
    expect(third).not.toBeNull();
    expect(limiter.snapshot().inFlight).toBe(2);
  });

  it('estimates a full in-flight limit from the calls latency', async () => {
    const clock = new ManualClock();
    const limiter = new LearnedLimiter({ concurrency: 1, clock });
    const p = (await limiter.acquire({ maxWaitMs: 0 })) as Permit;
    limiter.observe({ outcome: 'ok', latencyMs: 3_000 });
    expect(limiter.waitEstimate()).toBe(3_000);
    expect(await limiter.acquire({ maxWaitMs: 2_000 })).toBeNull();
    p.release();
    expect(limiter.waitEstimate()).toBe(0);
  });

  it('gives a reservation back when its call is cancelled while waiting', async () => {
    const clock = new ManualClock();
    const limiter = new LearnedLimiter({ rpm: 6, concurrency: 5, clock });
    await limiter.acquire({ maxWaitMs: 0 });
    const before = limiter.waitEstimate();
    const controller = new AbortController();
    const pending = limiter.acquire({ maxWaitMs: 20_000, signal: controller.signal });
    expect(limiter.waitEstimate()).toBeGreaterThan(before);
    controller.abort();
    expect(await pending).toBeNull();
    expect(limiter.waitEstimate()).toBe(before);
  });
});

describe('LearnedLimiter learning', () => {
  it('paces to the per-minute limit a 429 names, pauses for its Retry-After, and one decrease per episode', () => {
    const clock = new ManualClock();
    const limiter = new LearnedLimiter({ rpm: 30, concurrency: 10, clock });
    limiter.observe({ outcome: 'rate_limited', latencyMs: 10, retryAfterMs: 7_000, limitPerMinute: 10 });
    expect(limiter.snapshot()).toMatchObject({ rpm: 9.8, source: 'provider', throttled: 1 });
    expect(limiter.waitEstimate()).toBe(7_000);
    // A second 429 of a call that was already on its way does not lower the pace again.
    limiter.observe({ outcome: 'rate_limited', latencyMs: 500, limitPerMinute: 5 });
    expect(limiter.snapshot().rpm).toBe(9.8);
  });

  it('without a named limit, paces to 98 % of what the provider accepted in the last window', async () => {
    const clock = new ManualClock();
    const limiter = new LearnedLimiter({ rpm: 60, concurrency: 10, clock });
    for (let i = 0; i < 20; i++) {
      limiter.observe({ outcome: 'ok', latencyMs: 10 });
      await clock.advance(1_000);
    }
    limiter.observe({ outcome: 'rate_limited', latencyMs: 10, retryAfterMs: 1_000 });
    expect(limiter.snapshot()).toMatchObject({ rpm: 19.6, source: 'learned' });
  });

  it('raises the pace while calls queue for it and no 429 came (a paid key is found), up to max_rpm', async () => {
    const clock = new ManualClock();
    const limiter = new LearnedLimiter({ rpm: 10, maxRpm: 25, concurrency: 10, clock });
    await drive(limiter, clock, 3 * MINUTE);
    expect(limiter.snapshot()).toMatchObject({ rpm: 25, source: 'learned' });
  });

  it('does not raise a pace nobody is waiting for', async () => {
    const clock = new ManualClock();
    const limiter = new LearnedLimiter({ rpm: 10, concurrency: 10, clock });
    // One call every 20 s against a 10 rpm pace: never held back.
    for (let i = 0; i < 12; i++) {
      expect(limiter.waitEstimate()).toBe(0);
      const p = (await limiter.acquire({ maxWaitMs: 0 })) as Permit;
      limiter.observe({ outcome: 'ok', latencyMs: 10 });
      p.release();
      await clock.advance(20_000);
    }
    expect(limiter.snapshot()).toMatchObject({ rpm: 10, source: 'roster' });
  });

  it('finds a limit 3× the roster and one ⅓ of it, and then stops drawing 429s', async () => {
    for (const real of [30, 10 / 3]) {
      const clock = new ManualClock();
      const limiter = new LearnedLimiter({ rpm: 10, concurrency: 10, clock });
      // A provider with a sliding one-minute quota of `real` requests.
      const accepted: number[] = [];
      const rejected: number[] = [];
      const answer = () => {
        const now = clock.now();
        const inWindow = accepted.filter((t) => t > now - MINUTE).length;
        if (inWindow >= Math.floor(real)) {
          rejected.push(now);
          return 'rate_limited' as const;
        }
        accepted.push(now);
        return 'ok' as const;
      };
      await drive(limiter, clock, 4 * MINUTE, { latencyMs: 0, answer });
      const lastTwoMinutes = accepted.filter((t) => t > clock.now() - 2 * MINUTE).length / 2;
      expect(lastTwoMinutes, `real limit ${real}`).toBeGreaterThanOrEqual(0.8 * Math.floor(real));
      expect(rejected.filter((t) => t > clock.now() - 2 * MINUTE), `real limit ${real}`).toHaveLength(0);
    }
  });

  it('pauses until the reset when the provider says no request is left', async () => {
    const clock = new ManualClock();
    const limiter = new LearnedLimiter({ concurrency: 10, clock });
    limiter.observe({ outcome: 'ok', latencyMs: 10, remaining: 0, resetMs: 4_000 });
    expect(limiter.waitEstimate()).toBe(4_000);
    await clock.advance(4_000);
    expect(limiter.waitEstimate()).toBe(0);
  });

  it('halves the calls in flight when the server says it is busy, and grows them back on success', async () => {
    const clock = new ManualClock();
    const limiter = new LearnedLimiter({ concurrency: 8, clock });
    const permits = await Promise.all(Array.from({ length: 8 }, () => limiter.acquire({ maxWaitMs: 0 })));
    limiter.observe({ outcome: 'overloaded', latencyMs: 5, retryAfterMs: 1_000 });
    expect(limiter.snapshot().concurrency).toBe(4);
    for (const p of permits) p?.release();
    limiter.observe({ outcome: 'ok', latencyMs: 5 });
    expect(limiter.snapshot().concurrency).toBe(5);
  });
});
