/**
 * `npm run bench -- cluster`: what the scaled mode costs and gives, on this machine. The same
 * batch of runs (8 users × 20 examples, 50 ms provider latency, no quotas) through the embedded
 * in-process queue, then through the BullMQ queue on Redis with 1 and 2 worker processes; and how
 * long a queued run takes to start and a Stop to take effect through Redis. Needs Redis
 * (BENCH_REDIS_URL, default redis://127.0.0.1:6379); the keys go under a fresh prefix, deleted after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { UNLIMITED_BUDGET } from '../src/runs/budget.ts';
import { BullRunQueue } from '../src/runs/bullQueue.ts';
import { connectRedis } from '../src/runs/cluster.ts';
import { InProcessRunQueue } from '../src/runs/inProcess.ts';
import type { RunJournal, RunListener, RunQueue } from '../src/runs/types.ts';
import { buildTeachers, DEFAULT_ROSTER } from '../src/teachers/roster.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';
import type { TrainingResult } from '../src/trainer/types.ts';
import { RecordingStore } from '../test/helpers/recordingStore.ts';
import { MemoryJournal } from '../test/helpers/memoryJournal.ts';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const USERS = 8;
const EXAMPLES = 20;
const LATENCY_MS = 50;
const MAX_CONCURRENT_RUNS = 4;

export interface ClusterBenchRow {
  setup: string;
  wallMs: number;
  examplesPerSecond: number;
  /** Median ms from queueing a run on an idle queue to its start (10 one-example runs, one after another). */
  idleStartMedianMs: number;
}

/** Queue → start on an idle queue, one run after another: the dispatch cost alone. */
async function idleStarts(queue: RunQueue, tag: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const queuedAt = performance.now();
    await new Promise<void>((resolve, reject) => {
      const listener: RunListener = { onStarted: () => void samples.push(performance.now() - queuedAt), onFinished: () => resolve(), onError: reject };
      queue.submit(`9${tag}-${randomBytes(4).toString('hex')}`, { userId: `9${tag}`, examples: 1, genres: [], save: false, memory: false, voting: 'consensus' }, listener).catch(reject);
    });
  }
  return Math.round(median(samples));
}

function batch(queue: RunQueue, tag: string): Promise<{ wallMs: number }> {
  const started = performance.now();
  const done = Array.from({ length: USERS }, (_, u) => {
    return new Promise<TrainingResult>((resolve, reject) => {
      const listener: RunListener = { onFinished: resolve, onError: reject };
      queue.submit(`${u + 1}${tag}-${randomBytes(4).toString('hex')}`, { userId: `${u + 1}${tag}`, examples: EXAMPLES, genres: [], save: false, memory: false, voting: 'consensus' }, listener).catch(reject);
    });
  });
  return Promise.all(done).then((results) => {
    const total = results.reduce((n, r) => n + r.successful + r.failed, 0);
    if (total !== USERS * EXAMPLES) throw new Error(`bench: ${total} examples instead of ${USERS * EXAMPLES}`);
    return { wallMs: performance.now() - started };
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  // Its log (pino, on stderr) says when it is ready.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (/worker ready/.test(out)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready`)));
  });
}

async function stopWorkers(workers: ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.exitCode !== null) return resolve();
          w.once('exit', () => resolve());
          w.kill('SIGTERM');
        }),
    ),
  );
}

async function clusterRow(sims: ProviderSimulators, workerCount: number): Promise<ClusterBenchRow> {
  const prefix = `zega-bench-${randomBytes(4).toString('hex')}`;
  const env = { ...sims.env, REDIS_URL, REDIS_PREFIX: prefix, STORAGE_URL: 'memory://', LOG_LEVEL: 'info', OLLAMA_HOST: sims.ollama.url, RUN_CONCURRENCY: '3', WORKER_CONCURRENCY: String(MAX_CONCURRENT_RUNS), MAX_CONCURRENT_RUNS: String(MAX_CONCURRENT_RUNS) };
  const workers = await Promise.all(Array.from({ length: workerCount }, () => startWorker(env)));
  const redis = connectRedis(REDIS_URL);
  const subscriber = connectRedis(REDIS_URL);
  const journal: RunJournal = new MemoryJournal(new RecordingStore());
  const queue = await BullRunQueue.open({ redis, subscriber, prefix, budget: UNLIMITED_BUDGET, journal, maxConcurrentRuns: MAX_CONCURRENT_RUNS });
  try {
    const { wallMs } = await batch(queue, 'c');
    const idleStartMedianMs = await idleStarts(queue, 'c');
    return { setup: `BullMQ, ${workerCount} worker process${workerCount > 1 ? 'es' : ''}`, wallMs: Math.round(wallMs), examplesPerSecond: round1((USERS * EXAMPLES) / (wallMs / 1000)), idleStartMedianMs };
  } finally {
    await queue.close();
    await stopWorkers(workers);
    redis.disconnect();
    subscriber.disconnect();
    await deletePrefix(prefix);
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

export async function runClusterBench(): Promise<ClusterBenchRow[] | string> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await probe.connect();
  } catch (err) {
    return `skipped: Redis at ${REDIS_URL} is unreachable (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    probe.disconnect();
  }
  const sims = await startProviderSimulators();
  for (const sim of sims.all()) sim.setBehavior('*', { latencyMs: LATENCY_MS });
  try {
    const teachers = buildTeachers(
      DEFAULT_ROSTER,
      sims.connections,
      { unlimited: true },
    );
    const store = new RecordingStore();
    const embedded = new InProcessRunQueue({ teachers: () => teachers, store, journal: new MemoryJournal(store), examplesConcurrency: 3, maxConcurrentRuns: MAX_CONCURRENT_RUNS, budget: UNLIMITED_BUDGET });
    const inProcess = await batch(embedded, 'e');
    const idleStartMedianMs = await idleStarts(embedded, 'e');
    await embedded.close(1_000);
    const rows: ClusterBenchRow[] = [
      { setup: 'embedded, in-process queue', wallMs: Math.round(inProcess.wallMs), examplesPerSecond: round1((USERS * EXAMPLES) / (inProcess.wallMs / 1000)), idleStartMedianMs },
    ];
    rows.push(await clusterRow(sims, 1));
    rows.push(await clusterRow(sims, 2));
    return rows;
  } finally {
    await sims.close();
  }
}
