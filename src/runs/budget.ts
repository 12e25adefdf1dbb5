/**
 * The daily example budget: examples one user may train per rolling 24 hours, so nobody can spend
 * the bot's whole teacher quota. A run reserves its examples when queued and gives back what it
 * did not use when it ends. Kept where it survives a restart: keyv (SQLite, PostgreSQL or Redis
 * behind it) in one process, Redis with an atomic script when several processes share it.
 */
import type { Redis } from 'ioredis';
import { stateKeys } from '../storage/state.ts';
import { ClusterKeys } from './cluster.ts';
import { DailyQuotaError } from './types.ts';

export const DAY_MS = 24 * 60 * 60_000;

export interface BudgetEntry {
  token: string;
  at: number;
  examples: number;
}

export interface BudgetLedger {
  /** Examples the user may still train (Infinity without a cap). */
  remaining(userId: string): Promise<number>;
  /** Reserves a run's examples; throws DailyQuotaError when they do not fit. */
  reserve(userId: string, token: string, examples: number): Promise<void>;
  /** The run used only `used` examples (0 when it never started): the rest is given back. */
  settle(userId: string, token: string, used: number): Promise<void>;
}

/** The entries still inside the window, and what a new reservation would be told. */
export function evaluate(entries: readonly BudgetEntry[], limit: number, now: number, examples: number): { live: BudgetEntry[]; remaining: number; refusal?: DailyQuotaError } {
  const live = entries.filter((e) => e.at > now - DAY_MS).sort((a, b) => a.at - b.at);
  const remaining = Math.max(0, limit - live.reduce((sum, e) => sum + e.examples, 0));
  if (examples <= remaining) return { live, remaining };
  // The oldest reservations age out first; find when enough have.
  let freed = remaining;
  let availableAt = now;
  for (const e of live) {
    if (freed >= examples) break;
    freed += e.examples;
    availableAt = e.at + DAY_MS;
  }
  return { live, remaining, refusal: new DailyQuotaError(remaining, limit, availableAt) };
}

/** No cap (DAILY_EXAMPLES_PER_USER unset in a library use). */
export const UNLIMITED_BUDGET: BudgetLedger = {
  remaining: () => Promise.resolve(Number.POSITIVE_INFINITY),
  reserve: () => Promise.resolve(),
  settle: () => Promise.resolve(),
};

/** Key-value state with a lifetime (the store's keyv state, or a plain keyv). */
export interface BudgetState {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, ttlMs?: number): Promise<unknown>;
}


/**
 * The ledger on keyv, one record per user that expires a day after its last reservation. Reads
 * and writes of one process go one at a time, so two quick submissions cannot both pass.
 */
export class KeyvBudget implements BudgetLedger {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kv: BudgetState,
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  private key(userId: string): string {
    // Under the user's own prefix, where forgetting a user finds it.
    return stateKeys.ledger(userId);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async entries(userId: string): Promise<BudgetEntry[]> {
    const stored: unknown = await this.kv.get(this.key(userId));
    return Array.isArray(stored) ? (stored as BudgetEntry[]).filter((e) => typeof e?.token === 'string' && Number.isFinite(e.at) && Number.isFinite(e.examples)) : [];
  }

  private async write(userId: string, entries: BudgetEntry[]): Promise<void> {
    await this.kv.set(this.key(userId), entries, DAY_MS);
  }

  remaining(userId: string): Promise<number> {
    return this.serial(async () => evaluate(await this.entries(userId), this.limit, this.now(), 0).remaining);
  }

  reserve(userId: string, token: string, examples: number): Promise<void> {
    return this.serial(async () => {
      const now = this.now();
      const { live, refusal } = evaluate(await this.entries(userId), this.limit, now, examples);
      if (refusal) throw refusal;
      await this.write(userId, [...live.filter((e) => e.token !== token), { token, at: now, examples }]);
    });
  }

  settle(userId: string, token: string, used: number): Promise<void> {
    return this.serial(async () => {
      const entries = await this.entries(userId);
      const entry = entries.find((e) => e.token === token);
      if (!entry || entry.examples <= used) return;
      entry.examples = Math.max(0, used);
      await this.write(userId, entries);
    });
  }
}

/**
 * The ledger on Redis for a cluster: a hash per user (token → {at, examples}); reserving is one
 * Lua script, so two bot processes cannot both spend the last examples.
 */
const RESERVE = `
local now = tonumber(ARGV[1]); local day = tonumber(ARGV[2]); local limit = tonumber(ARGV[3]); local want = tonumber(ARGV[4])
local fields = redis.call('HGETALL', KEYS[1])
local used = 0
for i = 1, #fields, 2 do
  local e = cjson.decode(fields[i + 1])
  if e.at > now - day then used = used + e.examples else redis.call('HDEL', KEYS[1], fields[i]) end
end
if want > 0 and used + want > limit then return used end
if want > 0 then
  redis.call('HSET', KEYS[1], ARGV[5], cjson.encode({ at = now, examples = want }))
  redis.call('PEXPIRE', KEYS[1], day)
end
return -1 - used`;

const SETTLE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local e = cjson.decode(raw)
local used = tonumber(ARGV[2])
if e.examples > used then e.examples = used; redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(e)) end
return 1`;

export class RedisBudget implements BudgetLedger {
  private readonly keys: ClusterKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = new ClusterKeys(prefix);
  }

  private key(userId: string): string {
    return this.keys.budget(userId);
  }

  async remaining(userId: string): Promise<number> {
    const reply = Number(await this.redis.eval(RESERVE, 1, this.key(userId), this.now(), DAY_MS, this.limit, 0, ''));
    return Math.max(0, this.limit - (-1 - reply));
  }

  async reserve(userId: string, token: string, examples: number): Promise<void> {
    const now = this.now();
    const reply = Number(await this.redis.eval(RESERVE, 1, this.key(userId), now, DAY_MS, this.limit, examples, token));
    if (reply < 0) return;
    // Refused: work out when enough ages out, from the entries as they are now.
    const fields = await this.redis.hgetall(this.key(userId));
    const entries = Object.entries(fields).map(([t, raw]) => ({ token: t, ...(JSON.parse(raw) as { at: number; examples: number }) }));
    throw evaluate(entries, this.limit, now, examples).refusal ?? new DailyQuotaError(Math.max(0, this.limit - reply), this.limit, now);
  }

  async settle(userId: string, token: string, used: number): Promise<void> {
    await this.redis.eval(SETTLE, 1, this.key(userId), token, Math.max(0, used));
  }
}
