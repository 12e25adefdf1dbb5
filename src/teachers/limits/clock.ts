/**
 * Time as the schedulers see it. Injected so the limiter, the breaker and the admission loop are
 * tested on a manual clock (no real waiting, no flakiness beside CPU-burning neighbours).
 */
export interface Clock {
  now(): number;
  /** Resolves true after `ms`, or false at once when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
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
