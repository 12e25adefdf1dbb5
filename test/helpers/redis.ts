/**
 * The real Redis for tests: 127.0.0.1:6379 (or ZEGA_TEST_REDIS_URL), each test file under a fresh key
 * prefix that is deleted afterwards. Unreachable: the tests say why they did not run, except in CI
 * (CI=true), where that is a failure.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';

export const TEST_REDIS_URL = process.env.ZEGA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function reachable(): Promise<string | undefined> {
  const probe = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (err) {
    return `Redis at ${TEST_REDIS_URL} is unreachable (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    probe.disconnect();
  }
}

/** Undefined when Redis answers; otherwise why not. */
export const redisUnavailable: string | undefined = await reachable();

/**
 * `describe` for suites that need Redis (and, with `postgres`, PostgreSQL): where a server cannot be
 * reached they say why they did not run; with CI=true they fail instead.
 */
export function describeWithServers(title: string, needs: { unavailable: (string | undefined)[] }, suite: () => void): void {
  const missing = needs.unavailable.filter((reason): reason is string => reason !== undefined);
  describe(title, () => {
    if (missing.length === 0) return suite();
    if (process.env.CI === 'true') it('needs its servers in CI', () => {
      throw new Error(missing.join('; '));
    });
    else it.skip(`did not run: ${missing.join('; ')}`, () => undefined);
  });
}

export function describeWithRedis(title: string, suite: () => void): void {
  describeWithServers(title, { unavailable: [redisUnavailable] }, suite);
}

export function freshPrefix(): string {
  return `zega-test-${randomBytes(5).toString('hex')}`;
}

/** Deletes every key under the prefix. */
export async function deletePrefix(prefix: string): Promise<void> {
  if (redisUnavailable) return;
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
