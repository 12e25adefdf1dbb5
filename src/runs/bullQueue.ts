/**
 * The cluster's run queue as a front end (a bot process) sees it: runs are BullMQ jobs on Redis,
 * executed by worker processes (worker.ts); this side enqueues, observes and stops them. The rules
 * hold for the whole cluster: one active run per user (a Redis claim), MAX_CONCURRENT_RUNS through
 * BullMQ's global concurrency, positions from BullMQ's waiting list, the budget on Redis.
 *
 * Progress reaches the listener of the process that queued the run through the events channel.
 * A run nobody observes any more (its bot restarted or died) is adopted by a live bot, which
 * reports on the run's stored message.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunOptions } from '../trainer/types.ts';
import type { BudgetLedger } from './budget.ts';
import { ClusterKeys, deleteIfEquals, QUEUE_NAME, sessions, type ClusterEvent } from './cluster.ts';
import { planJob } from './executor.ts';
import { forgetClusterUser } from './forget.ts';
import {
  ActiveRunError,
  QueueClosedError,
  type RunJob,
  type RunJournal,
  type RunListener,
  type RunLocation,
  type RunQueue,
  type RunSession,
} from './types.ts';

export interface BullRunQueueOptions {
  /** Commands (shared with the budget). */
  redis: Redis;
  /** A second connection, for the events subscription. */
  subscriber: Redis;
  prefix: string;
  budget: BudgetLedger;
  journal: RunJournal;
  maxConcurrentRuns: number;
  onError?: (error: unknown, context: string) => void;
  /** How long an observer's claim on a run lasts without renewal (a bot that died lets go after this). */
  observerTtlMs?: number;
}

interface Observed {
  listener: RunListener;
  toldPosition?: number;
  queued: boolean;
}

/** Jobs kept after they end, for a while, for inspection (the store keeps the run itself). */
const KEEP_FINISHED = { age: 24 * 3600, count: 1000 };

export class BullRunQueue implements RunQueue {
  private readonly keys: ClusterKeys;
  private readonly queue: Queue;
  private readonly observed = new Map<string, Observed>();
  private readonly notifications = new Set<Promise<unknown>>();
  private readonly observerTtlMs: number;
  private renewTimer: NodeJS.Timeout | undefined;
  private positionsTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(private readonly options: BullRunQueueOptions) {
    this.keys = new ClusterKeys(options.prefix);
    this.queue = new Queue(QUEUE_NAME, { connection: options.redis, prefix: this.keys.bull });
    this.observerTtlMs = options.observerTtlMs ?? 30_000;
  }

  static async open(options: BullRunQueueOptions): Promise<BullRunQueue> {
    const q = new BullRunQueue(options);
    await q.queue.setGlobalConcurrency(options.maxConcurrentRuns);
    options.subscriber.on('message', (channel: string, message: string) => {
      if (channel === q.keys.events) q.onEvent(message);
    });
    await options.subscriber.subscribe(q.keys.events);
    // Claims on observed runs are renewed well within their lifetime.
    q.renewTimer = setInterval(() => void q.renewClaims(), Math.max(200, Math.floor(q.observerTtlMs / 3)));
    q.renewTimer.unref();
    return q;
  }

  async active(userId: string): Promise<RunSession | undefined> {
    const token = await this.options.redis.get(this.keys.active(userId));
    if (!token) return undefined;
    const session = await this.session(token);
    if (session) return session;
    // A claim without a live job (its job vanished): let it go.
    const state = await this.queue.getJobState(token);
    if (state !== 'waiting' && state !== 'active' && state !== 'delayed' && state !== 'prioritized') await deleteIfEquals(this.options.redis, this.keys.active(userId), token);
    return undefined;
  }

  session(token: string): Promise<RunSession | undefined> {
    return sessions.read(this.options.redis, this.keys, token);
  }

  async queuePosition(token: string): Promise<number | undefined> {
    const waiting = await this.queue.getWaiting(0, -1);
    const index = waiting.findIndex((job) => job.id === token);
    return index < 0 ? undefined : index + 1;
  }

  remainingToday(userId: string): Promise<number> {
    return this.options.budget.remaining(userId);
  }

