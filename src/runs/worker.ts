/**
 * A worker process's side of the cluster: takes run jobs from the BullMQ queue and executes them
 * (executor.ts), publishing progress for the bots. A run that was partly done (its worker died,
 * or shut down) resumes at its next unfinished example. Shutdown lets the examples in flight
 * finish within the grace period and puts the run back in the queue for another worker.
 *
 * A dead worker's runs: BullMQ's lock on the job expires after `lockMs` and the stalled-job check
 * of a live worker moves it back to the queue.
 */
import { hostname } from 'node:os';
import { Queue, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TrainingHandle } from '../trainer/run.ts';
import type { TrainingResult } from '../trainer/types.ts';
import type { BudgetLedger } from './budget.ts';
import { ClusterKeys, deleteIfEquals, QUEUE_NAME, sessions, type ClusterEvent } from './cluster.ts';
import { startJob, type RunExecutorDeps } from './executor.ts';
import { toProgress, type RunJob } from './types.ts';

/** This process, as the session of the runs it executes names it. */
export const WORKER_ID = `${hostname()}:${process.pid}`;

export interface RunWorkerOptions extends RunExecutorDeps {
  redis: Redis;
  /** A second connection, for the stop channel. */
  subscriber: Redis;
  prefix: string;
  budget: BudgetLedger;
  /** Runs this process executes at once. */
  concurrency: number;
  /** The cluster-wide cap (BullMQ global concurrency); set again by every process that starts. */
  maxConcurrentRuns: number;
  /** How long a job stays locked to a worker without renewal: a dead worker's run moves on after about this long. */
  lockMs?: number;
  /** How many times a run may lose its worker before it is failed rather than handed on again (default 5). */
  maxStalledCount?: number;
}

export class RunWorker {
  private readonly keys: ClusterKeys;
  private readonly handles = new Map<string, TrainingHandle>();
  private worker: Worker | undefined;
  private queue: Queue | undefined;
  private closing: { graceMs: number } | undefined;

  private constructor(private readonly options: RunWorkerOptions) {
    this.keys = new ClusterKeys(options.prefix);
  }

