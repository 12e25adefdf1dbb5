/**
 * What a run executor needs from the runtime, in every role (embedded bot, worker, CLI). Apart
 * from the queues in index.ts so that `cli train` loads neither BullMQ nor ioredis.
 */
import type { Runtime } from '../app/runtime.ts';
import { createRunJournal } from '../storage/runJournal.ts';
import type { RunExecutorDeps } from './executor.ts';

export type OnError = (err: unknown, context: string) => void;

export function executorDeps(runtime: Runtime, onError: OnError): RunExecutorDeps {
  return {
    teachers: () => runtime.teachers,
    store: runtime.store.trainerStore(),
    journal: createRunJournal(runtime.store.runs),
    examplesConcurrency: runtime.config.RUN_CONCURRENCY,
    slotWaitMs: runtime.config.SLOT_WAIT_MS,
    minCandidates: runtime.config.MIN_CANDIDATES,
    fineTuneEvery: runtime.config.FINE_TUNE_EVERY,
    qualityScore: runtime.config.QUALITY_SCORE,
    onError,
  };
}