  async setLocation(token: string, location: RunLocation): Promise<void> {
    await sessions.set(this.options.redis, this.keys, token, { location });
    const job = await this.queue.getJob(token);
    if (job) await job.updateData({ ...(job.data as RunJob), location }).catch(() => undefined);
    await this.options.journal.setLocation(token, location);
  }

  async submit(token: string, options: RunOptions, listener: RunListener): Promise<RunSession> {
    if (this.closed) throw new QueueClosedError();
    const { redis } = this.options;
    const userId = options.userId;
    if (!(await this.claimUser(userId, token))) throw new ActiveRunError(userId);
    const job = planJob(token, options);
    const queuedAt = Date.now();
    try {
      await this.options.budget.reserve(userId, token, options.examples);
      try {
        await this.options.journal.plan(job);
        await sessions.create(redis, this.keys, job, queuedAt);
        this.observe(token, listener, true);
        await redis.set(this.keys.observer(token), '1', 'PX', this.observerTtlMs);
        await this.queue.add('run', job, { jobId: token, removeOnComplete: KEEP_FINISHED, removeOnFail: KEEP_FINISHED });
      } catch (err) {
        this.observed.delete(token);
        await redis.del(this.keys.session(token), this.keys.observer(token));
        await this.options.budget.settle(userId, token, 0);
        throw err;
      }
    } catch (err) {
      await deleteIfEquals(redis, this.keys.active(userId), token);
      throw err;
    }
    await this.publish({ token: '', kind: 'queue-moved' });
    return (await this.session(token)) ?? { token, ownerId: userId, options: job.options, status: 'queued', runId: token, stopping: false, queuedAt };
  }

  /** Claims the user's one active run; a stale claim (its job is gone) is cleared first. */
  private async claimUser(userId: string, token: string): Promise<boolean> {
    const key = this.keys.active(userId);
    if ((await this.options.redis.set(key, token, 'NX')) === 'OK') return true;
    if (await this.active(userId)) return false;
    return (await this.options.redis.set(key, token, 'NX')) === 'OK';
  }

  async stop(token: string): Promise<boolean> {
    const { redis } = this.options;
    const job = await this.queue.getJob(token);
    if (!job) return false;
    const state = await job.getState();
    if (state === 'waiting' || state === 'prioritized' || state === 'delayed') {
      let removed = false;
      try {
        await job.remove();
        removed = true;
      } catch {
        // A worker took it meanwhile: it is running, stop it there.
      }
      if (removed) {
        const data = job.data as RunJob;
        const done = (await this.options.journal.finished(token)).length;
        await this.options.budget.settle(data.options.userId, token, done);
        // Cancelled even when an earlier attempt did some: an interrupted run would be resumed at the next start.
        await this.options.journal.setStatus(token, 'cancelled', 'Stopped while waiting in the queue.');
        await redis.del(this.keys.session(token), this.keys.observer(token));
        await deleteIfEquals(redis, this.keys.active(data.options.userId), token);
        await this.publish({ token, kind: 'left-queue' });
        await this.publish({ token: '', kind: 'queue-moved' });
        return true;
      }
    } else if (state !== 'active') {
      return false;
    }
    await redis.set(this.keys.stop(token), '1', 'PX', 24 * 3600_000);
    await sessions.set(redis, this.keys, token, { stopping: true });
    await redis.publish(this.keys.control, JSON.stringify({ stop: token }));
    await this.publish({ token, kind: 'stopping' });
    return true;
  }

  /**
   * Adopts the runs of the cluster that no live bot observes (their bot stopped): each gets a
   * listener from `attach` (e.g. one that edits the run's stored message). Returns the adopted ones.
   */
  async adoptUnfinished(attach: (job: RunJob, done: number) => RunListener): Promise<string[]> {
    if (this.closed) return [];
    const adopted: string[] = [];
    const jobs = [...(await this.queue.getActive()), ...(await this.queue.getWaiting(0, -1))];
    for (const job of jobs) {
      const token = job.id;
      if (!token || this.observed.has(token)) continue;
      if ((await this.options.redis.set(this.keys.observer(token), '1', 'PX', this.observerTtlMs, 'NX')) !== 'OK') continue;
      const data = job.data as RunJob;
      const done = (await this.options.journal.finished(token)).length;
      const session = await this.session(token);
      this.observe(token, attach({ ...data, ...(session?.location ? { location: session.location } : {}) }, done), session?.status !== 'running');
      adopted.push(token);
    }
    if (adopted.length > 0) this.schedulePositions();
    return adopted;
  }

