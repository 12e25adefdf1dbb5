/**
 * How a run schedules its teachers, on a manual clock: teachers here implement Zega's own
 * Teacher interface in memory (the SDKs are covered by the simulator tests), answering after a
 * delay of the manual clock, so admission, vote closing and breakers are checked without waiting.
 */
import { describe, expect, it } from 'vitest';
import { LearnedLimiter } from '../src/teachers/limits/learnedLimiter.ts';
import type { GenerateOutcome, Teacher, TeacherFailure } from '../src/teachers/types.ts';
import { startTraining, type TrainerDeps } from '../src/trainer/run.ts';
import type { RunOptions, TrainingEvent, TrainingResult } from '../src/trainer/types.ts';
import { ManualClock } from './helpers/manualClock.ts';
import { RecordingStore } from './helpers/recordingStore.ts';

type Script = (call: number, prompt: string) => { afterMs: number; fail?: Partial<TeacherFailure> & Pick<TeacherFailure, 'kind'>; text?: string };

function fakeTeacher(id: string, clock: ManualClock, script: Script, limiter?: LearnedLimiter): Teacher & { calls: number } {
  const t = {
    id,
    provider: 'groq' as const,
    model: id,
    defaults: { temperature: 1, topP: 1, maxTokens: 100 },
    calls: 0,
    ...(limiter ? { limiter } : {}),
    async generate(request: { messages: { content: string }[]; signal?: AbortSignal }): Promise<GenerateOutcome> {
      const step = script(t.calls, request.messages.at(-1)?.content ?? '');
      t.calls += 1;
      const answered = await clock.sleep(step.afterMs, request.signal);
      if (!answered) return { ok: false, failure: { kind: 'cancelled', message: 'cancelled', latencyMs: step.afterMs } };
      if (step.fail) return { ok: false, failure: { message: step.fail.kind, latencyMs: step.afterMs, ...step.fail } };
      const text = step.text ?? `The ${id} wrote a tale. "Hello," said the old keeper, and the dark sea was calm. It ended well.`;
      return { ok: true, generation: { text, settings: t.defaults, latencyMs: step.afterMs, usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 'stop' } };
    },
  };
  return t;
}

const options = (over: Partial<RunOptions> = {}): RunOptions => ({ userId: 'u1', examples: 6, genres: [], save: false, memory: false, voting: 'consensus', seed: 's', ...over });

async function runToEnd(clock: ManualClock, opts: RunOptions, deps: Omit<TrainerDeps, 'store' | 'clock'>, store = new RecordingStore()) {
  const events: TrainingEvent[] = [];
  let result: TrainingResult | undefined;
  void startTraining(opts, { ...deps, store, clock, onEvent: (e) => events.push(e) }).done.then((r) => (result = r));
  for (let i = 0; i < 10_000 && !result; i++) await clock.advance(100);
  if (!result) throw new Error('run did not finish');
  return { result, events, store, elapsedMs: result.training_stats.duration_ms };
}

const fast: Script = () => ({ afterMs: 200 });

