/**
 * Which teachers one example asks. Every teacher is admitted by its own limiter and breaker, so
 * an example never waits for a teacher that cannot start soon: it asks every teacher that can
 * start now, adds the soonest that can start within `slotWaitMs` until `minCandidates` are asked,
 * and skips the others (skipped for lack of quota, not failed). It waits only until
 * `minCandidates` teachers can be asked (fewer when fewer are in the run).
 */
import type { Clock } from '../teachers/limits/clock.ts';
import type { TeacherBreaker } from '../teachers/limits/breaker.ts';
import { unlimitedLimiter, type Permit } from '../teachers/limits/limiter.ts';
import type { Teacher } from '../teachers/types.ts';

export const DEFAULT_SLOT_WAIT_MS = 2_000;
export const DEFAULT_MIN_CANDIDATES = 3;
/** Plans are re-made at least this often while waiting, since limits and breakers change. */
const REPLAN_MS = 1_000;
/**
 * A teacher whose next slot is this close counts as free now. Examples are planned in clumps (their
 * calls end together); a paced teacher whose slot comes a moment after a clump would otherwise
 * lose it (measured: 56 % of a learned limit used with 50 ms, 91 % with 250 ms).
 */
const IDLE_WAIT_MS = 250;

export interface AdmissionSettings {
  slotWaitMs: number;
  minCandidates: number;
}

export interface Seat {
  teacher: Teacher;
  /** Resolves when the call may start; null if the limiter could not keep the slot. */
  permit: Promise<Permit | null>;
  /** This call is the breaker's half-open probe. */
  probe: boolean;
}

export interface Admission {
  seats: Seat[];
  /** Teachers that could not start within the slot wait (lack of quota). */
  skipped: Teacher[];
  /** Teachers out of the run (breaker open). */
  out: Teacher[];
}

export interface AdmissionContext {
  breakerOf(teacher: Teacher): TeacherBreaker;
  settings: AdmissionSettings;
  clock: Clock;
  signal: AbortSignal;
}

/** Returns the seats of one example, or undefined when the run was cancelled while waiting. */
export async function admit(teachers: readonly Teacher[], ctx: AdmissionContext): Promise<Admission | undefined> {
  const { settings, clock, signal } = ctx;
  for (;;) {
    if (signal.aborted) return undefined;
    const views = teachers.map((teacher) => {
      const breakerWait = ctx.breakerOf(teacher).waitMs();
      const wait = breakerWait > 0 ? breakerWait : (teacher.limiter ?? unlimitedLimiter).waitEstimate();
      return { teacher, breakerWait, wait };
    });
    const callable = views.filter((v) => v.breakerWait === 0);
    if (callable.length === 0) {
      // Everyone is out: wait for the first probe, or give up if nobody will ever come back.
      const nextProbe = Math.min(...views.map((v) => v.breakerWait));
      if (!Number.isFinite(nextProbe)) return { seats: [], skipped: [], out: [...teachers] };
      if (!(await clock.sleep(Math.min(nextProbe, REPLAN_MS), signal))) return undefined;
      continue;
    }
    const floor = Math.min(settings.minCandidates, callable.length);
    const kth = callable.map((v) => v.wait).sort((a, b) => a - b)[floor - 1] as number;
    if (kth > settings.slotWaitMs) {
      if (!(await clock.sleep(Math.min(kth - settings.slotWaitMs, REPLAN_MS), signal))) return undefined;
      continue;
    }
    const admission: Admission = { seats: [], skipped: [], out: views.filter((v) => v.breakerWait > 0).map((v) => v.teacher) };
    // Every teacher that can start now is asked (a paced slot not used now is lost). Slots further
    // ahead are reserved only to reach the floor: when quotas are the limit, each extra reservation
    // would be a call another example needs, and the run would go slower than its quotas allow.
    const now = callable.filter((v) => v.wait <= IDLE_WAIT_MS);
    const ahead = callable.filter((v) => v.wait > IDLE_WAIT_MS && v.wait <= settings.slotWaitMs).sort((a, b) => a.wait - b.wait);
    const asked = new Set([...now, ...ahead.slice(0, Math.max(0, floor - now.length))].map((v) => v.teacher));
    for (const { teacher } of callable) {
      if (!asked.has(teacher)) {
        admission.skipped.push(teacher);
        continue;
      }
      const passage = ctx.breakerOf(teacher).pass();
      if (passage === 'blocked') {
        admission.out.push(teacher);
        continue;
      }
      // acquire reserves the slot synchronously, so the next example's plan already sees it taken.
      const permit = (teacher.limiter ?? unlimitedLimiter).acquire({ maxWaitMs: settings.slotWaitMs, signal });
      admission.seats.push({ teacher, permit, probe: passage === 'probe' });
    }
    return admission;
  }
}
