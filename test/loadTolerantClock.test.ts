/** The bot tests' deadline clock does not count time the process could not run. */
import { describe, expect, it } from 'vitest';
import { loadTolerantClock } from './discord/loadTolerantClock.ts';

describe('loadTolerantClock', () => {
  it('discounts a stretch in which the event loop could not run', async () => {
    const clock = loadTolerantClock(10);
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      const wallBefore = Date.now();
      const before = clock.now();
      // Stands in for the process being off the CPU: nothing else runs for 300 ms.
      const until = Date.now() + 300;
      while (Date.now() < until) {
        /* busy */
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
      const wall = Date.now() - wallBefore;
      expect(clock.stalledMs()).toBeGreaterThanOrEqual(250);
      expect(clock.now() - before).toBeLessThanOrEqual(wall - 250);
    } finally {
      clock.stop();
    }
  });

  it('discounts a stall in progress, before its timer had a turn (requests queued behind it)', async () => {
    const clock = loadTolerantClock(10);
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      const before = clock.now();
      const until = Date.now() + 300;
      while (Date.now() < until) {
        /* busy: the timer cannot run */
      }
      expect(clock.now() - before).toBeLessThan(100);
    } finally {
      clock.stop();
    }
  });
});
