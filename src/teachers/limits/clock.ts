/**
 * Time as the schedulers see it. Injected so the limiter, the breaker and the admission loop are
 * tested on a manual clock (no real waiting, no flakiness beside CPU-burning neighbours).
 */
export interface Clock {
  now(): number;
  /** Resolves true after `ms`, or false at once when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
  /** Calls `fn` after `ms`; returns a cancel function (cheaper than a sleep with an AbortSignal). */
  timer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  timer(ms, fn) {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  },
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(false);
      if (ms <= 0) return resolve(true);
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};