describe('scheduling a run', () => {
  it('does not wait for a teacher that cannot start soon: it is skipped (not failed), and win rate counts only examples it took part in', async () => {
    const clock = new ManualClock();
    const scarce = fakeTeacher('scarce', clock, fast, new LearnedLimiter({ rpm: 1, maxRpm: 1, concurrency: 64, clock }));
    const teachers = [scarce, ...['a', 'b', 'c'].map((id) => fakeTeacher(id, clock, fast))];
    const { result, store, elapsedMs } = await runToEnd(clock, options({ examples: 6 }), { teachers, concurrency: 1 });
    expect(result.successful).toBe(6);
    expect(scarce.calls).toBe(1);
    expect(result.model_performance.scarce).toMatchObject({ calls: 1, failures: 0, skipped: 5, examples: 1 });
    expect(store.examples.slice(1).every((e) => e.skipped?.includes('scarce'))).toBe(true);
    expect(store.examples.every((e) => e.outcomes.every((o) => o.ok))).toBe(true);
    // Six examples at 200 ms each, not one a minute.
    expect(elapsedMs).toBeLessThan(6 * 200 + 1_000);
  });

  it('closes the vote without a teacher that hangs once a quorum answered, then takes it out; a probe brings it back', async () => {
    const clock = new ManualClock();
    let healed = false;
    const flaky = fakeTeacher('flaky', clock, () => (healed ? { afterMs: 200 } : { afterMs: 60_000, fail: { kind: 'timeout' } }));
    const teachers = [flaky, ...['a', 'b', 'c'].map((id) => fakeTeacher(id, clock, fast))];
    const events: TrainingEvent[] = [];
    let result: TrainingResult | undefined;
    void startTraining(options({ examples: 40 }), {
      teachers,
      store: new RecordingStore(),
      clock,
      concurrency: 2,
      breakerCoolDownMs: 2_000,
      onEvent: (e) => events.push(e),
    }).done.then((r) => (result = r));
    // The first examples close their vote about a second after the others answered, not at 60 s.
    await clock.advance(3_000);
    expect(events.filter((e) => e.type === 'example').length).toBeGreaterThanOrEqual(2);
    healed = true;
    for (let i = 0; i < 2_000 && !result; i++) await clock.advance(100);
    const final = result as TrainingResult;
    expect(final.successful).toBe(40);
    const out = events.find((e) => e.type === 'teacher-unavailable');
    expect(out).toMatchObject({ teacherId: 'flaky', reason: expect.stringMatching(/timed out/) as string });
    expect(events).toContainEqual(expect.objectContaining({ type: 'teacher-back', teacherId: 'flaky' }));
    expect(final.training_stats.teacher_changes?.map((c) => c.change)).toEqual(['out', 'back']);
    expect(final.model_performance.flaky?.out).toBeUndefined();
    expect(final.training_stats.duration_ms).toBeLessThan(30_000);
  });

  it('tries an example again when every teacher it asked answered 429, instead of failing it', async () => {
    const clock = new ManualClock();
    const teachers = ['a', 'b', 'c'].map((id) => fakeTeacher(id, clock, (call) => (call === 0 ? { afterMs: 50, fail: { kind: 'rate_limited', status: 429 } } : { afterMs: 100 })));
    const { result, store } = await runToEnd(clock, options({ examples: 2 }), { teachers, concurrency: 1 });
    expect(result).toMatchObject({ successful: 2, failed: 0 });
    expect(store.examples.every((e) => e.status === 'ok')).toBe(true);
    // The refused first calls still count as failed calls of each teacher.
    for (const id of ['a', 'b', 'c']) expect(result.model_performance[id]).toMatchObject({ calls: 3, failures: 1 });
  });

  it('names the teachers still out at the end of the run', async () => {
    const clock = new ManualClock();
    const broken = fakeTeacher('broken', clock, () => ({ afterMs: 50, fail: { kind: 'server_error', status: 503 } }));
    const teachers = [broken, ...['a', 'b', 'c'].map((id) => fakeTeacher(id, clock, fast))];
    const { result } = await runToEnd(clock, options({ examples: 10 }), { teachers, concurrency: 1 });
    expect(result.model_performance.broken?.out).toMatch(/server error 503/);
    // One retry per example while it was in, then no more calls.
    expect(broken.calls).toBeLessThanOrEqual(6);
  });

  it('with --teachers auto asks only the best teachers per genre after the warm-up, keeps the quality, and says how many calls it saved', async () => {
    const good = (id: string) =>
      `The keeper walked slowly through the dark, quiet, ancient forest of ${id}. "Who is there?" she whispered softly. The gentle wind answered with a cold, distant song. Her lantern cast a warm, golden light on the mossy stones. She smiled, brave and calm, and went on into the night.`;
    const make = (clock: ManualClock) =>
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => fakeTeacher(id, clock, () => ({ afterMs: 100, text: 'abc'.includes(id) ? good(id) : `ok ${id}.` })));
    const allClock = new ManualClock();
    const all = await runToEnd(allClock, options({ examples: 40, genres: ['Horror'] }), { teachers: make(allClock), concurrency: 1 });
    const clock = new ManualClock();
    const teachers = make(clock);
    const { result } = await runToEnd(clock, options({ examples: 40, genres: ['Horror'], teachers: 'auto' }), { teachers, concurrency: 1 });
    const calls = teachers.reduce((sum, t) => sum + t.calls, 0);
    expect(result.training_stats.calls_saved).toBeGreaterThan(0);
    expect(calls + (result.training_stats.calls_saved as number)).toBe(40 * 7);
    expect(calls).toBeLessThan(40 * 7 * 0.7);
    expect(result.average_quality).toBeGreaterThanOrEqual(all.result.average_quality - 0.1);
    expect(all.result.training_stats.calls_saved).toBeUndefined();
    // The poor writers are still asked now and then: the bandit keeps exploring.
    expect(teachers.filter((t) => !'abc'.includes(t.id)).some((t) => t.calls > 10)).toBe(true);
  });

  it('with --teachers auto starts from what earlier runs recorded: no warm-up, the recorded winners asked from the first example', async () => {
    const clock = new ManualClock();
    const teachers = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => fakeTeacher(id, clock, fast));
    const history = teachers.map((t) => ({ teacherId: t.id, genre: 'Horror' as const, asked: 300, wins: t.id === 'e' ? 200 : t.id === 'f' ? 80 : t.id === 'g' ? 20 : 0 }));
    const { store } = await runToEnd(clock, options({ examples: 3, genres: ['Horror'], teachers: 'auto' }), { teachers, concurrency: 1 }, new RecordingStore(history));
    const asked = (i: number) => store.examples[i]?.outcomes.map((o) => o.teacherId);
    // Three asked (the voting floor), maybe one more to explore; e, f and g among them every time.
    for (const i of [0, 1, 2]) expect(asked(i)).toEqual(expect.arrayContaining(['e', 'f', 'g']));
    expect(store.examples.every((e) => e.outcomes.length <= 4)).toBe(true);
  });
});
