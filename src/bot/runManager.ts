/**
 * Who may train now: one active run per user, and at most `maxConcurrentRuns` runs at once for
 * the whole bot; further runs wait in a FIFO queue and learn their position. This is what keeps
 * one user from burning the bot's API quota (with the per-teacher rate limiters underneath).
 * Knows nothing of Discord: front ends pass listeners.
 */
import type { Teacher } from '../teachers/types.ts';
import { startTraining, type TrainingHandle } from '../trainer/run.ts';
import type { RunOptions, RunTotals, TrainerStore, TrainingEvent, TrainingResult } from '../trainer/types.ts';

export interface RunListener {
  /** Position in the queue (1 = next); called on entry and whenever it changes. */
  onQueued?(position: number): void;
  onStarted?(runId: string): void;
  onEvent?(event: TrainingEvent): void;
  onFinished?(result: TrainingResult): void;
  onError?(error: unknown): void;
}

export interface RunSession {
  token: string;
  ownerId: string;
  options: RunOptions;
  status: 'queued' | 'running' | 'finished';
  runId?: string;
  totals?: RunTotals;
  result?: TrainingResult;
  stopping: boolean;
  queuedAt: number;
  /** Where its progress is shown, for links in `/autotrain status`. */
  location?: { channelId: string; messageId: string; guildId?: string };
}

export interface RunManagerOptions {
  teachers: () => Teacher[];
  store: TrainerStore;
  maxConcurrentRuns: number;
  examplesConcurrency: number;
  onError?: (error: unknown, context: string) => void;
}

interface Entry {
  session: RunSession;
  listener: RunListener;
  handle?: TrainingHandle;
}

export class RunManager {
  private readonly byToken = new Map<string, Entry>();
  private readonly activeByUser = new Map<string, Entry>();
  private readonly lastByUser = new Map<string, RunSession>();
  private readonly queue: Entry[] = [];
  private running = 0;

  constructor(private readonly options: RunManagerOptions) {}

  /** The user's queued or running run. */
  active(userId: string): RunSession | undefined {
    return this.activeByUser.get(userId)?.session;
  }

  /** The user's active run, or the last one this process ran for them. */
  current(userId: string): RunSession | undefined {
    return this.active(userId) ?? this.lastByUser.get(userId);
  }

  session(token: string): RunSession | undefined {
    return this.byToken.get(token)?.session;
  }

  get runningCount(): number {
    return this.running;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  /**
   * Queues a run (it starts at once when a slot is free). Throws when the user already has one;
   * the caller checks `active()` first to answer nicely.
   */
  submit(token: string, options: RunOptions, listener: RunListener): RunSession {
    if (this.activeByUser.has(options.userId)) throw new Error(`user ${options.userId} already has an active run`);
    const session: RunSession = { token, ownerId: options.userId, options, status: 'queued', stopping: false, queuedAt: Date.now() };
    const entry: Entry = { session, listener };
    this.byToken.set(token, entry);
    this.activeByUser.set(options.userId, entry);
    this.queue.push(entry);
    this.pump();
    if (session.status === 'queued') this.safe(() => listener.onQueued?.(this.queue.indexOf(entry) + 1), 'queue listener');
    return session;
  }

  /** Stops a queued or running run; what is done is kept. Returns false when there is nothing to stop. */
  stop(token: string): boolean {
    const entry = this.byToken.get(token);
    if (!entry || entry.session.status === 'finished') return false;
    entry.session.stopping = true;
    if (entry.session.status === 'queued') {
      this.queue.splice(this.queue.indexOf(entry), 1);
      this.release(entry);
      this.notifyPositions();
      return true;
    }
    entry.handle?.cancel();
    return true;
  }

  /** Stops every run (shutdown); resolves when they have ended and saved their results. */
  async stopAll(): Promise<void> {
    for (const entry of [...this.queue]) this.stop(entry.session.token);
    const running = [...this.byToken.values()].filter((e) => e.session.status === 'running');
    for (const entry of running) entry.handle?.cancel();
    await Promise.all(running.map((e) => e.handle?.done.catch(() => undefined)));
  }

  private pump(): void {
    while (this.running < this.options.maxConcurrentRuns && this.queue.length > 0) {
      const entry = this.queue.shift() as Entry;
      this.start(entry);
    }
    this.notifyPositions();
  }

  private notifyPositions(): void {
    this.queue.forEach((entry, i) => this.safe(() => entry.listener.onQueued?.(i + 1), 'queue listener'));
  }

  private start(entry: Entry): void {
    const { session, listener } = entry;
    this.running += 1;
    session.status = 'running';
    try {
      entry.handle = startTraining(session.options, {
        teachers: this.options.teachers(),
        store: this.options.store,
        concurrency: this.options.examplesConcurrency,
        onError: this.options.onError,
        onEvent: (event) => {
          if (event.type === 'example') session.totals = event.totals;
          this.safe(() => listener.onEvent?.(event), 'run listener');
        },
      });
    } catch (err) {
      this.running -= 1;
      this.release(entry);
      this.safe(() => listener.onError?.(err), 'run listener');
      return;
    }
    session.runId = entry.handle.runId;
    this.safe(() => listener.onStarted?.(session.runId as string), 'run listener');
    entry.handle.done.then(
      (result) => {
        session.result = result;
        this.finish(entry);
        this.safe(() => listener.onFinished?.(result), 'run listener');
      },
      (err: unknown) => {
        this.finish(entry);
        this.safe(() => listener.onError?.(err), 'run listener');
      },
    );
  }

  private finish(entry: Entry): void {
    this.running -= 1;
    this.release(entry);
    this.pump();
  }

  private release(entry: Entry): void {
    entry.session.status = 'finished';
    // Finished runs live on in the store; only the last one per user stays here, for /autotrain status.
    this.byToken.delete(entry.session.token);
    this.lastByUser.set(entry.session.ownerId, entry.session);
    if (this.activeByUser.get(entry.session.ownerId) === entry) this.activeByUser.delete(entry.session.ownerId);
  }

  private safe(fn: () => void, context: string): void {
    try {
      fn();
    } catch (err) {
      this.options.onError?.(err, context);
    }
  }
}
