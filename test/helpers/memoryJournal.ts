/**
 * A RunJournal over a RecordingStore: plans and statuses in a map, finished examples from what the
 * trainer handed the store. Zega's own interface, kept in memory for the queue tests.
 */
import type { RunJob, RunJournal, RunLocation } from '../../src/runs/types.ts';
import type { FinishedExample, RunStatus } from '../../src/trainer/types.ts';
import type { RecordingStore } from './recordingStore.ts';

export class MemoryJournal implements RunJournal {
  readonly plans = new Map<string, RunJob & { status: string; reason?: string }>();

  constructor(private readonly store: RecordingStore) {}

  plan(job: RunJob): Promise<void> {
    this.plans.set(job.runId, { ...structuredClone(job), status: 'queued' });
    return Promise.resolve();
  }

  job(runId: string): Promise<(RunJob & { done: number; status: RunStatus }) | undefined> {
    const plan = this.plans.get(runId);
    if (!plan) return Promise.resolve(undefined);
    const done = new Set(this.store.examples.filter((e) => e.runId === runId).map((e) => e.index)).size;
    return Promise.resolve({ runId, options: plan.options, ...(plan.location ? { location: plan.location } : {}), done, status: (this.status(runId) ?? 'queued') as RunStatus });
  }

  finished(runId: string): Promise<FinishedExample[]> {
    return Promise.resolve(this.store.examples
      .filter((e) => e.runId === runId)
      .map((e) => ({
        index: e.index,
        genre: e.genre,
        status: e.status,
        ...(e.winner ? { winner: e.winner } : {}),
        storySaved: e.saveStory,
        toFineTune: e.toFineTune,
        outcomes: e.outcomes,
        ...(e.calls ? { calls: e.calls } : {}),
        ...(e.jury ? { jury: e.jury } : {}),
        ...(e.skipped ? { skipped: e.skipped } : {}),
      })));
  }

  setStatus(runId: string, status: 'cancelled' | 'failed' | 'interrupted', reason: string): Promise<void> {
    const plan = this.plans.get(runId);
    if (plan) Object.assign(plan, { status, reason });
    return Promise.resolve();
  }

  setLocation(runId: string, location: RunLocation): Promise<void> {
    const plan = this.plans.get(runId);
    if (plan) plan.location = location;
    return Promise.resolve();
  }

  /** Status from the store's run record when the trainer wrote one, else the journal's own. */
  status(runId: string): string | undefined {
    return this.store.runs.get(runId)?.status ?? this.plans.get(runId)?.status;
  }

  unfinished(): Promise<(RunJob & { done: number })[]> {
    const out: (RunJob & { done: number })[] = [];
    for (const plan of this.plans.values()) {
      const status = this.status(plan.runId);
      if (status !== 'queued' && status !== 'running' && status !== 'interrupted') continue;
      const done = new Set(this.store.examples.filter((e) => e.runId === plan.runId).map((e) => e.index)).size;
      out.push({ runId: plan.runId, options: plan.options, ...(plan.location ? { location: plan.location } : {}), done });
    }
    return Promise.resolve(out);
  }
}
