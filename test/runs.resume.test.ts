/**
 * A resumed run is the whole run, on the real store (SQLite and PostgreSQL): a run interrupted
 * after some examples and resumed by the next process ends with the result an uninterrupted run of
 * the same plan has — totals, qualities, genres, best parameters, calls and tokens, each teacher's
 * record — and its user's daily budget is charged once per example across both attempts.
 *
 * The same plan gives the same result only if every example hears every teacher: the vote waits
 * for all of them (MIN_CANDIDATES = the roster), so no answer depends on timing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KeyvBudget } from '../src/runs/budget.ts';
import { InProcessRunQueue } from '../src/runs/inProcess.ts';
import type { RunListener } from '../src/runs/types.ts';
import { createRunJournal } from '../src/storage/runJournal.ts';
import { openStore, stateKeys, type ZegaStore } from '../src/storage/index.ts';
import { buildTeachers, DEFAULT_ROSTER } from '../src/teachers/roster.ts';
import type { Teacher } from '../src/teachers/types.ts';
import type { RunOptions, TrainingResult } from '../src/trainer/types.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';
import { describeBackends } from './helpers/storageBackends.ts';

const EXAMPLES = 24;
const DAILY = 40;
const SEED = 'resume-equals-whole-run';

let sims: ProviderSimulators;
let teachers: Teacher[];
beforeAll(async () => {
  sims = await startProviderSimulators();
  for (const sim of sims.all()) sim.setBehavior('*', { latencyMs: 20 });
  teachers = buildTeachers(
    DEFAULT_ROSTER,
    sims.connections,
    { unlimited: true },
  );
});
afterAll(() => sims?.close());

const plan = (userId: string): RunOptions => ({ userId, examples: EXAMPLES, genres: [], save: true, memory: false, voting: 'jury', seed: SEED });

const errors: unknown[] = [];

/** A process's queue on the store: its budget in the store's key-value state, as `npm start` has it. */
function queueOn(store: ZegaStore): InProcessRunQueue {
  return new InProcessRunQueue({
    teachers: () => teachers,
    store: store.trainerStore(),
    journal: createRunJournal(store.runs),
    examplesConcurrency: 2,
    minCandidates: teachers.length,
    maxConcurrentRuns: 2,
    budget: new KeyvBudget(store.state, DAILY),
    onError: (err) => void errors.push(err),
  });
}

function finishedOf(listener: RunListener = {}): { listener: RunListener; finished: Promise<TrainingResult> } {
  let resolve!: (r: TrainingResult) => void;
  const finished = new Promise<TrainingResult>((r) => (resolve = r));
  return { listener: { ...listener, onFinished: (r) => resolve(r) }, finished };
}

/** What does not depend on timing or on who ran it. */
function comparable(result: TrainingResult) {
  const { run_id: _runId, user_id: _userId, training_stats, model_performance, ...rest } = result;
  const { duration_ms: _duration, teacher_changes: _changes, ...stats } = training_stats;
  const performance = Object.fromEntries(Object.entries(model_performance).map(([id, { average_latency_ms: _latency, ...p }]) => [id, p]));
  return { ...rest, training_stats: stats, model_performance: performance };
}

describeBackends('a resumed run', (backend) => {
  it('ends with the whole run’s result, and its user’s budget is charged once per example', async () => {
    const url = await backend.fresh();

    // The whole run, uninterrupted: what the resumed one must equal.
    let store = await openStore(url);
    const reference = finishedOf();
    const referenceQueue = queueOn(store);
    await referenceQueue.submit('8-whole', plan('8'), reference.listener);
    const whole = await reference.finished;
    await referenceQueue.close(1_000);
    expect(whole).toMatchObject({ status: 'done', successful: EXAMPLES });
    expect(whole.training_stats.tokens.output).toBeGreaterThan(0);

    // The same plan for another user, stopped by a shutdown after a few examples.
    const first = queueOn(store);
    let interruptedAt = -1;
    let closing: Promise<void> | undefined;
    const attempt = {
      onProgress: (p: { type: string; totals?: { done: number } }) => {
        if (p.type === 'example' && (p.totals?.done ?? 0) >= 5) closing ??= first.close(10_000);
      },
      onInterrupted: (done: number) => void (interruptedAt = done),
    };
    await first.submit('9-split', plan('9'), attempt);
    await first.setLocation('9-split', { channelId: '1', messageId: '2' });
    await expect.poll(() => closing !== undefined || errors.length > 0, { timeout: 30_000 }).toBe(true);
    expect(errors).toEqual([]);
    await closing;
    expect(interruptedAt).toBeGreaterThanOrEqual(5);
    expect(interruptedAt).toBeLessThan(EXAMPLES);
    // The reservation stands while the run waits to resume.
    expect(await first.remainingToday('9')).toBe(DAILY - EXAMPLES);
    await store.close();

    // The next process: a new store connection and queue resume it.
    store = await openStore(url);
    const second = queueOn(store);
    const resumed = finishedOf();
    const adopted = await second.adoptUnfinished(() => resumed.listener);
    expect(adopted).toEqual(['9-split']);
    const split = await resumed.finished;
    await second.close(1_000);

    expect(comparable(split)).toEqual(comparable(whole));
    expect(errors).toEqual([]);
    // Charged once: the examples of both attempts, one reservation.
    expect(await second.remainingToday('9')).toBe(DAILY - EXAMPLES);
    const ledger = (await store.state.get(stateKeys.ledger('9'))) as { token: string; examples: number }[];
    expect(ledger.map(({ token, examples }) => ({ token, examples }))).toEqual([{ token: '9-split', examples: EXAMPLES }]);
    await store.close();
  }, 120_000);
});
