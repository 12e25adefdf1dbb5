/**
 * Discord snowflakes for the loopback simulator: 64-bit ids whose top 42 bits are milliseconds since
 * the Discord epoch (2015-01-01). Ids made from present-day timestamps have 18–19 digits, like the
 * real ones (discord.js keys rate-limit buckets and `createdTimestamp` on them).
 */
export const DISCORD_EPOCH = 1_420_070_400_000n;

let increment = 0n;

/** A fresh snowflake for the given time (default: now); unique within this process. */
export function snowflake(atMs: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  const ms = BigInt(Math.floor(atMs)) - DISCORD_EPOCH;
  // worker id 1, process id 0, then a 12-bit increment
  return ((ms << 22n) | (1n << 17n) | increment).toString();
}

/** Milliseconds since the Unix epoch encoded in a snowflake. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
}

export function isSnowflake(value: unknown): value is string {
  return typeof value === 'string' && /^[1-9][0-9]{16,18}$/.test(value);
}
