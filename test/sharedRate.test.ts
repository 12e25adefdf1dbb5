/** A teacher's quota shared by several processes through Redis: together they never exceed it. */
import { afterAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisRateWindow, windowWithMargin } from '../src/teachers/sharedRate.ts';
import { deletePrefix, describeWithRedis, freshPrefix, TEST_REDIS_URL } from './helpers/redis.ts';

const prefix = freshPrefix();
afterAll(() => deletePrefix(prefix));

describeWithRedis('RedisRateWindow', () => {
  it('admits at most rpm calls per window across two processes, and the rest in later windows', async () => {
    const connections = [new Redis(TEST_REDIS_URL), new Redis(TEST_REDIS_URL)];
    try {
      // Two "processes": each its own connection and window object, one quota.
      const windows = connections.map((c) => new RedisRateWindow(c, prefix));
      const started = Date.now();
      const admitted: number[] = [];
      await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          expect(await windows[i % 2]?.acquire('groq-a', 5, 1_000)).toBe(true);
          admitted.push(Date.now() - started);
        }),
      );
      admitted.sort((a, b) => a - b);
      // A late observation only moves a call later, so this cannot pass by accident of load.
      expect(admitted.filter((t) => t < windowWithMargin(1_000)).length).toBeLessThanOrEqual(5);
      expect(admitted.filter((t) => t < 2 * windowWithMargin(1_000)).length).toBeLessThanOrEqual(10);
      expect(admitted).toHaveLength(12);
      // Another teacher has its own quota.
      expect(await windows[0]?.acquire('groq-b', 5, 1_000)).toBe(true);
    } finally {
      for (const c of connections) c.disconnect();
    }
  });

  it('gives up when the call is cancelled while it waits', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const window = new RedisRateWindow(redis, prefix);
      expect(await window.acquire('hf-a', 1, 60_000)).toBe(true);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      expect(await window.acquire('hf-a', 1, 60_000, { signal: controller.signal })).toBe(false);
      // A start further away than the caller can wait is not reserved at all.
      expect(await window.acquire('hf-a', 1, 60_000, { maxWaitMs: 1_000 })).toBe(false);
    } finally {
      redis.disconnect();
    }
  });
});
