/**
 * Forgetting a user in a cluster: what the cluster's Redis keeps about them besides the store —
 * their daily example ledger, their active-run claim, the session, stop and observer records of
 * their runs, and their finished BullMQ jobs (a job carries the run's plan and Discord message).
 * A run token starts with its user's id (`<userId>-<random>`), which is how their records are found.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ClusterKeys, QUEUE_NAME } from './cluster.ts';
import { ActiveRunError } from './types.ts';

/** Job states of a run that is not over: such a run must be stopped before its user is forgotten. */
const LIVE_STATES: ReadonlySet<string> = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** A user id as a literal inside a SCAN pattern. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

async function deleteMatching(redis: Redis, pattern: string): Promise<number> {
  let erased = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) erased += await redis.del(...keys);
  } while (cursor !== '0');
  return erased;
}

/**
 * Erases the user's records from the cluster's Redis and returns how many went (keys and jobs).
 * Throws ActiveRunError, erasing nothing, while the user has a queued or running run.
 */
export async function forgetClusterUser(redis: Redis, prefix: string, userId: string): Promise<number> {
  const keys = new ClusterKeys(prefix);
  const queue = new Queue(QUEUE_NAME, { connection: redis, prefix: keys.bull });
  try {
    const claimed = await redis.get(keys.active(userId));
    if (claimed && LIVE_STATES.has(await queue.getJobState(claimed))) throw new ActiveRunError(userId);
    const ownToken = `${userId}-`;
    let erased = 0;
    for (const job of await queue.getJobs(['completed', 'failed'])) {
      if (!job?.id?.startsWith(ownToken)) continue;
      await job.remove();
      erased += 1;
    }
    const tokens = `${globLiteral(ownToken)}*`;
    for (const pattern of [keys.session(tokens), keys.stop(tokens), keys.observer(tokens)]) erased += await deleteMatching(redis, pattern);
    erased += await redis.del(keys.active(userId), keys.budget(userId));
    return erased;
  } finally {
    // The connection is the caller's: BullMQ leaves a connection it was given open.
    await queue.close();
  }
}
