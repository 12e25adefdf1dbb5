/**
 * One live Zega process per store: the in-process caches and mutexes are only correct when no
 * other process writes the same file. At open the store records its pid and host in `meta:owner`;
 * another process that finds a live owner on the same host refuses to start with a clear error.
 * A stale record (dead pid, this very pid after a crash, or another host we cannot check) is taken
 * over. Read-only opens (a CLI looking at the library) skip this.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { StorageError } from './errors.ts';
import { keys } from './keys.ts';
import type { Kv } from './kv.ts';
import { ownerCodec, readRecord } from './records.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** Claims the store for this process; returns a release function for close(). */
export async function claimOwnership(kv: Kv): Promise<() => Promise<void>> {
  const key = keys.owner();
  const current = await readRecord(kv, key, ownerCodec);
  const host = hostname();
  if (current && current.host === host && current.pid !== process.pid && isAlive(current.pid)) {
    throw new StorageError(
      `The database file ${kv.location} is in use by another Zega process (pid ${current.pid}, since ${new Date(current.since).toISOString()}). ` +
        'Stop that process first, or open the store read-only.',
      'IN_USE',
      { file: kv.location },
    );
  }
  const token = randomBytes(8).toString('hex');
  await kv.set(key, { v: 1, pid: process.pid, host, token, since: Date.now() });
  return async () => {
    const now = await readRecord(kv, key, ownerCodec);
    if (now?.token === token) await kv.delete(key);
  };
}
