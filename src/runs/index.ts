/**
 * Builds the run queue a process uses: in-process (embedded default) or, with REDIS_URL, the
 * BullMQ queue shared by the cluster.
 */
import Keyv from 'keyv';
import type { Runtime } from '../app/runtime.ts';
import { createRunJournal } from '../storage/runJournal.ts';
import { KeyvBudget } from './budget.ts';
import type { RunExecutorDeps } from './executor.ts';
import { InProcessRunQueue } from './inProcess.ts';

export function executorDeps(runtime: Runtime, onError: (err: unknown, context: string) => void): RunExecutorDeps {
  return {
    teachers: () => runtime.teachers,
    store: runtime.store.trainerStore(),
    journal: createRunJournal(runtime.store.runs, runtime.store.interruptedRuns),
    examplesConcurrency: runtime.config.RUN_CONCURRENCY,
    fineTuneEvery: runtime.config.FINE_TUNE_EVERY,
    onError,
  };
}

export function createInProcessQueue(runtime: Runtime, onError: (err: unknown, context: string) => void): InProcessRunQueue {
  return new InProcessRunQueue({
    ...executorDeps(runtime, onError),
    maxConcurrentRuns: runtime.config.MAX_CONCURRENT_RUNS,
    budget: new KeyvBudget(new Keyv(), runtime.config.DAILY_EXAMPLES_PER_USER),
  });
}
