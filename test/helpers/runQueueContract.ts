/**
 * The rules every RunQueue keeps, run against each implementation (in-process, BullMQ on Redis):
 * one active run per user, a global limit with FIFO positions, stop while queued or running, the
 * daily budget, and shutdown ending runs `interrupted`.
 */
import { describe, expect, it, vi } from 'vitest';
import { ActiveRunError, DailyQuotaError, type RunListener, type RunQueue } from '../../src/runs/types.ts';
import type { RunOptions, TrainingResult } from '../../src/trainer/types.ts';

export interface QueueUnderTest {
  queue: RunQueue;
  close(): Promise<void>;
}

export interface QueueSettings {
  maxConcurrentRuns: number;
  dailyExamplesPerUser?: number;
  now?: () => number;
}

export const opts = (userId: string, examples = 3): RunOptions => ({ userId, examples, genres: [], save: false, memory: false, voting: 'consensus' });

export function track() {
  const positions: number[] = [];
  let resolve!: (r: TrainingResult) => void;
  let interruptedAt: number | undefined;
  let leftQueue = false;
  const finished = new Promise<TrainingResult>((r) => (resolve = r));
  const listener: RunListener = {
    onQueued: (p) => void positions.push(p),
    onFinished: (r) => resolve(r),
    onLeftQueue: () => {
      leftQueue = true;
    },
    onInterrupted: (done) => {
      interruptedAt = done;
    },
  };
  return {
    positions,
    finished,
    listener,
    get interruptedAt() {
      return interruptedAt;
    },
    get leftQueue() {
      return leftQueue;
    },
  };
}

const DAY = 24 * 60 * 60_000;

/** `wrap` declares the suite (e.g. one that skips with a reason when its server is missing). */
export function runQueueContract(name: string, make: (settings: QueueSettings) => Promise<QueueUnderTest>, wrap: (title: string, suite: () => void) => void = describe): void {
  wrap(`${name}: the RunQueue rules`, () => {
    const opened: QueueUnderTest[] = [];
    const open = async (settings: QueueSettings) => {
      const q = await make(settings);
      opened.push(q);
      return q.queue;
    };
    const closeAll = async () => {
      while (opened.length) await opened.pop()?.close();
    };

    it('allows one active run per user', async () => {
      try {
        const runs = await open({ maxConcurrentRuns: 5 });
        const a = track();
        await runs.submit('1-a', opts('1'), a.listener);
        expect((await runs.active('1'))?.token).toBe('1-a');
        await expect(runs.submit('1-b', opts('1'), track().listener)).rejects.toBeInstanceOf(ActiveRunError);
        expect((await a.finished).successful).toBe(3);
        await vi.waitFor(async () => expect(await runs.active('1')).toBeUndefined());
        // A finished run lives on in the store only: the queue keeps nothing of it per user or token.
        expect(await runs.session('1-a')).toBeUndefined();
        // Once finished, the user may start again.
        const again = track();
        await runs.submit('1-c', opts('1', 1), again.listener);
        expect((await again.finished).successful).toBe(1);
      } finally {
        await closeAll();
      }
    });

    it('queues runs beyond the global limit and tells each its position as the queue moves', async () => {
      try {
        const runs = await open({ maxConcurrentRuns: 1 });
        const a = track();
        const b = track();
        const c = track();
        await runs.submit('1-a', opts('1', 6), a.listener);
        await runs.submit('2-b', opts('2'), b.listener);
        await runs.submit('3-c', opts('3'), c.listener);
        await vi.waitFor(() => expect([b.positions.at(-1), c.positions.at(-1)]).toEqual([1, 2]));
        expect(await runs.queuePosition('3-c')).toBe(2);
        expect((await runs.session('2-b'))?.status).toBe('queued');
        await a.finished;
        // b moved to running; c moved up to position 1.
        await vi.waitFor(() => expect(c.positions.at(-1)).toBe(1));
        await Promise.all([b.finished, c.finished]);
        expect(c.positions).toEqual([2, 1]);
      } finally {
        await closeAll();
      }
    });

    it('lets a queued run leave the queue and stops a running one keeping what is done', async () => {
      try {
        const runs = await open({ maxConcurrentRuns: 1 });
        const a = track();
        const b = track();
        const c = track();
        await runs.submit('1-a', opts('1', 200), a.listener);
        await runs.submit('2-b', opts('2'), b.listener);
        await runs.submit('3-c', opts('3'), c.listener);
        expect(await runs.stop('2-b')).toBe(true);
        await vi.waitFor(() => expect(b.leftQueue).toBe(true));
        expect(await runs.active('2')).toBeUndefined();
        await vi.waitFor(() => expect(c.positions.at(-1)).toBe(1));
        await vi.waitFor(async () => expect((await runs.session('1-a'))?.status).toBe('running'));
        expect(await runs.stop('1-a')).toBe(true);
        const result = await a.finished;
        expect(result.status).toBe('cancelled');
        expect(result.successful).toBeLessThan(200);
        expect((await c.finished).status).toBe('done');
        await vi.waitFor(async () => expect(await runs.stop('1-a')).toBe(false));
      } finally {
        await closeAll();
      }
    });

    it('refuses a run that would exceed the rolling 24-hour budget, counting only what runs used', async () => {
      try {
        let now = Date.parse('2026-11-24T12:00:00Z');
        const runs = await open({ maxConcurrentRuns: 2, dailyExamplesPerUser: 10, now: () => now });
        expect(await runs.remainingToday('1')).toBe(10);
        const a = track();
        await runs.submit('1-a', opts('1', 6), a.listener);
        // Reserved at once: a quick second submission cannot slip through.
        expect(await runs.remainingToday('1')).toBe(4);
        await a.finished;
        await vi.waitFor(async () => expect(await runs.active('1')).toBeUndefined());
        expect(await runs.remainingToday('1')).toBe(4);
        const refused = runs.submit('1-b', opts('1', 5), track().listener);
        await expect(refused).rejects.toBeInstanceOf(DailyQuotaError);
        await expect(refused).rejects.toMatchObject({ remaining: 4, limit: 10, availableAt: now + DAY });
        expect(await runs.active('1')).toBeUndefined();
        // Other users have their own budget.
        expect(await runs.remainingToday('2')).toBe(10);
        // A day later the examples have aged out.
        now += DAY + 1;
        expect(await runs.remainingToday('1')).toBe(10);
      } finally {
        await closeAll();
      }
    });

    it('gives back what a stopped run did not use, and all of a run that left the queue', async () => {
      try {
        const runs = await open({ maxConcurrentRuns: 1, dailyExamplesPerUser: 300 });
        const a = track();
        const b = track();
        await runs.submit('1-a', opts('1', 200), a.listener);
        await runs.submit('2-b', opts('2', 50), b.listener);
        expect(await runs.remainingToday('2')).toBe(250);
        await runs.stop('2-b');
        expect(await runs.remainingToday('2')).toBe(300);
        await vi.waitFor(async () => expect((await runs.session('1-a'))?.status).toBe('running'));
        await runs.stop('1-a');
        const result = await a.finished;
        await vi.waitFor(async () => expect(await runs.remainingToday('1')).toBe(300 - (result.successful + result.failed)));
      } finally {
        await closeAll();
      }
    });
  });
}
