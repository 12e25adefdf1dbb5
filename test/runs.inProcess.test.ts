/** The embedded run queue: the RunQueue rules, shutdown ending runs `interrupted`, and resuming them. */
import Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KeyvBudget, UNLIMITED_BUDGET } from '../src/runs/budget.ts';
import { InProcessRunQueue } from '../src/runs/inProcess.ts';
import type { RunProgress } from '../src/runs/types.ts';
import { buildTeachers, DEFAULT_ROSTER } from '../src/teachers/roster.ts';
import type { Teacher } from '../src/teachers/types.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';
import { MemoryJournal } from './helpers/memoryJournal.ts';
import { RecordingStore } from './helpers/recordingStore.ts';
import { opts, runQueueContract, track, type QueueSettings } from './helpers/runQueueContract.ts';

let sims: ProviderSimulators;
let teachers: Teacher[];
beforeAll(async () => {
  sims = await startProviderSimulators();
  for (const sim of sims.all()) sim.setBehavior('*', { latencyMs: 60 });
  teachers = buildTeachers(
    DEFAULT_ROSTER,
    sims.connections,
    { unlimited: true },
  );
});
afterAll(() => sims.close());

function queue(settings: QueueSettings, store = new RecordingStore(), journal = new MemoryJournal(store)) {
  const budget = settings.dailyExamplesPerUser === undefined ? UNLIMITED_BUDGET : new KeyvBudget(new Keyv(), settings.dailyExamplesPerUser, settings.now);
  const errors: unknown[] = [];
  const runs = new InProcessRunQueue({
    teachers: () => teachers,
    store,
    journal,
    examplesConcurrency: 2,
    maxConcurrentRuns: settings.maxConcurrentRuns,
    budget,
    onError: (err) => void errors.push(err),
  });
  return { runs, store, journal, errors };
}

runQueueContract('in-process', (settings) => {
  const { runs } = queue(settings);
  return Promise.resolve({ queue: runs, close: () => runs.close(1_000) });
});

describe('in-process queue: shutdown and resume', () => {
  it('ends the running run interrupted after its examples in flight, keeps the queued one, and a new queue resumes both without repeating an example', async () => {
    const first = queue({ maxConcurrentRuns: 1 });
    const a = track();
    const b = track();
    await first.runs.submit('1-a', opts('1', 40), a.listener);
    await first.runs.submit('2-b', opts('2', 4), b.listener);
    await vi.waitFor(() => expect(first.store.examples.length).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
    await first.runs.close(10_000);
    // Only whole examples: every one the trainer stored, none half-written.
    expect(a.interruptedAt).toBe(first.store.examples.filter((e) => e.runId === '1-a').length);
    expect(a.interruptedAt).toBeGreaterThanOrEqual(3);
    expect(a.interruptedAt).toBeLessThan(40);
    expect(b.interruptedAt).toBe(0);
    expect(first.store.runs.get('1-a')?.status).toBe('interrupted');
    expect(first.journal.status('2-b')).toBe('interrupted');
    await expect(first.runs.submit('3-c', opts('3'), track().listener)).rejects.toThrow(/shutting down/);

    // The next start: same store and journal, a new queue.
    const second = queue({ maxConcurrentRuns: 1 }, first.store, first.journal);
    const resumed = new Map<string, ReturnType<typeof track> & { progress: RunProgress[] }>();
    const sessions = await second.runs.adoptUnfinished((job, done) => {
      const t = Object.assign(track(), { progress: [] as RunProgress[], done });
      t.listener.onProgress = (p) => void t.progress.push(p);
      resumed.set(job.runId, t);
      return t.listener;
    });
    expect(sessions).toEqual(['1-a', '2-b']);
    const resultA = await resumed.get('1-a')?.finished;
    const resultB = await resumed.get('2-b')?.finished;
    expect(resultA).toMatchObject({ status: 'done', requested: 40 });
    expect((resultA?.successful ?? 0) + (resultA?.failed ?? 0)).toBe(40);
    expect(resultB).toMatchObject({ status: 'done', successful: 4 });
    expect(resumed.get('1-a')?.progress[0]).toEqual({ type: 'started', runId: '1-a', resumedAt: a.interruptedAt });
    // Every index exactly once, across both attempts.
    const indexes = first.store.examples.filter((e) => e.runId === '1-a').map((e) => e.index).sort((x, y) => x - y);
    expect(indexes).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // The resumed run asked the same prompts as the plan: same seed.
    expect(first.store.runs.get('1-a')?.options.seed).toBe(first.journal.plans.get('1-a')?.options.seed);
    expect(second.errors).toEqual([]);
    await second.runs.close(1_000);
  });

  it('a stop during shutdown still wins: the run ends cancelled, not interrupted', async () => {
    const { runs, store } = queue({ maxConcurrentRuns: 1 });
    const a = track();
    await runs.submit('1-a', opts('1', 40), a.listener);
    await vi.waitFor(() => expect(store.examples.length).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    await runs.stop('1-a');
    await runs.close(5_000);
    expect((await a.finished).status).toBe('cancelled');
    expect(a.interruptedAt).toBeUndefined();
  });
});
