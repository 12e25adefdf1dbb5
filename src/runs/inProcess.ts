/**
 * The embedded run queue: runs execute in this process. One active run per user, at most
 * `maxConcurrentRuns` at once, further runs wait in a FIFO queue and learn their position. Every
 * run's plan is in the journal from the moment it is queued, so a stopped process resumes it at
 * its next start (`resumeUnfinished`). Knows nothing of Discord: front ends pass listeners.
 */
import type { TrainingHandle } from '../trainer/run.ts';
import type { TrainingResult } from '../trainer/types.ts';
import type { BudgetLedger } from './budget.ts';
import { planJob, startJob, type RunExecutorDeps } from './executor.ts';
import {
  ActiveRunError,
  QueueClosedError,
  toProgress,
  type RunJob,
  type RunListener,
  type RunLocation,
  type RunQueue,
  type RunSession,
} from './types.ts';
import type { RunOptions } from '../trainer/types.ts';

export interface InProcessRunQueueOptions extends RunExecutorDeps {
  maxConcurrentRuns: number;
  budget: BudgetLedger;
}

interface Entry {
  job: RunJob;
  session: RunSession;
  listener: RunListener;
  handle?: TrainingHandle;
  /** The queue position last told to the listener. */
  toldPosition?: number;
  /** Examples a previous attempt finished (a resumed run). */
  resumedAt: number;
}

export class InProcessRunQueue implements RunQueue {
  private readonly byToken = new Map<string, Entry>();
  private readonly activeByUser = new Map<string, string>();
  private readonly queue: Entry[] = [];
  /** Listener work still under way (final messages), awaited by close. */
  private readonly notifications = new Set<Promise<unknown>>();
  private readonly runs = new Set<Promise<unknown>>();
  private running = 0;
  private closing: { graceMs: number } | undefined;

  constructor(private readonly options: InProcessRunQueueOptions) {}

