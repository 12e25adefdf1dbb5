/**
 * Who may train now: one active run per user, and at most `maxConcurrentRuns` runs at once for
 * the whole bot; further runs wait in a FIFO queue and learn their position. This is what keeps
 * one user from burning the bot's API quota (with the per-teacher rate limiters underneath).
 * Knows nothing of Discord: front ends pass listeners.
 */
import type { Teacher } from '../teachers/types.ts';
import { startTraining, type TrainingHandle } from '../trainer/run.ts';
import type { QualityScore, RunOptions, RunTotals, TrainerStore, TrainingEvent, TrainingResult } from '../trainer/types.ts';

/**
 * What a front end hears about its run. A listener may return a promise (e.g. the final Discord
 * edit): `stopAll()` waits for those, so a shutdown does not cut the last message off.
 */
export interface RunListener {
  /** Position in the queue (1 = next); called on entry and whenever it changes. */
  onQueued?(position: number): void;
  onStarted?(runId: string): void;
  onEvent?(event: TrainingEvent): void;
  /** Stop was pressed on a running run: it ends (onFinished, status cancelled) once calls in flight are aborted. */
  onStopping?(): void;
  /** The run was stopped while still queued: it never started, and nothing else will be called. */
  onLeftQueue?(): void | Promise<void>;
  onFinished?(result: TrainingResult): void | Promise<void>;
  onError?(error: unknown): void | Promise<void>;
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
  /** When it finished (for how long `/autotrain status` remembers it). */
  finishedAt?: number;
  /** Where its progress is shown, for links in `/autotrain status`. */
  location?: { channelId: string; messageId: string; guildId?: string };
}

export interface RunManagerOptions {
  teachers: () => Teacher[];
  store: TrainerStore;
  maxConcurrentRuns: number;
  examplesConcurrency: number;
  fineTuneEvery?: number;
  /** Which score decides the thresholds (QUALITY_SCORE; default seed). */
  qualityScore?: QualityScore;
  /** Examples one user may train per rolling 24 hours (undefined = no cap). */
  dailyExamplesPerUser?: number;
  /**
   * Where the daily ledger is kept across restarts (keyv state). Checks stay synchronous on the
   * in-process copy; every change is written through, and `restoreLedger()` reads it back at start.
   */
  ledgerStore?: LedgerStore;
  now?: () => number;
  onError?: (error: unknown, context: string) => void;
  /** Users whose last run is remembered for `/autotrain status` (default 10,000; the oldest go first). */
  maxRememberedUsers?: number;
  /** How long a finished run is remembered for `/autotrain status` (default 24 h; the store keeps every run). */
  lastRunTtlMs?: number;
}

export interface LedgerEntry {
  token: string;
  at: number;
  examples: number;
}

export interface LedgerStore {
  /** Every user's entries of the last 24 hours. */
  load(): Promise<Map<string, LedgerEntry[]>>;
  save(userId: string, entries: LedgerEntry[]): Promise<void>;
}

interface Entry {
  session: RunSession;
  listener: RunListener;
  handle?: TrainingHandle;
  /** The queue position last told to the listener. */
  toldPosition?: number;
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

const DAY_MS = 24 * 60 * 60_000;
export const MAX_REMEMBERED_USERS = 10_000;
/** Sweeping every user's entries is O(users): done at most this often. */
const SWEEP_EVERY_MS = 60_000;

export class RunManager {
  /** Per user: examples reserved or spent in the last 24 hours, by run token (written through to `ledgerStore`). */
  private readonly ledger = new Map<string, LedgerEntry[]>();
  private readonly byToken = new Map<string, Entry>();
  private readonly activeByUser = new Map<string, Entry>();
  private readonly lastByUser = new Map<string, RunSession>();
  private readonly queue: Entry[] = [];
  /** Listener work still under way (final messages), awaited by stopAll. */
  private readonly notifications = new Set<Promise<unknown>>();
  private running = 0;
  private lastSweep = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: RunManagerOptions) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** How many users the per-user maps hold (they are bounded and expire: see `sweep`). */
  trackedUsers(): { lastRuns: number; ledgers: number } {
    return { lastRuns: this.lastByUser.size, ledgers: this.ledger.size };
  }

