import { describe, expect, it } from 'vitest';
import { MAX_CONSECUTIVE_FAILURES, TeacherBreaker } from '../src/teachers/limits/breaker.ts';
import type { TeacherFailure } from '../src/teachers/types.ts';
import { ManualClock } from './helpers/manualClock.ts';

const f = (kind: TeacherFailure['kind'], extra: Partial<TeacherFailure> = {}): TeacherFailure => ({ kind, message: kind, latencyMs: 1, ...extra });

describe('TeacherBreaker', () => {
  it('takes a teacher out after consecutive timeouts or 5xx, and a success resets the streak', () => {
    const breaker = new TeacherBreaker({ clock: new ManualClock() });
    for (let i = 0; i < MAX_CONSECUTIVE_FAILURES - 1; i++) expect(breaker.onFailure(f('timeout'), false)).toBeUndefined();
    breaker.onSuccess(false);
    for (let i = 0; i < MAX_CONSECUTIVE_FAILURES - 1; i++) breaker.onFailure(f('server_error', { status: 503 }), false);
    expect(breaker.pass()).toBe('call');
    expect(breaker.onFailure(f('server_error', { status: 503 }), false)).toMatchObject({ change: 'out', reason: '3 calls in a row server error 503' });
    expect(breaker.pass()).toBe('blocked');
    expect(breaker.status()).toMatchObject({ state: 'open', reason: '3 calls in a row server error 503' });
  });

  it('never counts a cancelled call, a bad reply or a short rate limit', () => {
    const breaker = new TeacherBreaker({ clock: new ManualClock() });
    for (let i = 0; i < 10; i++) {
      breaker.onFailure(f('cancelled'), false);
      breaker.onFailure(f('bad_reply'), false);
      breaker.onFailure(f('rate_limited', { retryAfterMs: 2_000 }), false);
    }
    expect(breaker.pass()).toBe('call');
  });

  it('after the cool-down lets exactly one probe through; its success brings the teacher back', async () => {
    const clock = new ManualClock();
    const breaker = new TeacherBreaker({ clock, coolDownMs: 30_000 });
    for (let i = 0; i < MAX_CONSECUTIVE_FAILURES; i++) breaker.onFailure(f('timeout'), false);
    expect(breaker.waitMs()).toBe(30_000);
    await clock.advance(29_999);
    expect(breaker.pass()).toBe('blocked');
    await clock.advance(1);
    expect(breaker.waitMs()).toBe(0);
    expect(breaker.pass()).toBe('probe');
    expect(breaker.pass()).toBe('blocked');
    expect(breaker.waitMs()).toBeGreaterThan(0);
    expect(breaker.onSuccess(true)).toEqual({ change: 'back', afterMs: 30_000 });
    expect(breaker.pass()).toBe('call');
  });

  it('a failed probe keeps the teacher out for twice as long', async () => {
    const clock = new ManualClock();
    const breaker = new TeacherBreaker({ clock, coolDownMs: 10_000 });
    for (let i = 0; i < MAX_CONSECUTIVE_FAILURES; i++) breaker.onFailure(f('network'), false);
    await clock.advance(10_000);
    expect(breaker.pass()).toBe('probe');
    expect(breaker.onFailure(f('timeout'), true)).toBeUndefined();
    expect(breaker.waitMs()).toBe(20_000);
    // Late answers of calls sent before it went out change nothing.
    expect(breaker.onSuccess(false)).toBeUndefined();
    expect(breaker.pass()).toBe('blocked');
  });

  it('a probe that never went frees the probe for the next example', async () => {
    const clock = new ManualClock();
    const breaker = new TeacherBreaker({ clock, coolDownMs: 1_000 });
    for (let i = 0; i < MAX_CONSECUTIVE_FAILURES; i++) breaker.onFailure(f('timeout'), false);
    await clock.advance(1_000);
    expect(breaker.pass()).toBe('probe');
    breaker.cancelProbe();
    expect(breaker.pass()).toBe('probe');
  });

  it('a refused key is out for good; a quota gone is out for as long as the provider asked', () => {
    const clock = new ManualClock();
    const refused = new TeacherBreaker({ clock });
    expect(refused.onFailure(f('auth', { status: 401 }), false)).toMatchObject({ change: 'out', reason: 'the provider refused the API key (401)' });
    expect(refused.waitMs()).toBe(Number.POSITIVE_INFINITY);
    const gone = new TeacherBreaker({ clock });
    expect(gone.onFailure(f('rate_limited', { retryAfterMs: 3_600_000 }), false)).toMatchObject({ change: 'out', reason: expect.stringMatching(/quota exhausted/) as string });
    expect(gone.waitMs()).toBe(3_600_000);
  });
});
