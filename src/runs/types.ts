/**
 * A run is a job: queued once, executed by whoever takes it (this process, or any worker of the
 * cluster), observed by the front end that holds its Discord message. `RunQueue` is what front
 * ends see; an in-process queue (embedded default) and a BullMQ queue on Redis (scaled) implement
 * it with the same rules: one active run per user, at most `maxConcurrentRuns` at once, FIFO
 * positions, a daily example budget per user.
 */
import type { FinishedExample, RunOptions, RunStatus, RunTotals, TrainingEvent, TrainingResult } from '../trainer/types.ts';

/** What a run tells its observers: compact enough to travel between processes. */
export type RunProgress =
  /** `resumedAt`: examples an earlier attempt finished (the run continues from there). */
  | { type: 'started'; runId: string; resumedAt?: number }
  | { type: 'example'; runId: string; index: number; totals: RunTotals }
  /** `retryAt`: when one probe call decides whether it comes back (absent: out for the rest of the run). */
  | { type: 'teacher-unavailable'; runId: string; teacherId: string; reason: string; retryAt?: number }
  | { type: 'teacher-back'; runId: string; teacherId: string };

/** The progress a trainer event carries, or undefined for events observers do not need. */
export function toProgress(event: TrainingEvent): RunProgress | undefined {
  switch (event.type) {
    case 'started':
      return { type: 'started', runId: event.runId, ...(event.resumedAt ? { resumedAt: event.resumedAt } : {}) };
    case 'example':
      return { type: 'example', runId: event.runId, index: event.example.index, totals: event.totals };
    case 'teacher-unavailable':
      return { type: 'teacher-unavailable', runId: event.runId, teacherId: event.teacherId, reason: event.reason, ...(event.retryAt ? { retryAt: event.retryAt } : {}) };
    case 'teacher-back':
      return { type: 'teacher-back', runId: event.runId, teacherId: event.teacherId };
    default:
      return undefined;
  }
}

/**
 * What a front end hears about its run. A listener may return a promise (e.g. the final Discord
 * edit): closing the queue waits for those, so a shutdown does not cut the last message off.
 */
export interface RunListener {
  /** Position in the queue (1 = next); called on entry and whenever it changes. */
  onQueued?(position: number): void;
  onStarted?(runId: string): void;
  onProgress?(progress: RunProgress): void;
  /** Stop was pressed on a running run: it ends (onFinished, status cancelled) once calls in flight are aborted. */
  onStopping?(): void;
  /** The run was stopped while still queued: it never started, and nothing else will be called. */
  onLeftQueue?(): void | Promise<void>;
  onFinished?(result: TrainingResult): void | Promise<void>;
  /**
   * Shutdown stopped the run (queued, or running: its examples in flight finished first); it
   * resumes from `done` at the next start of a process that runs it.
   */
  onInterrupted?(done: number): void | Promise<void>;
  onError?(error: unknown): void | Promise<void>;
}

export interface RunLocation {
  channelId: string;
  messageId: string;
  guildId?: string;
  /** Which token edits it: the interaction's while it lives, else the bot's (in a channel or a DM). */
  via?: 'interaction' | 'channel' | 'dm';
}

export interface RunSession {
  /** The run's handle in the queue and in Discord custom ids (`<userId>-<random>`). */
  token: string;
  ownerId: string;
  options: RunOptions;
  status: 'queued' | 'running' | 'finished';
  runId?: string;
  totals?: RunTotals;
  stopping: boolean;
  queuedAt: number;
  /** Where its progress is shown, for links in `/autotrain status`. */
  location?: RunLocation;
}

/** A run as the queue carries it: its id (also its token) and its plan. */
export interface RunJob {
  runId: string;
  /** The plan: the seed is always set, so a resumed run draws the same prompts. */
  options: RunOptions & { seed: string };
  location?: RunLocation;
}

/**
 * What the queues need from storage to make runs durable: the plan recorded when a run is
 * queued, the examples it finished, and the runs a stopped process left unfinished.
 */
export interface RunJournal {
  /** Records a queued run's plan (status `queued`). */
  plan(job: RunJob): Promise<void>;
  /** A stored run's plan, status and examples done (undefined when there is no such run). */
  job(runId: string): Promise<(RunJob & { done: number; status: RunStatus }) | undefined>;
  /** The examples of the run that are stored, by index (empty for a new run). */
  finished(runId: string): Promise<FinishedExample[]>;
  /** A run that left the queue before it started, or one that could not start. */
  setStatus(runId: string, status: 'cancelled' | 'failed' | 'interrupted', reason: string): Promise<void>;
  setLocation(runId: string, location: RunLocation): Promise<void>;
  /**
   * Runs left `queued`, `running` or `interrupted` (a process stopped, cleanly or not): marks the
   * open ones `interrupted` and returns them all, oldest first, for the queue to resume.
   */
  unfinished(): Promise<(RunJob & { done: number })[]>;
}

export interface RunQueue {
  /**
   * Queues a run (it starts as soon as a slot is free). Throws ActiveRunError when the user
   * already has one, DailyQuotaError when it does not fit the user's budget, QueueClosedError
   * during shutdown.
   */
  submit(token: string, options: RunOptions, listener: RunListener): Promise<RunSession>;
  /** The user's queued or running run, wherever it runs. */
  active(userId: string): Promise<RunSession | undefined>;
  session(token: string): Promise<RunSession | undefined>;
  /** Position of a queued run (1 = next), or undefined when it is not waiting. */
  queuePosition(token: string): Promise<number | undefined>;
  /** Examples the user may still train in the rolling 24 hours (Infinity without a cap). */
  remainingToday(userId: string): Promise<number>;
  /** Remembers where the run's progress is shown. */
  setLocation(token: string, location: RunLocation): Promise<void>;
  /** Stops a queued or running run, wherever it runs; what is done is kept. False when there is nothing to stop. */
  stop(token: string): Promise<boolean>;
  /**
   * Takes over the runs nobody reports on: at start, the runs a stopped process left (embedded),
   * or the cluster's runs whose bot went away. `attach` gives each its listener (its Discord
   * message). Returns their tokens.
   */
  adoptUnfinished(attach: (job: RunJob, done: number) => RunListener): Promise<string[]>;
  /**
   * Erases what the queue keeps about a user outside the store (their budget ledger and run
   * records on the cluster's Redis; nothing for the in-process queue, whose ledger is in the
   * store's state). Returns how many records went. Throws ActiveRunError while they have a run.
   */
  forgetUser(userId: string): Promise<number>;
  /**
   * Shutdown: takes no new runs, lets the examples in flight finish within `graceMs`, ends the
   * runs `interrupted` (they resume at the next start), waits for the listeners' last messages.
   */
  close(graceMs: number): Promise<void>;
}

export class ActiveRunError extends Error {
  constructor(readonly userId: string) {
    super(`user ${userId} already has an active run`);
    this.name = 'ActiveRunError';
  }
}

export class QueueClosedError extends Error {
  constructor() {
    super('Zega is shutting down and takes no new runs');
    this.name = 'QueueClosedError';
  }
}

/** A run refused because the user's examples of the last 24 hours would exceed the cap. */
export class DailyQuotaError extends Error {
  constructor(
    readonly remaining: number,
    readonly limit: number,
    /** When enough of today's examples age out for the requested run (ms since epoch). */
    readonly availableAt: number,
  ) {
    super(`daily example quota: ${remaining} of ${limit} left`);
    this.name = 'DailyQuotaError';
  }
}
