/**
 * Each teacher's rate window survives a restart (embedded mode): the limiter of a new process,
 * restored from the state the previous one kept, lets through no more than the quota in any
 * window spanning the restart — where a limiter starting fresh would begin a second quota at once.
 * Pauses the provider asked for and limits it named are kept too. Then the same through
 * createRuntime on a SQLite store (its rate_windows table): a restarted process still waits for the window.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/app/runtime.ts';
import { LearnedLimiter, type LimiterState } from '../src/teachers/limits/learnedLimiter.ts';
import { persistLimits, type LimitStateStore } from '../src/teachers/limits/persistedLimits.ts';
import { DEFAULT_ROSTER } from '../src/teachers/roster.ts';
import type { Teacher } from '../src/teachers/types.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';
import { ManualClock, settle } from './helpers/manualClock.ts';

const MINUTE = 60_000;
const RPM = 6;

/** Asks for a call every `step` ms (demand always there), as the trainer would; returns when calls started. */
async function drive(limiter: LearnedLimiter, clock: ManualClock, durationMs: number, step = 100): Promise<number[]> {
  const starts: number[] = [];
  const end = clock.now() + durationMs;
  while (clock.now() < end) {
    if (limiter.waitEstimate() <= 2_000) {
      void limiter.acquire({ maxWaitMs: 2_000 }).then(async (permit) => {
        if (!permit) return;
        starts.push(clock.now());
        await clock.sleep(10);
        limiter.observe({ outcome: 'ok', latencyMs: 10 });
        permit.release();
      });
    }
    await clock.advance(step);
  }
  return starts;
}

const maxInWindow = (times: number[], windowMs: number) => Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));

/** State with a lifetime, kept by teacher. */
const keptIn = (kv: Keyv): LimitStateStore => ({ get: (teacherId) => kv.get(teacherId), set: (teacherId, state, ttlMs) => kv.set(teacherId, state, ttlMs) });

/** One process's teacher: a limiter kept in `state`, as createRuntime wires it (there on the store). */
async function processWith(state: Keyv, clock: ManualClock) {
  const limiter = new LearnedLimiter({ rpm: RPM, maxRpm: RPM, concurrency: 10, clock, windowMs: MINUTE });
  const persisted = await persistLimits([{ id: 'groq-x', limiter } as unknown as Teacher], keptIn(state), { windowMs: MINUTE, clock });
  return { limiter, persisted };
}

describe('rate windows across a restart', () => {
  it('a restarted limiter keeps counting the calls of the window; a fresh one would double the quota', async () => {
    const clock = new ManualClock();
    const state = new Keyv();
    const first = await processWith(state, clock);
    const before = await drive(first.limiter, clock, 40_000);
    await first.persisted.flushed();
    expect(before.length).toBeGreaterThanOrEqual(4);

    // The process restarts a moment later.
    await clock.advance(1_000);
    const second = await processWith(state, clock);
    const after = await drive(second.limiter, clock, 2 * MINUTE);
    expect(after.length).toBeGreaterThan(0);
    expect(maxInWindow([...before, ...after], MINUTE)).toBeLessThanOrEqual(RPM);

    // Without the kept window, the new process would start its own quota at once.
    const freshClock = new ManualClock();
    const fresh = await processWith(new Keyv(), freshClock);
    const early = await drive(fresh.limiter, freshClock, 40_000);
    await freshClock.advance(1_000);
    const forgetful = await processWith(new Keyv(), freshClock);
    const late = await drive(forgetful.limiter, freshClock, 2 * MINUTE);
    expect(maxInWindow([...early, ...late], MINUTE)).toBeGreaterThan(RPM);
  });

  it('keeps a pause the provider asked for and the limit it named', async () => {
    const clock = new ManualClock();
    const state = new Keyv();
    const first = await processWith(state, clock);
    const permit = await first.limiter.acquire({ maxWaitMs: 0 });
    first.limiter.observe({ outcome: 'rate_limited', latencyMs: 10, retryAfterMs: 30_000, limitPerMinute: 3 });
    permit?.release();
    await first.persisted.flushed();
    expect(await state.get('groq-x')).toBeDefined();

    await clock.advance(5_000);
    const second = await processWith(state, clock);
    expect(second.limiter.snapshot()).toMatchObject({ pausedUntil: 1_000_000 + 30_000, source: 'provider', rpm: 2.9 });
    expect(second.limiter.waitEstimate()).toBeGreaterThanOrEqual(25_000);
  });
});

describe('how often a window is written', () => {
  /** A store that keeps every state written, in order. */
  function recording() {
    const writes: LimiterState[] = [];
    const store: LimitStateStore = { get: () => Promise.resolve(undefined), set: (_id, state) => Promise.resolve(void writes.push(state)) };
    return { writes, store };
  }

  it('a call every few seconds is written as it starts; faster calls are written together once a second', async () => {
    const clock = new ManualClock();
    const { writes, store } = recording();
    const limiter = new LearnedLimiter({ concurrency: 100, clock, windowMs: MINUTE });
    const persisted = await persistLimits([{ id: 'groq-x', limiter } as unknown as Teacher], store, { windowMs: MINUTE, clock });

    await limiter.acquire({ maxWaitMs: 0 });
    await clock.advance(5_000);
    await limiter.acquire({ maxWaitMs: 0 });
    await settle();
    expect(writes.map((w) => w.starts.length)).toEqual([1, 2]);

    // Ten starts within 100 ms: none waits for its write, and they are written once, a second after the last write.
    for (let i = 0; i < 10; i++) {
      await limiter.acquire({ maxWaitMs: 0 });
      await clock.advance(10);
    }
    expect(writes).toHaveLength(2);
    await clock.advance(1_000);
    expect(writes.map((w) => w.starts.length)).toEqual([1, 2, 12]);

    // What a shutdown finds pending is written at once.
    await limiter.acquire({ maxWaitMs: 0 });
    await persisted.flushed();
    expect(writes.map((w) => w.starts.length)).toEqual([1, 2, 12, 13]);
  });
});

describe('createRuntime keeps each teacher window in its store', () => {
  // Keyv's state is not used for this: it is written at every call, and on SQLite keyv is a second
  // SQLite library on the same file.
  let sims: ProviderSimulators;
  beforeAll(async () => {
    sims = await startProviderSimulators();
  });
  afterAll(() => sims?.close());

  it('a process started again on the same store waits for the window its predecessor filled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zega-limits-'));
    const roster = join(dir, 'teachers.json');
    writeFileSync(roster, JSON.stringify(DEFAULT_ROSTER.filter((t) => t.provider === 'groq').map((t) => ({ ...t, rpm: 1 }))));
    const env = { ...sims.env, RATE_LIMITS: 'on', TEACHERS_FILE: roster, STORAGE_URL: `sqlite://${join(dir, 'zega.sqlite')}`, LOG_LEVEL: 'silent', OLLAMA_HOST: 'off' };

    const first = await createRuntime({ env });
    const teacher = first.teachers[0] as Teacher;
    const permit = await teacher.limiter?.acquire({ maxWaitMs: 0 });
    expect(permit).toBeTruthy();
    permit?.release();
    await first.close();

    const second = await createRuntime({ env });
    try {
      // Its one call a minute is spent: the restarted process waits for most of the minute.
      expect(second.teachers[0]?.limiter?.waitEstimate()).toBeGreaterThan(30_000);
      // Another teacher of the same process, never called, is free.
      expect(second.teachers[1]?.limiter?.waitEstimate()).toBe(0);
    } finally {
      await second.close();
    }
  });
});
