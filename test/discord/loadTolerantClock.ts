/**
 * A clock for the loopback Discord's 3 s response deadline in end-to-end bot tests: real time, minus
 * the time this process could not run at all. On a loaded machine the process is descheduled for
 * seconds, and real time alone would make a prompt bot look late (callback 404); a bot that really
 * waits (on a provider, a lock, a sleep) before answering still runs out of time, because an idle
 * event loop is not stalled.
 *
 * A stall is measured as the lateness of a short interval timer: once it fires, and — because
 * requests that queued up during a stall can be handled before the timer gets its turn — also
 * while it is overdue, at the moment the clock is read.
 */
export interface LoadTolerantClock {
  now: () => number;
  /** Milliseconds discounted so far. */
  stalledMs: () => number;
  stop: () => void;
}

export function loadTolerantClock(tickMs = 20): LoadTolerantClock {
  let stalled = 0;
  let expected = Date.now() + tickMs;
  const timer = setInterval(() => {
    const now = Date.now();
    // A few ms of jitter is normal timer behaviour, not a stall.
    const late = now - expected;
    if (late > tickMs) stalled += late;
    expected = now + tickMs;
  }, tickMs);
  timer.unref();
  /** The current tick's lateness, when it is a stall (the timer has not had its turn yet). */
  const overdue = (now: number) => (now - expected > tickMs ? now - expected : 0);
  return {
    now: () => {
      const now = Date.now();
      return now - stalled - overdue(now);
    },
    stalledMs: () => stalled + overdue(Date.now()),
    stop: () => clearInterval(timer),
  };
}
