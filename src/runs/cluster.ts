/**
 * What bots and workers of one cluster share on Redis besides the BullMQ queue itself: key names,
 * the session record of each run (so any bot can show any run), and the event channel through
 * which workers tell bots about the runs they execute.
 */
import { Redis } from 'ioredis';
import type { TrainingResult, RunTotals } from '../trainer/types.ts';
import type { RunJob, RunLocation, RunProgress, RunSession } from './types.ts';

export const QUEUE_NAME = 'runs';

export class ClusterKeys {
  constructor(readonly prefix: string) {}
  /** BullMQ's own keys live under this prefix. */
  get bull(): string {
    return `${this.prefix}:bull`;
  }
  get events(): string {
    return `${this.prefix}:events`;
  }
  get control(): string {
    return `${this.prefix}:control`;
  }
  active(userId: string): string {
    return `${this.prefix}:active:${userId}`;
  }
  session(token: string): string {
    return `${this.prefix}:session:${token}`;
  }
  stop(token: string): string {
    return `${this.prefix}:stop:${token}`;
  }
  observer(token: string): string {
    return `${this.prefix}:observer:${token}`;
  }
  /** The user's daily example ledger (budget.ts). */
  budget(userId: string): string {
    return `${this.prefix}:budget:${userId}`;
  }
}

/** What workers (and bots, for the queue) publish on the events channel, per run token. */
export type ClusterEvent =
  | { token: string; kind: 'queue-moved' }
  | { token: string; kind: 'started'; runId: string }
  | { token: string; kind: 'progress'; progress: RunProgress }
  | { token: string; kind: 'stopping' }
  | { token: string; kind: 'left-queue' }
  | { token: string; kind: 'finished'; result: TrainingResult }
  | { token: string; kind: 'interrupted'; done: number }
  | { token: string; kind: 'error'; message: string };

export function connectRedis(url: string): Redis {
  // Workers and subscribers block on Redis: BullMQ requires no per-request retry cap.
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** Deletes a key only while it still holds `value` (a run releases only its own claim). */
const DELETE_IF = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export async function deleteIfEquals(redis: Redis, key: string, value: string): Promise<void> {
  await redis.eval(DELETE_IF, 1, key, value);
}

/** The session hash: one field per fact, so the bot's stop and the worker's progress never overwrite each other. */
export const sessions = {
  async create(redis: Redis, keys: ClusterKeys, job: RunJob, queuedAt: number): Promise<void> {
    await redis.hset(keys.session(job.runId), { job: JSON.stringify(job), status: 'queued', queuedAt: String(queuedAt) });
  },
  async read(redis: Redis, keys: ClusterKeys, token: string): Promise<RunSession | undefined> {
    const h = await redis.hgetall(keys.session(token));
    if (!h.job) return undefined;
    const job = JSON.parse(h.job) as RunJob;
    const location = h.location ? (JSON.parse(h.location) as RunLocation) : job.location;
    return {
      token,
      ownerId: job.options.userId,
      options: job.options,
      status: h.status === 'running' ? 'running' : 'queued',
      runId: job.runId,
      ...(h.totals ? { totals: JSON.parse(h.totals) as RunTotals } : {}),
      stopping: h.stopping === '1',
      queuedAt: Number(h.queuedAt) || 0,
      ...(location ? { location } : {}),
    };
  },
  /** The worker executing a run (host:pid), for operators and tests. */
  async worker(redis: Redis, keys: ClusterKeys, token: string): Promise<string | undefined> {
    return (await redis.hget(keys.session(token), 'worker')) ?? undefined;
  },
  async set(redis: Redis, keys: ClusterKeys, token: string, fields: { status?: 'queued' | 'running'; totals?: RunTotals; stopping?: boolean; location?: RunLocation; worker?: string }): Promise<void> {
    const key = keys.session(token);
    // Only an existing session is updated: a late write must not revive a finished run.
    if (!(await redis.exists(key))) return;
    const out: Record<string, string> = {};
    if (fields.status) out.status = fields.status;
    if (fields.totals) out.totals = JSON.stringify(fields.totals);
    if (fields.stopping !== undefined) out.stopping = fields.stopping ? '1' : '0';
    if (fields.location) out.location = JSON.stringify(fields.location);
    if (fields.worker) out.worker = fields.worker;
    if (Object.keys(out).length > 0) await redis.hset(key, out);
  },
};
