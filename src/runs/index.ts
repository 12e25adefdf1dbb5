/**
 * Builds the run queue a process uses: in-process (embedded default) or, with REDIS_URL, the
 * BullMQ queue shared by the cluster (bots observe it, workers execute it).
 */
import type { Redis } from 'ioredis';
import type { Runtime } from '../app/runtime.ts';
import { KeyvBudget, RedisBudget, type BudgetLedger } from './budget.ts';
import { BullRunQueue } from './bullQueue.ts';
import { connectRedis } from './cluster.ts';
import { executorDeps, type OnError } from './executorDeps.ts';
import { InProcessRunQueue } from './inProcess.ts';
import { RunWorker } from './worker.ts';

export { executorDeps };

export function createInProcessQueue(runtime: Runtime, onError: OnError): InProcessRunQueue {
  return new InProcessRunQueue({
    ...executorDeps(runtime, onError),
    maxConcurrentRuns: runtime.config.MAX_CONCURRENT_RUNS,
    // In the store's key-value state: it survives restarts, and forgetting a user erases it.
    budget: new KeyvBudget(runtime.store.state, runtime.config.DAILY_EXAMPLES_PER_USER),
  });
}

/** This process's connections to the cluster's Redis; each role opens what it needs on it. */
export class ClusterConnection {
  private readonly connections: Redis[] = [];
  readonly redis: Redis;
  readonly budget: BudgetLedger;

  constructor(
    readonly url: string,
    readonly prefix: string,
    dailyExamplesPerUser: number,
  ) {
    this.redis = this.connect();
    this.budget = new RedisBudget(this.redis, prefix, dailyExamplesPerUser);
  }

  /** A further connection (subscribers and BullMQ workers block theirs). */
  connect(): Redis {
    const connection = connectRedis(this.url);
    this.connections.push(connection);
    return connection;
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }
}

export function openBullQueue(runtime: Runtime, cluster: ClusterConnection, onError: OnError): Promise<BullRunQueue> {
  return BullRunQueue.open({
    redis: cluster.redis,
    subscriber: cluster.connect(),
    prefix: cluster.prefix,
    budget: cluster.budget,
    journal: executorDeps(runtime, onError).journal,
    maxConcurrentRuns: runtime.config.MAX_CONCURRENT_RUNS,
    onError,
  });
}

export function startRunWorker(runtime: Runtime, cluster: ClusterConnection, onError: OnError): Promise<RunWorker> {
  return RunWorker.start({
    ...executorDeps(runtime, onError),
    redis: cluster.redis,
    subscriber: cluster.connect(),
    prefix: cluster.prefix,
    budget: cluster.budget,
    concurrency: runtime.config.WORKER_CONCURRENCY,
    maxConcurrentRuns: runtime.config.MAX_CONCURRENT_RUNS,
    lockMs: runtime.config.RUN_LOCK_MS,
  });
}