  static async start(options: RunWorkerOptions): Promise<RunWorker> {
    const w = new RunWorker(options);
    options.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== w.keys.control) return;
      try {
        const { stop } = JSON.parse(message) as { stop?: string };
        if (stop) w.handles.get(stop)?.cancel();
      } catch (err) {
        options.onError?.(err, 'control message');
      }
    });
    await options.subscriber.subscribe(w.keys.control);
    const lockMs = options.lockMs ?? 30_000;
    w.worker = new Worker(QUEUE_NAME, (job, token, signal) => w.process(job as Job<RunJob>, token, signal), {
      connection: options.redis.duplicate(),
      prefix: w.keys.bull,
      concurrency: options.concurrency,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      // A run whose workers keep dying is given up after this many moves, not retried forever.
      maxStalledCount: options.maxStalledCount ?? 5,
    });
    w.worker.on('error', (err) => options.onError?.(err, 'run worker'));
    // A run whose workers died once too often is failed by BullMQ when a worker next takes it, without running it.
    w.worker.on('failed', (job) => {
      if (job?.deferredFailure) void w.onGivenUp(job as Job<RunJob>).catch((err: unknown) => options.onError?.(err, 'stalled run'));
    });
    await w.worker.waitUntilReady();
    w.queue = new Queue(QUEUE_NAME, { connection: options.redis, prefix: w.keys.bull });
    await w.queue.setGlobalConcurrency(options.maxConcurrentRuns);
    return w;
  }

  /** Runs executing in this process. */
  get runningCount(): number {
    return this.handles.size;
  }

  /**
   * Shutdown: takes no new job, lets the examples in flight finish within `graceMs`, puts the
   * runs back in the queue (`interrupted`), then disconnects.
   */
  async close(graceMs: number): Promise<void> {
    this.closing ??= { graceMs };
    for (const handle of this.handles.values()) handle.interrupt(graceMs);
    await this.worker?.close();
    await this.queue?.close();
    await this.options.subscriber.unsubscribe(this.keys.control).catch(() => undefined);
  }

  /**
   * A run whose worker stopped answering goes back to the queue and another worker resumes it; when
   * that happened too often BullMQ fails it instead. Then nobody else would tell its user.
   */
  private async onGivenUp(job: Job<RunJob>): Promise<void> {
    const data = job.data;
    const reason = 'The workers running this run stopped too many times; it was given up (what was done is kept).';
    await this.end(data, (await this.options.journal.finished(data.runId)).length);
    await this.options.journal.setStatus(data.runId, 'failed', reason).catch((err: unknown) => this.options.onError?.(err, 'journal'));
    await this.publish({ token: data.runId, kind: 'error', message: reason });
    await this.publish({ token: '', kind: 'queue-moved' });
  }

  private async publish(event: ClusterEvent): Promise<void> {
    await this.options.redis.publish(this.keys.events, JSON.stringify(event));
  }

  private async process(job: Job<RunJob>, lockToken: string | undefined, signal?: AbortSignal): Promise<TrainingResult> {
    const { redis } = this.options;
    const data = job.data;
    const token = data.runId;
    await sessions.set(redis, this.keys, token, { status: 'running', worker: WORKER_ID });
    await this.publish({ token: '', kind: 'queue-moved' });
    let handle: TrainingHandle;
    try {
      handle = await startJob(data, this.options, (event) => {
        if (event.type === 'example') void sessions.set(redis, this.keys, token, { totals: event.totals }).catch((err: unknown) => this.options.onError?.(err, 'run session'));
        const progress = toProgress(event);
        if (progress) void this.publish({ token, kind: 'progress', progress }).catch((err: unknown) => this.options.onError?.(err, 'run progress'));
      });
    } catch (err) {
      // A resumed run keeps the examples earlier attempts finished charged: they were trained.
      const done = await this.options.journal.finished(token).then((examples) => examples.length, () => 0);
      await this.end(data, done);
      await this.options.journal.setStatus(token, 'failed', err instanceof Error ? err.message : String(err)).catch(() => undefined);
      await this.publish({ token, kind: 'error', message: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    this.handles.set(token, handle);
    await this.publish({ token, kind: 'started', runId: token });
    // A stop or a shutdown may have come while the run was being set up.
    if (await redis.exists(this.keys.stop(token))) handle.cancel();
    if (this.closing) handle.interrupt(this.closing.graceMs);
    signal?.addEventListener('abort', () => handle.cancel(), { once: true });
    let result: TrainingResult;
    try {
      result = await handle.done;
    } finally {
      this.handles.delete(token);
    }
    if (result.status === 'interrupted') {
      // Back to the queue, for the next worker: its budget stays reserved, its user keeps the claim.
      const done = result.successful + result.failed;
      await sessions.set(redis, this.keys, token, { status: 'queued' });
      await this.publish({ token, kind: 'interrupted', done });
      await job.moveToWait(lockToken);
      await this.publish({ token: '', kind: 'queue-moved' });
      throw new WaitingError();
    }
    await this.end(data, result.successful + result.failed);
    await this.publish({ token, kind: 'finished', result });
    await this.publish({ token: '', kind: 'queue-moved' });
    return result;
  }

  /** The run is over: its unused budget goes back, its user may start another. */
  private async end(data: RunJob, used: number): Promise<void> {
    const { redis } = this.options;
    await this.options.budget.settle(data.options.userId, data.runId, used).catch((err: unknown) => this.options.onError?.(err, 'budget'));
    await redis.del(this.keys.session(data.runId), this.keys.stop(data.runId));
    await deleteIfEquals(redis, this.keys.active(data.options.userId), data.runId);
  }
}