  forgetUser(userId: string): Promise<number> {
    return forgetClusterUser(this.options.redis, this.options.prefix, userId);
  }

  async close(): Promise<void> {
    // The runs belong to the workers: a bot that stops only stops observing (another bot adopts them).
    this.closed = true;
    clearInterval(this.renewTimer);
    clearTimeout(this.positionsTimer);
    while (this.notifications.size > 0) await Promise.all([...this.notifications]);
    const tokens = [...this.observed.keys()];
    this.observed.clear();
    if (tokens.length > 0) await this.options.redis.del(...tokens.map((t) => this.keys.observer(t))).catch(() => undefined);
    await this.options.subscriber.unsubscribe(this.keys.events).catch(() => undefined);
    await this.queue.close();
  }

  private observe(token: string, listener: RunListener, queued: boolean): void {
    this.observed.set(token, { listener, queued });
  }

  private async renewClaims(): Promise<void> {
    if (this.closed || this.observed.size === 0) return;
    const pipeline = this.options.redis.pipeline();
    for (const token of this.observed.keys()) pipeline.set(this.keys.observer(token), '1', 'PX', this.observerTtlMs);
    await pipeline.exec().catch((err: unknown) => this.options.onError?.(err, 'renewing run observer claims'));
  }

  private async publish(event: ClusterEvent): Promise<void> {
    await this.options.redis.publish(this.keys.events, JSON.stringify(event));
  }

  private onEvent(message: string): void {
    let event: ClusterEvent;
    try {
      event = JSON.parse(message) as ClusterEvent;
    } catch (err) {
      this.options.onError?.(err, 'cluster event');
      return;
    }
    if (event.kind === 'queue-moved') return this.schedulePositions();
    const entry = this.observed.get(event.token);
    if (!entry) return;
    const { listener } = entry;
    switch (event.kind) {
      case 'started':
        entry.queued = false;
        this.safe(() => listener.onStarted?.(event.runId));
        return this.schedulePositions();
      case 'progress':
        return this.safe(() => listener.onProgress?.(event.progress));
      case 'stopping':
        return this.safe(() => listener.onStopping?.());
      case 'left-queue':
        this.forget(event.token);
        return this.safe(() => listener.onLeftQueue?.());
      case 'finished':
        this.forget(event.token);
        return this.safe(() => listener.onFinished?.(event.result));
      case 'interrupted':
        // Back in the queue: another worker (or this one after its restart) resumes it.
        entry.queued = true;
        entry.toldPosition = undefined;
        this.safe(() => listener.onInterrupted?.(event.done));
        return this.schedulePositions();
      case 'error':
        this.forget(event.token);
        return this.safe(() => listener.onError?.(new Error(event.message)));
    }
  }

  private forget(token: string): void {
    this.observed.delete(token);
    this.options.redis.del(this.keys.observer(token)).catch(() => undefined);
  }

  /** Positions are read from BullMQ's waiting list, at most every 50 ms however many events come. */
  private schedulePositions(): void {
    if (this.positionsTimer || this.closed) return;
    this.positionsTimer = setTimeout(() => {
      this.positionsTimer = undefined;
      this.notifyPositions().catch((err: unknown) => this.options.onError?.(err, 'queue positions'));
    }, 50);
  }

  private async notifyPositions(): Promise<void> {
    if (![...this.observed.values()].some((e) => e.queued)) return;
    const waiting = (await this.queue.getWaiting(0, -1)).map((job) => job.id);
    for (const [token, entry] of this.observed) {
      if (!entry.queued) continue;
      const index = waiting.indexOf(token);
      if (index < 0 || entry.toldPosition === index + 1) continue;
      entry.toldPosition = index + 1;
      this.safe(() => entry.listener.onQueued?.(index + 1));
    }
  }

  private safe(fn: () => unknown): void {
    try {
      const result = fn();
      if (result instanceof Promise) {
        const tracked: Promise<unknown> = result
          .catch((err: unknown) => this.options.onError?.(err, 'run listener'))
          .finally(() => this.notifications.delete(tracked));
        this.notifications.add(tracked);
      }
    } catch (err) {
      this.options.onError?.(err, 'run listener');
    }
  }
}