  private lastRunExpired(session: RunSession): boolean {
    return session.finishedAt !== undefined && this.now() - session.finishedAt > (this.options.lastRunTtlMs ?? DAY_MS);
  }

  /** Drops ledgers whose examples all aged out and last runs past their time, at most once a minute. */
  private sweep(): void {
    if (this.now() - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = this.now();
    for (const userId of [...this.ledger.keys()]) this.entries(userId);
    for (const [userId, session] of this.lastByUser) if (this.lastRunExpired(session)) this.lastByUser.delete(userId);
  }

  /** The user's queued or running run. */
  active(userId: string): RunSession | undefined {
    return this.activeByUser.get(userId)?.session;
  }

  /** The user's active run, or the last one this process ran for them. */
  current(userId: string): RunSession | undefined {
    const active = this.active(userId);
    if (active) return active;
    const last = this.lastByUser.get(userId);
    if (last && this.lastRunExpired(last)) {
      this.lastByUser.delete(userId);
      return undefined;
    }
    return last;
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

  /** Position of a queued run (1 = next), or undefined when it is not waiting. */
  queuePosition(token: string): number | undefined {
    const index = this.queue.findIndex((e) => e.session.token === token);
    return index < 0 ? undefined : index + 1;
  }

  /**
   * Queues a run (it starts at once when a slot is free). Throws when the user already has one;
   * the caller checks `active()` first to answer nicely.
   */
  submit(token: string, options: RunOptions, listener: RunListener): RunSession {
    if (this.activeByUser.has(options.userId)) throw new Error(`user ${options.userId} already has an active run`);
    this.sweep();
    this.reserve(token, options.userId, options.examples);
    const session: RunSession = { token, ownerId: options.userId, options, status: 'queued', stopping: false, queuedAt: Date.now() };
    const entry: Entry = { session, listener };
    this.byToken.set(token, entry);
    this.activeByUser.set(options.userId, entry);
    this.queue.push(entry);
    // Tells the new entry its position (pump notifies every queued entry whose position changed).
    this.pump();
    return session;
  }

  /** Reads the ledger kept by earlier processes (call before taking submissions). */
  async restoreLedger(): Promise<void> {
    if (!this.options.ledgerStore) return;
    for (const [userId, entries] of await this.options.ledgerStore.load()) {
      const mine = this.ledger.get(userId) ?? [];
      this.ledger.set(userId, [...entries.filter((e) => !mine.some((m) => m.token === e.token)), ...mine]);
    }
  }

  private persist(userId: string): void {
    const store = this.options.ledgerStore;
    if (!store) return;
    const saving = store.save(userId, [...this.entries(userId)]).catch((err: unknown) => this.options.onError?.(err, 'saving the daily example ledger'));
    // stopAll waits for it, so a shutdown does not lose the last change.
    this.notifications.add(saving);
    void saving.finally(() => this.notifications.delete(saving));
  }

  /** Examples the user may still train in the rolling 24 hours (Infinity without a cap). */
  remainingToday(userId: string): number {
    const limit = this.options.dailyExamplesPerUser;
    if (limit === undefined) return Number.POSITIVE_INFINITY;
    return Math.max(0, limit - this.entries(userId).reduce((sum, e) => sum + e.examples, 0));
  }

  private entries(userId: string) {
    const since = (this.options.now ?? Date.now)() - DAY_MS;
    const live = (this.ledger.get(userId) ?? []).filter((e) => e.at > since);
    // A user with nothing in the last 24 hours holds no entry at all: the map cannot grow forever.
    if (live.length === 0) this.ledger.delete(userId);
    else this.ledger.set(userId, live);
    return live;
  }

  /** Reserves the requested examples synchronously, so two quick submissions cannot both pass. */
  private reserve(token: string, userId: string, examples: number): void {
    const limit = this.options.dailyExamplesPerUser;
    if (limit === undefined) return;
    const remaining = this.remainingToday(userId);
    if (examples > remaining) {
      // The oldest reservations age out first; find when enough have.
      let freed = remaining;
      let availableAt = (this.options.now ?? Date.now)();
      for (const e of this.entries(userId)) {
        if (freed >= examples) break;
        freed += e.examples;
        availableAt = e.at + DAY_MS;
      }
      throw new DailyQuotaError(remaining, limit, availableAt);
    }
    const live = this.entries(userId);
    live.push({ token, at: this.now(), examples });
    this.ledger.set(userId, live);
    this.persist(userId);
  }

  /** A run that ended early gives back what it did not use; one that never started gives back all. */
  private settle(session: RunSession, used: number): void {
    const entry = this.ledger.get(session.ownerId)?.find((e) => e.token === session.token);
    if (!entry) return;
    entry.examples = Math.min(entry.examples, used);
    this.persist(session.ownerId);
  }

  /** Stops a queued or running run; what is done is kept. Returns false when there is nothing to stop. */
  stop(token: string): boolean {
    const entry = this.byToken.get(token);
    if (!entry || entry.session.status === 'finished') return false;
    if (entry.session.status === 'queued') {
      entry.session.stopping = true;
      this.queue.splice(this.queue.indexOf(entry), 1);
      this.settle(entry.session, 0);
      this.release(entry);
      this.safe(() => entry.listener.onLeftQueue?.(), 'run listener');
      this.notifyPositions();
      return true;
    }
    if (!entry.session.stopping) {
      entry.session.stopping = true;
      this.safe(() => entry.listener.onStopping?.(), 'run listener');
    }
    entry.handle?.cancel();
    return true;
  }

  /** Stops every run (shutdown); resolves when they have ended and saved their results. */
  async stopAll(): Promise<void> {
    for (const entry of [...this.queue]) this.stop(entry.session.token);
    const running = [...this.byToken.values()].filter((e) => e.session.status === 'running');
    for (const entry of running) this.stop(entry.session.token);
    await Promise.all(running.flatMap((e) => (e.handle ? [e.handle.done.catch(() => undefined)] : [])));
    while (this.notifications.size > 0) await Promise.all([...this.notifications]);
  }

  private pump(): void {
    while (this.running < this.options.maxConcurrentRuns && this.queue.length > 0) {
      const entry = this.queue.shift() as Entry;
      this.start(entry);
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
    const { session, listener } = entry;
    this.running += 1;
    session.status = 'running';
    try {
      entry.handle = startTraining(session.options, {
        teachers: this.options.teachers(),
        store: this.options.store,
        concurrency: this.options.examplesConcurrency,
        ...(this.options.fineTuneEvery ? { fineTuneEvery: this.options.fineTuneEvery } : {}),
        ...(this.options.qualityScore ? { qualityScore: this.options.qualityScore } : {}),
        onError: this.options.onError,
        onEvent: (event) => {
          if (event.type === 'example') session.totals = event.totals;
          this.safe(() => listener.onEvent?.(event), 'run listener');
        },
      });
    } catch (err) {
      this.running -= 1;
      this.settle(session, 0);
      this.release(entry);
      this.safe(() => listener.onError?.(err), 'run listener');
      return;
    }
    session.runId = entry.handle.runId;
    this.safe(() => listener.onStarted?.(session.runId as string), 'run listener');
    entry.handle.done.then(
      (result) => {
        session.result = result;
        this.settle(session, result.successful + result.failed);
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
    entry.session.finishedAt = this.now();
    // Finished runs live on in the store; only the last one per user stays here, for /autotrain
    // status, and only for the most recent users (re-inserted so the map's order is recency).
    this.byToken.delete(entry.session.token);
    this.lastByUser.delete(entry.session.ownerId);
    this.lastByUser.set(entry.session.ownerId, entry.session);
    const cap = this.options.maxRememberedUsers ?? MAX_REMEMBERED_USERS;
    for (const userId of this.lastByUser.keys()) {
      if (this.lastByUser.size <= cap) break;
      this.lastByUser.delete(userId);
    }
    if (this.activeByUser.get(entry.session.ownerId) === entry) this.activeByUser.delete(entry.session.ownerId);
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
