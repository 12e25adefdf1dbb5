import { describe, expect, it } from 'vitest';
import { TeacherBreaker } from '../src/teachers/limits/breaker.ts';
import { LearnedLimiter } from '../src/teachers/limits/learnedLimiter.ts';
import type { Teacher } from '../src/teachers/types.ts';
import { admit, type Admission } from '../src/trainer/admission.ts';
import { ManualClock, settle } from './helpers/manualClock.ts';

function teacher(id: string, limiter: LearnedLimiter): Teacher {
  return {
    id,
    provider: 'groq',
    model: id,
    defaults: { temperature: 1, topP: 1, maxTokens: 10 },
    limiter,
    generate: () => Promise.reject(new Error('not called here')),
  };
}

function setup(rpms: (number | undefined)[], settings = { slotWaitMs: 2_000, minCandidates: 3 }) {
  const clock = new ManualClock();
  const teachers = rpms.map((rpm, i) => teacher(`t${i}`, new LearnedLimiter({ rpm, concurrency: 64, clock })));
  const breakers = new Map(teachers.map((t) => [t.id, new TeacherBreaker({ clock, coolDownMs: 10_000 })]));
  const signal = new AbortController().signal;
  const run = () => admit(teachers, { breakerOf: (t) => breakers.get(t.id) as TeacherBreaker, settings, clock, signal });
  return { clock, teachers, breakers, run };
}

const ids = (list: Teacher[]) => list.map((t) => t.id);

describe('admission of an example', () => {
  it('asks every teacher that can start within the slot wait and skips the others for lack of quota', async () => {
    const { run } = setup([1, undefined, undefined, undefined]);
    const first = (await run()) as Admission;
    expect(ids(first.seats.map((s) => s.teacher))).toEqual(['t0', 't1', 't2', 't3']);
    // t0 (1 rpm) has no slot for a minute: the next example goes without it, at once.
    const second = (await run()) as Admission;
    expect(ids(second.seats.map((s) => s.teacher))).toEqual(['t1', 't2', 't3']);
    expect(ids(second.skipped)).toEqual(['t0']);
  });

  it('waits until MIN_CANDIDATES teachers can be asked, not for all of them', async () => {
    const { clock, run } = setup([6, 6, 6, 1]);
    await run(); // every teacher used once: the next slots are 10 s (6 rpm) and 60 s (1 rpm) away
    let second: Admission | undefined;
    void run().then((a) => (second = a));
    await clock.advance(7_000);
    expect(second).toBeUndefined();
    await clock.advance(2_000);
    await settle();
    expect(second).toBeDefined();
    expect(ids((second as Admission).seats.map((s) => s.teacher))).toEqual(['t0', 't1', 't2']);
    expect(ids((second as Admission).skipped)).toEqual(['t3']);
  });

  it('asks every teacher free now, and reserves slots further ahead only up to the floor (quota goes to the next examples)', async () => {
    const { run } = setup([60, 60, 60, undefined, undefined]);
    await run(); // the paced teachers' next slots are now about 1 s ahead
    const second = (await run()) as Admission;
    expect(ids(second.seats.map((s) => s.teacher))).toEqual(['t0', 't3', 't4']);
    expect(ids(second.skipped)).toEqual(['t1', 't2']);
    // The next example takes the next-soonest reservation, not the same one.
    const third = (await run()) as Admission;
    expect(ids(third.seats.map((s) => s.teacher))).toEqual(['t1', 't3', 't4']);
  });

  it('with fewer teachers than the floor, needs only as many as there are', async () => {
    const { run } = setup([undefined, undefined]);
    const admission = (await run()) as Admission;
    expect(admission.seats).toHaveLength(2);
  });

  it('leaves teachers that are out of the run alone, and gives the half-open probe to one example only', async () => {
    const { clock, breakers, run } = setup([undefined, undefined, undefined, undefined]);
    const out = breakers.get('t3') as TeacherBreaker;
    for (let i = 0; i < 3; i++) out.onFailure({ kind: 'timeout', message: 't', latencyMs: 1 }, false);
    const during = (await run()) as Admission;
    expect(ids(during.out)).toEqual(['t3']);
    expect(during.seats).toHaveLength(3);
    await clock.advance(10_000);
    const probing = (await run()) as Admission;
    expect(probing.seats.find((s) => s.teacher.id === 't3')?.probe).toBe(true);
    const next = (await run()) as Admission;
    expect(ids(next.seats.map((s) => s.teacher))).not.toContain('t3');
  });

  it('when every teacher is out for good, returns no seat instead of waiting', async () => {
    const { breakers, run } = setup([undefined, undefined]);
    for (const b of breakers.values()) b.onFailure({ kind: 'auth', message: 'no', latencyMs: 1, status: 401 }, false);
    const admission = (await run()) as Admission;
    expect(admission.seats).toHaveLength(0);
    expect(admission.out).toHaveLength(2);
  });
});
