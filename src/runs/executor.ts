/**
 * Executes one run job where it is taken (this process or a worker): the trainer, given what an
 * earlier attempt of the same run already stored, so a resumed run asks only for the examples
 * still missing. Both queues start runs here.
 */
import type { Teacher } from '../teachers/types.ts';
import { startTraining, type TrainingHandle } from '../trainer/run.ts';
import { randomUUID } from 'node:crypto';
import type { QualityScore, RunOptions, TrainerStore, TrainingEvent } from '../trainer/types.ts';
import type { RunJob, RunJournal } from './types.ts';

export interface RunExecutorDeps {
  teachers: () => Teacher[];
  store: TrainerStore;
  journal: RunJournal;
  /** Examples of one run generated at once. */
  examplesConcurrency: number;
  /** An example asks every teacher that can start within this many ms (SLOT_WAIT_MS). */
  slotWaitMs?: number;
  /** An example waits until at least this many teachers can be asked (MIN_CANDIDATES). */
  minCandidates?: number;
  fineTuneEvery?: number;
  /** Which score decides the thresholds (QUALITY_SCORE; default seed). */
  qualityScore?: QualityScore;
  onError?: (error: unknown, context: string) => void;
}

/** A new run's job: its id is its token, and its seed is drawn now so every attempt plans alike. */
export function planJob(runId: string, options: RunOptions): RunJob {
  return { runId, options: { ...options, seed: options.seed ?? randomUUID() } };
}

export async function startJob(job: RunJob, deps: RunExecutorDeps, onEvent: (event: TrainingEvent) => void): Promise<TrainingHandle> {
  const finished = await deps.journal.finished(job.runId);
  return startTraining(job.options, {
    teachers: deps.teachers(),
    store: deps.store,
    runId: job.runId,
    concurrency: deps.examplesConcurrency,
    ...(deps.slotWaitMs ? { slotWaitMs: deps.slotWaitMs } : {}),
    ...(deps.minCandidates ? { minCandidates: deps.minCandidates } : {}),
    ...(deps.fineTuneEvery ? { fineTuneEvery: deps.fineTuneEvery } : {}),
    ...(deps.qualityScore ? { qualityScore: deps.qualityScore } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
    onEvent,
    ...(finished.length > 0 ? { resume: { finished } } : {}),
  });
}
