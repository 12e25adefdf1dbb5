/**
 * When an example's vote closes. It waits for every teacher it asked, including those whose
 * admitted start is still up to SLOT_WAIT_MS away; once a quorum has answered, a call already
 * running is waited for only until it is late by its own record: twice the slowest answer so far,
 * twice the teacher's usual latency, and never less than LATE_FLOOR_MS. A teacher that hangs (or
 * times out at 60 s) therefore holds its examples for about a second, not a minute.
 */
import type { Clock } from '../teachers/limits/clock.ts';

/** A running call with no latency record is waited for at least this long once a quorum answered. */
export const LATE_FLOOR_MS = 1_000;

interface SeatState {
  startedAt?: number;
}

export class VoteClosing {
  private readonly pending = new Map<string, SeatState>();
  private answered = 0;
  private slowestMs = 0;
  private cancelTimer?: () => void;
  /** When the current timer closes the vote. */
  private closeAt = 0;
  private closed = false;

  constructor(
    private readonly quorum: number,
    private readonly clock: Clock,
    /** The teacher's usual latency (0 when unknown). */
    private readonly usualLatencyMs: (teacherId: string) => number,
    private readonly onClose: () => void,
  ) {}

  asked(teacherId: string): void {
    this.pending.set(teacherId, {});
  }

  started(teacherId: string): void {
    const seat = this.pending.get(teacherId);
    if (seat) seat.startedAt = this.clock.now();
    this.reconsider();
  }

  /** The teacher answered (ok), failed or was skipped: it no longer holds the vote. */
  finished(teacherId: string, answeredOk: boolean): void {
    const seat = this.pending.get(teacherId);
    this.pending.delete(teacherId);
    if (answeredOk) {
      this.answered += 1;
      if (seat?.startedAt !== undefined) this.slowestMs = Math.max(this.slowestMs, this.clock.now() - seat.startedAt);
    }
    this.reconsider();
  }

  /** Stops the timer; call once the example is over. */
  dispose(): void {
    this.closed = true;
    this.stopTimer();
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private reconsider(): void {
    if (this.closed || this.answered < this.quorum || this.pending.size === 0) return this.stopTimer();
    let closeAt = 0;
    for (const [teacherId, seat] of this.pending) {
      // An admitted call that has not started yet is within SLOT_WAIT_MS: always waited for.
      if (seat.startedAt === undefined) return this.stopTimer();
      const grace = Math.max(LATE_FLOOR_MS, 2 * this.slowestMs, 2 * this.usualLatencyMs(teacherId));
      closeAt = Math.max(closeAt, seat.startedAt + grace);
    }
    if (this.cancelTimer && closeAt === this.closeAt) return;
    this.stopTimer();
    this.closeAt = closeAt;
    this.cancelTimer = this.clock.timer(closeAt - this.clock.now(), () => {
      if (this.closed) return;
      this.closed = true;
      this.onClose();
    });
  }
}
