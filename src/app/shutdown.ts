/**
 * Graceful shutdown on SIGTERM (systemd, Docker, Kubernetes, `kill`) and SIGINT (Ctrl-C), the same
 * in every entry point: the first signal starts `stop` (take nothing new, let the examples in
 * flight finish within the grace period, persist, mark runs interrupted); a second one exits at
 * once. Once `stop` is done the process exits 0 — or 1 if stopping itself failed.
 */
export interface ShutdownOptions {
  /** Told when a signal arrives (e.g. a log line or a note on stderr). */
  onSignal?: (signal: NodeJS.Signals) => void;
  onError?: (error: unknown) => void;
  /** After this long stopping is abandoned (exit 1): a hung close must not keep a host waiting forever. */
  hardLimitMs?: number;
  /**
   * false: the caller's own flow ends the process once `stop` has done its part (a CLI command
   * that prints its summary and closes its store); default true: exit when `stop` resolves.
   */
  exit?: boolean;
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** Installs the handlers; returns a function that removes them (for a command that ended by itself). */
export function onShutdownSignal(stop: (signal: NodeJS.Signals) => Promise<void>, options: ShutdownOptions = {}): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: the operator will not wait.
      process.exit(130);
    }
    stopping = true;
    options.onSignal?.(signal);
    if (options.hardLimitMs !== undefined) {
      setTimeout(() => {
        options.onError?.(new Error(`shutdown took longer than ${options.hardLimitMs} ms`));
        process.exit(1);
      }, options.hardLimitMs).unref();
    }
    stop(signal).then(
      () => {
        if (options.exit !== false) process.exit(process.exitCode ?? 0);
      },
      (err: unknown) => {
        options.onError?.(err);
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of SIGNALS) process.off(signal, handler);
  };
}
