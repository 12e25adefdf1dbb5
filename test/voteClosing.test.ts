import { describe, expect, it } from 'vitest';
import { LATE_FLOOR_MS, VoteClosing } from '../src/trainer/voteClosing.ts';
import { ManualClock } from './helpers/manualClock.ts';

function setup(usual: Record<string, number> = {}) {
  const clock = new ManualClock();
  let closedAt: number | undefined;
  const closing = new VoteClosing(2, clock, (id) => usual[id] ?? 0, () => (closedAt = clock.now()));
  return { clock, closing, closedAt: () => closedAt };
}

describe('when a vote closes', () => {
  it('never before the quorum answered', async () => {
    const { clock, closing, closedAt } = setup();
    for (const id of ['a', 'b', 'c']) closing.asked(id);
    for (const id of ['a', 'b', 'c']) closing.started(id);
    closing.finished('a', true);
    await clock.advance(60_000);
    expect(closedAt()).toBeUndefined();
  });

  it('once the quorum answered, gives a running straggler with no record LATE_FLOOR_MS (or twice the slowest answer)', async () => {
    const { clock, closing, closedAt } = setup();
    const start = clock.now();
    for (const id of ['a', 'b', 'c']) closing.asked(id);
    for (const id of ['a', 'b', 'c']) closing.started(id);
    await clock.advance(200);
    closing.finished('a', true);
    closing.finished('b', true);
    await clock.advance(LATE_FLOOR_MS);
    expect(closedAt()).toBe(start + LATE_FLOOR_MS);
  });

  it('waits for an admitted call that has not started yet, and for a straggler as long as twice its usual latency', async () => {
    const { clock, closing, closedAt } = setup({ slow: 5_000 });
    const start = clock.now();
    for (const id of ['a', 'b', 'slow']) closing.asked(id);
    closing.started('a');
    closing.started('b');
    closing.finished('a', true);
    closing.finished('b', true);
    await clock.advance(1_500);
    expect(closedAt()).toBeUndefined();
    closing.started('slow'); // its admitted start came 1.5 s later
    await clock.advance(9_999);
    expect(closedAt()).toBeUndefined();
    await clock.advance(1);
    expect(closedAt()).toBe(start + 1_500 + 10_000);
  });

  it('does not fire after the example is over', async () => {
    const { clock, closing, closedAt } = setup();
    for (const id of ['a', 'b', 'c']) closing.asked(id);
    for (const id of ['a', 'b', 'c']) closing.started(id);
    closing.finished('a', true);
    closing.finished('b', true);
    closing.finished('c', false);
    closing.dispose();
    await clock.advance(10_000);
    expect(closedAt()).toBeUndefined();
  });
});
