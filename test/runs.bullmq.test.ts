/**
 * The cluster's run queue on a real Redis: a bot-side BullRunQueue and RunWorkers in this process,
 * sharing one store. The same RunQueue rules as the in-process queue, then what only a cluster
 * has: a worker that shuts down puts its run back for another, and a bot adopts runs nobody
 * observes.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { RedisBudget, UNLIMITED_BUDGET } from '../src/runs/budget.ts';
import { BullRunQueue } from '../src/runs/bullQueue.ts';
import { connectRedis } from '../src/runs/cluster.ts';
import type { RunExecutorDeps } from '../src/runs/executor.ts';
import { RunWorker } from '../src/runs/worker.ts';
import { buildTeachers, DEFAULT_ROSTER } from '../src/teachers/roster.ts';
import type { Teacher } from '../src/teachers/types.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';
import { MemoryJournal } from './helpers/memoryJournal.ts';
import { RecordingStore } from './helpers/recordingStore.ts';
import { deletePrefix, describeWithRedis, freshPrefix, TEST_REDIS_URL } from './helpers/redis.ts';
import { opts, runQueueContract, track, type QueueSettings } from './helpers/runQueueContract.ts';
import { start } from './helpers/processes.ts';
import { runCli } from '../src/cli/index.ts';
import { ActiveRunError } from '../src/runs/types.ts';
import { Queue } from 'bullmq';
import { ClusterKeys, QUEUE_NAME } from '../src/runs/cluster.ts';

let sims: ProviderSimulators;
let teachers: Teacher[];
const prefixes: string[] = [];
beforeAll(async () => {
  sims = await startProviderSimulators();
  for (const sim of sims.all()) sim.setBehavior('*', { latencyMs: 60 });
  teachers = buildTeachers(
    DEFAULT_ROSTER,
    sims.connections,
    { unlimited: true },
  );
});
afterAll(async () => {
  await sims?.close();
  for (const prefix of prefixes) await deletePrefix(prefix);
});

interface Cluster {
  queue: BullRunQueue;
  workers: RunWorker[];
  store: RecordingStore;
  journal: MemoryJournal;
  errors: unknown[];
  prefix: string;
  addWorker(options?: { maxStalledCount?: number; lockMs?: number; teachers?: () => Teacher[] }): Promise<RunWorker>;
  close(): Promise<void>;
}

async function cluster(settings: QueueSettings & { workers?: number; workerConcurrency?: number }): Promise<Cluster> {
  const prefix = freshPrefix();
  prefixes.push(prefix);
  const connections: Redis[] = [];
  const connect = () => {
    const c = connectRedis(TEST_REDIS_URL);
    connections.push(c);
    return c;
  };
  const redis = connect();
  const budget = settings.dailyExamplesPerUser === undefined ? UNLIMITED_BUDGET : new RedisBudget(redis, prefix, settings.dailyExamplesPerUser, settings.now);
  const store = new RecordingStore();
  const journal = new MemoryJournal(store);
  const errors: unknown[] = [];
  const onError = (err: unknown) => void errors.push(err);
  const deps: RunExecutorDeps = { teachers: () => teachers, store, journal, examplesConcurrency: 2, onError };
  const queue = await BullRunQueue.open({ redis, subscriber: connect(), prefix, budget, journal, maxConcurrentRuns: settings.maxConcurrentRuns, onError, observerTtlMs: 1_500 });
  const workers: RunWorker[] = [];
  const addWorker = async (options: { maxStalledCount?: number; lockMs?: number; teachers?: () => Teacher[] } = {}) => {
    const w = await RunWorker.start({ ...deps, redis: connect(), subscriber: connect(), prefix, budget, concurrency: settings.workerConcurrency ?? 5, maxConcurrentRuns: settings.maxConcurrentRuns, lockMs: 2_000, ...options });
    workers.push(w);
    return w;
  };
  for (let i = 0; i < (settings.workers ?? 1); i++) await addWorker();
  return {
    queue,
    workers,
    store,
    journal,
    errors,
    prefix,
    addWorker,
    async close() {
      for (const w of workers) await w.close(1_000);
      await queue.close();
      for (const c of connections) c.disconnect();
    },
  };
}

runQueueContract(
  'BullMQ on Redis',
  async (settings) => {
    const c = await cluster(settings);
    return { queue: c.queue, close: () => c.close() };
  },
  describeWithRedis,
);

describeWithRedis('BullMQ cluster: MAX_CONCURRENT_RUNS, shutdown and adoption', () => {
  it('caps the whole cluster at MAX_CONCURRENT_RUNS whatever the workers could take', async () => {
    const c = await cluster({ maxConcurrentRuns: 2, workers: 2, workerConcurrency: 5 });
    try {
      const runs = ['1', '2', '3', '4', '5'].map((u) => ({ u, t: track() }));
      for (const { u, t } of runs) await c.queue.submit(`${u}-r`, opts(u, 3), t.listener);
      let most = 0;
      const watch = setInterval(() => (most = Math.max(most, c.workers.reduce((n, w) => n + w.runningCount, 0))), 5);
      const results = await Promise.all(runs.map(({ t }) => t.finished));
      clearInterval(watch);
      expect(results.map((r) => r.successful)).toEqual([3, 3, 3, 3, 3]);
      expect(most).toBe(2);
    } finally {
      await c.close();
    }
  });

  it('a worker that shuts down puts its run back; another worker resumes it at the next unfinished example', async () => {
    const c = await cluster({ maxConcurrentRuns: 2, workers: 1 });
    try {
      const a = track();
      const progress: unknown[] = [];
      a.listener.onProgress = (p) => void progress.push(p);
      await c.queue.submit('1-a', opts('1', 30), a.listener);
      await vi.waitFor(() => expect(c.store.examples.length).toBeGreaterThanOrEqual(4), { timeout: 10_000 });
      const [first] = c.workers;
      await first?.close(5_000);
      expect(a.interruptedAt).toBeGreaterThanOrEqual(4);
      expect((await c.queue.session('1-a'))?.status).toBe('queued');
      await c.addWorker();
      const result = await a.finished;
      expect(result.successful + result.failed).toBe(30);
      expect(progress).toContainEqual({ type: 'started', runId: '1-a', resumedAt: a.interruptedAt });
      const indexes = c.store.examples.map((e) => e.index).sort((x, y) => x - y);
      expect(indexes).toEqual(Array.from({ length: 30 }, (_, i) => i));
      expect(await c.queue.active('1')).toBeUndefined();
    } finally {
      await c.close();
    }
  });

  it('a bot adopts a run whose observer went away, and hears its end', async () => {
    const c = await cluster({ maxConcurrentRuns: 2, workers: 1 });
    try {
      const own = [connectRedis(TEST_REDIS_URL), connectRedis(TEST_REDIS_URL)] as const;
      const first = await BullRunQueue.open({
        redis: own[0],
        subscriber: own[1],
        prefix: c.prefix,
        budget: UNLIMITED_BUDGET,
        journal: c.journal,
        maxConcurrentRuns: 2,
        observerTtlMs: 1_500,
      });
      await first.submit('1-a', opts('1', 20), track().listener);
      // Observed by `first`: nothing to adopt.
      expect(await c.queue.adoptUnfinished(() => track().listener)).toEqual([]);
      await first.close();
      for (const connection of own) connection.disconnect();
      const adopted = track();
      let resumedAt = -1;
      expect(await c.queue.adoptUnfinished((job, done) => ((resumedAt = done), adopted.listener))).toEqual(['1-a']);
      expect(resumedAt).toBeGreaterThanOrEqual(0);
      expect((await adopted.finished).successful).toBe(20);
    } finally {
      await c.close();
    }
  });

  it('a run resumed by another worker charges its user once per example; one that cannot start again keeps what was done charged', async () => {
    const c = await cluster({ maxConcurrentRuns: 2, workers: 1, dailyExamplesPerUser: 100 });
    try {
      // Interrupted, then finished by another worker: one reservation for the whole run.
      const a = track();
      await c.queue.submit('1-a', opts('1', 30), a.listener);
      await vi.waitFor(() => expect(c.store.examples.length).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
      await c.workers[0]?.close(5_000);
      expect(await c.queue.remainingToday('1')).toBe(70);
      await c.addWorker();
      expect((await a.finished).successful).toBe(30);
      await vi.waitFor(async () => expect(await c.queue.active('1')).toBeUndefined());
      expect(await c.queue.remainingToday('1')).toBe(70);

      // Interrupted, then taken by a worker that cannot start it (no teacher): it fails, and the
      // examples its first attempt trained stay charged; only the rest goes back.
      const b = track();
      const errors: unknown[] = [];
      b.listener.onError = (err) => void errors.push(err);
      await c.queue.submit('2-b', opts('2', 30), b.listener);
      await vi.waitFor(() => expect(c.store.examples.filter((e) => e.runId === '2-b').length).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
      await c.workers[1]?.close(5_000);
      const done = b.interruptedAt as number;
      expect(done).toBeGreaterThanOrEqual(3);
      await c.addWorker({ teachers: () => [] });
      await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 10_000 });
      await vi.waitFor(async () => expect(await c.queue.active('2')).toBeUndefined());
      expect(await c.queue.remainingToday('2')).toBe(100 - done);
    } finally {
      await c.close();
    }
  }, 60_000);

  it("forgetting a user erases their ledger and run records on Redis (none of anyone else's), and refuses while they have a run", async () => {
    const c = await cluster({ maxConcurrentRuns: 2, workers: 1, dailyExamplesPerUser: 50 });
    const redis = connectRedis(TEST_REDIS_URL);
    const keys = new ClusterKeys(c.prefix);
    const queue = new Queue(QUEUE_NAME, { connection: redis, prefix: keys.bull });
    /** Every key of the prefix that names user `u` or one of their runs. */
    const keysOf = async (u: string) => (await redis.keys(`${c.prefix}:*`)).filter((k) => k.endsWith(`:${u}`) || k.includes(`:${u}-`));
    try {
      for (const u of ['7', '8']) {
        const t = track();
        await c.queue.submit(`${u}-a`, opts(u, 2), t.listener);
        await t.finished;
      }
      await vi.waitFor(async () => expect(await c.queue.active('7')).toBeUndefined());
      expect(await c.queue.remainingToday('7')).toBe(48);
      // A finished job (its plan and message) and the ledger are on Redis.
      expect(await queue.getJob('7-a')).toBeDefined();
      expect(await keysOf('7')).toContain(keys.budget('7'));

      // While a run is queued or running, nothing is erased.
      const running = track();
      await c.queue.submit('7-b', opts('7', 40), running.listener);
      await expect(c.queue.forgetUser('7')).rejects.toBeInstanceOf(ActiveRunError);
      expect(await queue.getJob('7-a')).toBeDefined();
      await c.queue.stop('7-b');
      await running.finished;
      await vi.waitFor(async () => expect(await c.queue.active('7')).toBeUndefined());
      expect((await keysOf('7')).length).toBeGreaterThan(0);

      expect(await c.queue.forgetUser('7')).toBeGreaterThanOrEqual(3);
      expect(await keysOf('7')).toEqual([]);
      expect(await queue.getJob('7-a')).toBeUndefined();
      expect(await queue.getJob('7-b')).toBeUndefined();
      expect(await c.queue.remainingToday('7')).toBe(50);
      // User 8 keeps everything.
      expect(await queue.getJob('8-a')).toBeDefined();
      expect(await c.queue.remainingToday('8')).toBe(48);

      // `cli forget` in a cluster (REDIS_URL set) erases the same records.
      const io = { stdout: [] as string[], stderr: [] as string[], out(l: string) { this.stdout.push(l); }, error(l: string) { this.stderr.push(l); } };
      const env = { STORAGE_URL: 'memory://', REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: c.prefix };
      expect(await runCli(['forget', '--user', '8', '--yes'], io, env), io.stderr.join('\n')).toBe(0);
      expect(await keysOf('8')).toEqual([]);
      expect(await queue.getJob('8-a')).toBeUndefined();
      expect(await c.queue.remainingToday('8')).toBe(50);
    } finally {
      await queue.close();
      redis.disconnect();
      await c.close();
    }
  }, 60_000);

  it('a run whose worker died once too often is failed, and its user is told', async () => {
    const c = await cluster({ maxConcurrentRuns: 2, workers: 0 });
    const child = start(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], {
      ...sims.env,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: c.prefix,
      STORAGE_URL: 'memory://',
      RUN_LOCK_MS: '1000',
      LOG_LEVEL: 'info',
    });
    try {
      await child.waitFor(/worker ready/);
      const errors: unknown[] = [];
      let started = false;
      const listener = { ...track().listener, onStarted: () => void (started = true), onError: (err: unknown) => void errors.push(err) };
      await c.queue.submit('1-a', opts('1', 200), listener);
      await vi.waitFor(() => expect(started).toBe(true), { timeout: 15_000 });
      child.child.kill('SIGKILL');
      await child.exited;
      // The worker left standing checks for stalled runs; this run may not be handed on again.
      await c.addWorker({ maxStalledCount: 0, lockMs: 1_000 });
      await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 15_000 });
      expect(String(errors[0])).toMatch(/stopped too many times/);
      await vi.waitFor(async () => expect(await c.queue.active('1')).toBeUndefined());
    } finally {
      if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
      await c.close();
    }
  }, 60_000);
});
