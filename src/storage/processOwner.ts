/**
 * Who runs a run: this process, named by host and pid (and a random part, since pids are reused).
 * A run whose owner was a process of this host that no longer exists is interrupted at once, not
 * only after its heartbeat went stale: a SIGKILLed `train` can be resumed straight away.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

export function newProcessOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** True only when the owner is a process of this host that is gone (unknown owners are left to the heartbeat). */
export function ownerIsGone(owner: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== hostname() || !/^\d+$/.test(pid ?? '')) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
