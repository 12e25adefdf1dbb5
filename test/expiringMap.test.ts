/** The state button presses come back for (drafts, setup panels): it expires and stays bounded. */
import { describe, expect, it } from 'vitest';
import { ExpiringMap } from '../src/commands/expiringMap.ts';

function clockAt(start = 1_000_000) {
  const clock = { now: start };
  return { clock, read: () => clock.now };
}

describe('ExpiringMap', () => {
  it('forgets an entry once its lifetime has passed, even when nothing new is stored', () => {
    const { clock, read } = clockAt();
    const map = new ExpiringMap<string>({ ttlMs: 1000, maxEntries: 10 }, read);
    map.set('a', 'draft');
    clock.now += 1000;
    expect(map.get('a')).toBe('draft');
    clock.now += 1;
    expect(map.get('a')).toBeUndefined();
    expect(map.size).toBe(0);
  });

  it('setting again restarts the lifetime (a regenerated story gets its full time)', () => {
    const { clock, read } = clockAt();
    const map = new ExpiringMap<string>({ ttlMs: 1000, maxEntries: 10 }, read);
    map.set('a', 'first');
    clock.now += 900;
    map.set('a', 'second');
    clock.now += 900;
    expect(map.get('a')).toBe('second');
  });

  it('keeps at most maxEntries, dropping the oldest first, however many are stored', () => {
    const { clock, read } = clockAt();
    const map = new ExpiringMap<number>({ ttlMs: 60_000, maxEntries: 3 }, read);
    for (let i = 0; i < 10_000; i++) {
      map.set(`user-${i}`, i);
      clock.now += 1;
    }
    expect(map.size).toBe(3);
    expect([map.get('user-9996'), map.get('user-9997'), map.get('user-9998'), map.get('user-9999')]).toEqual([undefined, 9997, 9998, 9999]);
  });

  it('drops expired entries when a new one is stored, so a quiet key does not stay', () => {
    const { clock, read } = clockAt();
    const map = new ExpiringMap<number>({ ttlMs: 100, maxEntries: 1000 }, read);
    for (let i = 0; i < 50; i++) map.set(`old-${i}`, i);
    clock.now += 101;
    map.set('new', 1);
    expect(map.size).toBe(1);
  });
});
