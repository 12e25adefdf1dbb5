/** The run manager: one active run per user, a global limit with a FIFO queue, stop and stopAll. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DailyQuotaError, RunManager, type RunListener, type RunManagerOptions } from '../src/bot/runManager.ts';
import { keyvLedgerStore, openStore } from '../src/storage/index.ts';
import { buildTeachers, DEFAULT_ROSTER } from '../src/teachers/roster.ts';
import type { RunOptions, TrainingResult } from '../src/trainer/types.ts';
import { SIMULATED_KEYS, startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';
import { RecordingStore } from './helpers/recordingStore.ts';

let sims: ProviderSimulators;
beforeAll(async () => {
  sims = await startProviderSimulators();
  for (const sim of sims.all()) sim.setBehavior('*', { latencyMs: 60 });
});
afterAll(() => sims.close());

function manager(maxConcurrentRuns: number, extra: Partial<RunManagerOptions> = {}) {
  const teachers = buildTeachers(
    DEFAULT_ROSTER,
    {
      gemini: { apiKey: SIMULATED_KEYS.GEMINI_API_KEY, baseUrl: sims.gemini.url },
      groq: { apiKey: SIMULATED_KEYS.GROQ_API_KEY, baseUrl: sims.groq.url },
      huggingface: { apiKey: SIMULATED_KEYS.HF_TOKEN, baseUrl: sims.huggingface.url },
      ollama: { baseUrl: sims.ollama.url },
    },
    { unlimited: true },
  );
  return new RunManager({ teachers: () => teachers, store: new RecordingStore(), maxConcurrentRuns, examplesConcurrency: 2, ...extra });
}

const opts = (userId: string, examples = 3): RunOptions => ({ userId, examples, genres: [], save: false, memory: false, voting: 'consensus' });

function track() {
  const positions: number[] = [];
  let resolve!: (r: TrainingResult) => void;
  const finished = new Promise<TrainingResult>((r) => (resolve = r));
  const listener: RunListener = { onQueued: (p) => positions.push(p), onFinished: (r) => resolve(r) };
  return { positions, finished, listener };
}

describe('RunManager', () => {
  it('allows one active run per user', async () => {
    const runs = manager(5);
    const a = track();
    runs.submit('1-a', opts('1'), a.listener);
    expect(runs.active('1')?.status).toBe('running');
    expect(() => runs.submit('1-b', opts('1'), track().listener)).toThrow(/already has an active run/);
    await a.finished;
    expect(runs.active('1')).toBeUndefined();
    expect(runs.current('1')?.status).toBe('finished');
    // Once finished, the user may start again.
    const again = track();
    runs.submit('1-c', opts('1', 1), again.listener);
    expect((await again.finished).successful).toBe(1);
  });

  it('queues runs beyond the global limit and tells each its position as the queue moves', async () => {
    const runs = manager(1);
    const a = track();
    const b = track();
    const c = track();
    runs.submit('1-a', opts('1'), a.listener);
    runs.submit('2-b', opts('2'), b.listener);
    runs.submit('3-c', opts('3'), c.listener);
    expect(runs.runningCount).toBe(1);
    expect(runs.queuedCount).toBe(2);
    expect(b.positions.at(-1)).toBe(1);
    expect(c.positions.at(-1)).toBe(2);
    await a.finished;
    // b moved to running; c moved up to position 1.
    expect(runs.session('2-b')?.status).toBe('running');
    expect(c.positions.at(-1)).toBe(1);
    await Promise.all([b.finished, c.finished]);
    expect(runs.runningCount).toBe(0);
  });

  it('lets a queued run leave the queue and stops a running one keeping what is done', async () => {
    const runs = manager(1);
    const a = track();
    const b = track();
    const c = track();
    runs.submit('1-a', opts('1', 200), a.listener);
    runs.submit('2-b', opts('2'), b.listener);
    runs.submit('3-c', opts('3'), c.listener);
    expect(runs.stop('2-b')).toBe(true);
    expect(runs.active('2')).toBeUndefined();
    expect(c.positions.at(-1)).toBe(1);
    expect(runs.stop('1-a')).toBe(true);
    const result = await a.finished;
    expect(result.status).toBe('cancelled');
    expect(result.successful).toBeLessThan(200);
    expect((await c.finished).status).toBe('done');
    expect(runs.stop('1-a')).toBe(false);
  });
});

describe('RunManager daily quota per user', () => {
  it('refuses a run that would exceed the rolling 24-hour cap, counting only what runs used', async () => {
    let now = Date.parse('2026-11-24T12:00:00Z');
    const runs = manager(2, { dailyExamplesPerUser: 10, now: () => now });
    expect(runs.remainingToday('1')).toBe(10);
    const a = track();
    runs.submit('1-a', opts('1', 6), a.listener);
    // Reserved at once: a quick second submission cannot slip through.
    expect(runs.remainingToday('1')).toBe(4);
    await a.finished;
    expect(runs.remainingToday('1')).toBe(4);
    let error: unknown;
    try {
      runs.submit('1-b', opts('1', 5), track().listener);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DailyQuotaError);
    expect(error).toMatchObject({ remaining: 4, limit: 10, availableAt: now + 24 * 60 * 60_000 });
    expect(runs.active('1')).toBeUndefined();
    // Other users have their own budget.
    expect(runs.remainingToday('2')).toBe(10);
    // A day later the examples have aged out.
    now += 24 * 60 * 60_000 + 1;
    expect(runs.remainingToday('1')).toBe(10);
  });

  it('gives back what a stopped run did not use, and all of a run that left the queue', async () => {
    const runs = manager(1, { dailyExamplesPerUser: 300 });
    const a = track();
    const b = track();
    runs.submit('1-a', opts('1', 200), a.listener);
    runs.submit('2-b', opts('2', 50), b.listener);
    expect(runs.remainingToday('2')).toBe(250);
    runs.stop('2-b');
    expect(runs.remainingToday('2')).toBe(300);
    runs.stop('1-a');
    const result = await a.finished;
    expect(runs.remainingToday('1')).toBe(300 - (result.successful + result.failed));
  });

  it('bounds its per-user memory: last runs are capped and expire, ledgers empty out after 24 hours', async () => {
    let now = 1_000_000;
    const runs = manager(5, { dailyExamplesPerUser: 100, now: () => now, maxRememberedUsers: 3 });
    for (let i = 0; i < 5; i++) {
      const t = track();
      runs.submit(`${i}-a`, opts(`${i}`, 1), t.listener);
      await t.finished;
    }
    expect(runs.trackedUsers()).toEqual({ lastRuns: 3, ledgers: 5 });
    // The oldest users' last runs are forgotten first; the newest are kept.
    expect(runs.current('0')).toBeUndefined();
    expect(runs.current('4')?.status).toBe('finished');

    now += 25 * 60 * 60_000;
    expect(runs.current('4')).toBeUndefined();
    const t = track();
    runs.submit('9-a', opts('9', 1), t.listener);
    await t.finished;
    // Yesterday's users hold nothing any more: only the new run's user is tracked.
    expect(runs.trackedUsers()).toEqual({ lastRuns: 1, ledgers: 1 });
    expect(runs.remainingToday('0')).toBe(100);
  });

  it('keeps the ledger across a restart (keyv in the database), so a restart does not reset the cap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zega-ledger-'));
    const url = `sqlite://${join(dir, 'zega.sqlite')}`;
    try {
      const first = await openStore(url);
      const before = manager(1, { dailyExamplesPerUser: 10, ledgerStore: keyvLedgerStore(first.state) });
      const a = track();
      before.submit('1-a', opts('1', 6), a.listener);
      await a.finished;
      await before.stopAll();
      expect(before.remainingToday('1')).toBe(4);
      // "Restart": stopAll waited for the ledger's write-through; a new manager on the same database.
      await first.close();
      const second = await openStore(url);
      try {
        const after = manager(1, { dailyExamplesPerUser: 10, ledgerStore: keyvLedgerStore(second.state) });
        expect(after.remainingToday('1')).toBe(10);
        await after.restoreLedger();
        expect(after.remainingToday('1')).toBe(4);
        expect(after.remainingToday('2')).toBe(10);
        expect(() => after.submit('1-b', opts('1', 5), track().listener)).toThrow(DailyQuotaError);
        // Forgetting the user forgets their ledger too.
        await second.forgetUser('1');
        const fresh = manager(1, { dailyExamplesPerUser: 10, ledgerStore: keyvLedgerStore(second.state) });
        await fresh.restoreLedger();
        expect(fresh.remainingToday('1')).toBe(10);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