  get runningCount(): number {
    return this.running;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  active(userId: string): Promise<RunSession | undefined> {
    const token = this.activeByUser.get(userId);
    return Promise.resolve(token ? this.byToken.get(token)?.session : undefined);
  }

  session(token: string): Promise<RunSession | undefined> {
    return Promise.resolve(this.byToken.get(token)?.session);
  }

  queuePosition(token: string): Promise<number | undefined> {
    const index = this.queue.findIndex((e) => e.session.token === token);
    return Promise.resolve(index < 0 ? undefined : index + 1);
  }

  remainingToday(userId: string): Promise<number> {
    return this.options.budget.remaining(userId);
  }

  async setLocation(token: string, location: RunLocation): Promise<void> {
    const entry = this.byToken.get(token);
    if (entry) {
      entry.session.location = location;
      entry.job.location = location;
    }
    await this.options.journal.setLocation(token, location);
  }

  async submit(token: string, options: RunOptions, listener: RunListener): Promise<RunSession> {
    if (this.closing) throw new QueueClosedError();
    const userId = options.userId;
    // Claimed before the first await, so two quick submissions cannot both pass.
    if (this.activeByUser.has(userId)) throw new ActiveRunError(userId);
    this.activeByUser.set(userId, token);
    const job = planJob(token, options);
    try {
      await this.options.budget.reserve(userId, token, options.examples);
      try {
        await this.options.journal.plan(job);
      } catch (err) {
        await this.options.budget.settle(userId, token, 0);
        throw err;
      }
    } catch (err) {
      this.activeByUser.delete(userId);
      throw err;
    }
    return this.enqueue(job, listener, 0);
  }

  /**
   * At start: queues again the runs a stopped process left unfinished (their budget was reserved
   * when they were first queued). `attach` gives each its listener (e.g. its Discord message).
   */
  async adoptUnfinished(attach: (job: RunJob, done: number) => RunListener): Promise<string[]> {
    const sessions: string[] = [];
    for (const { done, ...job } of await this.options.journal.unfinished()) {
      if (this.closing || this.byToken.has(job.runId) || this.activeByUser.has(job.options.userId)) continue;
      this.activeByUser.set(job.options.userId, job.runId);
      sessions.push(this.enqueue(job, attach(job, done), done).token);
    }
    return sessions;
  }

  /** The ledger is in the store's key-value state, under the user's prefix: the store erases it. */
  forgetUser(userId: string): Promise<number> {
    return this.activeByUser.has(userId) ? Promise.reject(new ActiveRunError(userId)) : Promise.resolve(0);
  }

  private enqueue(job: RunJob, listener: RunListener, resumedAt: number): RunSession {
    const session: RunSession = {
      token: job.runId,
      ownerId: job.options.userId,
      options: job.options,
      status: 'queued',
      runId: job.runId,
      stopping: false,
      queuedAt: Date.now(),
      ...(job.location ? { location: job.location } : {}),
    };
    const entry: Entry = { job, session, listener, resumedAt };
    this.byToken.set(job.runId, entry);
    this.queue.push(entry);
    // Tells the new entry its position (pump notifies every queued entry whose position changed).
    this.pump();
    return session;
  }

  async stop(token: string): Promise<boolean> {
    const entry = this.byToken.get(token);
    if (!entry || entry.session.status === 'finished') return false;
    if (entry.session.status === 'queued') {
      entry.session.stopping = true;
      this.queue.splice(this.queue.indexOf(entry), 1);
      this.release(entry);
      this.notifyPositions();
      this.safe(() => entry.listener.onLeftQueue?.(), 'run listener');
      await this.options.budget.settle(entry.session.ownerId, token, entry.resumedAt);
      await this.options.journal.setStatus(token, 'cancelled', 'Stopped while waiting in the queue.');
      return true;
    }
    if (!entry.session.stopping) {
      entry.session.stopping = true;
      this.safe(() => entry.listener.onStopping?.(), 'run listener');
    }
    entry.handle?.cancel();
    return true;
  }

  async close(graceMs: number): Promise<void> {
    this.closing ??= { graceMs };
    // Queued runs keep their plan in the journal (status queued): the next start resumes them.
    for (const entry of this.queue.splice(0)) {
      this.release(entry);
      this.track(this.options.journal.setStatus(entry.job.runId, 'interrupted', 'Zega stopped before this run started.'), 'journal');
      this.safe(() => entry.listener.onInterrupted?.(entry.resumedAt), 'run listener');
    }
    for (const entry of this.byToken.values()) entry.handle?.interrupt(graceMs);
    while (this.runs.size > 0 || this.notifications.size > 0) await Promise.all([...this.runs, ...this.notifications]);
  }

  private pump(): void {
    while (!this.closing && this.running < this.options.maxConcurrentRuns && this.queue.length > 0) {
      this.start(this.queue.shift() as Entry);
    }
    this.notifyPositions();
  }

  /** Tells each queued entry its position when it entered or moved (not again when it did not). */
  private notifyPositions(): void {
    this.queue.forEach((entry, i) => {
      if (entry.toldPosition === i + 1) return;
      entry.toldPosition = i + 1;
      this.safe(() => entry.listener.onQueued?.(i + 1), 'queue listener');
    });
  }

  private start(entry: Entry): void {
    this.running += 1;
    entry.session.status = 'running';
    const run = this.execute(entry).finally(() => {
      this.running -= 1;
      this.release(entry);
      this.runs.delete(run);
      this.pump();
    });
    this.runs.add(run);
  }

  private async execute(entry: Entry): Promise<void> {
    const { session, listener, job } = entry;
    let result: TrainingResult;
    try {
      entry.handle = await startJob(job, this.options, (event) => {
        if (event.type === 'example') session.totals = event.totals;
        const progress = toProgress(event);
        if (progress) this.safe(() => listener.onProgress?.(progress), 'run listener');
      });
      this.safe(() => listener.onStarted?.(job.runId), 'run listener');
      // Stop or shutdown may have come while the run was being set up.
      if (session.stopping) entry.handle.cancel();
      if (this.closing) entry.handle.interrupt(this.closing.graceMs);
      result = await entry.handle.done;
    } catch (err) {
      this.release(entry);
      await this.options.budget.settle(session.ownerId, job.runId, entry.resumedAt).catch((e: unknown) => this.options.onError?.(e, 'budget'));
      await this.options.journal.setStatus(job.runId, 'failed', err instanceof Error ? err.message : String(err)).catch((e: unknown) => this.options.onError?.(e, 'journal'));
      this.safe(() => listener.onError?.(err), 'run listener');
      return;
    }
    // Released before the listeners hear of the end, so the user may start again at once.
    this.release(entry);
    if (result.status === 'interrupted') {
      this.safe(() => listener.onInterrupted?.(result.successful + result.failed), 'run listener');
      return;
    }
    await this.options.budget.settle(session.ownerId, job.runId, result.successful + result.failed).catch((e: unknown) => this.options.onError?.(e, 'budget'));
    this.safe(() => listener.onFinished?.(result), 'run listener');
  }

  private release(entry: Entry): void {
    entry.session.status = 'finished';
    // Finished runs live on in the store.
    this.byToken.delete(entry.session.token);
    if (this.activeByUser.get(entry.session.ownerId) === entry.session.token) this.activeByUser.delete(entry.session.ownerId);
  }

  private track(work: Promise<unknown>, context: string): void {
    this.safe(() => work, context);
  }

  private safe(fn: () => unknown, context: string): void {
    try {
      const result = fn();
      if (result instanceof Promise) {
        const tracked: Promise<unknown> = result
          .catch((err: unknown) => this.options.onError?.(err, context))
          .finally(() => this.notifications.delete(tracked));
        this.notifications.add(tracked);
      }
    } catch (err) {
      this.options.onError?.(err, context);
    }
  }
}
