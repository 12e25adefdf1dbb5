import { describe, expect, it } from 'vitest';
import { askTeacher, MAX_RETRY_WAIT_MS } from '../src/trainer/askTeacher.ts';
import type { GenerateOutcome, Teacher, TeacherFailure } from '../src/teachers/types.ts';

/** A teacher that plays back scripted outcomes: the retry policy is ours, not an SDK's, so this is our own interface. */
function scripted(outcomes: GenerateOutcome[]): Teacher & { calls: number } {
  const t = {
    id: 'scripted',
    provider: 'groq' as const,
    model: 'm',
    defaults: { temperature: 1, topP: 1, maxTokens: 10 },
    calls: 0,
    generate(): Promise<GenerateOutcome> {
      const outcome = outcomes[t.calls] ?? outcomes[outcomes.length - 1];
      t.calls += 1;
      return Promise.resolve(outcome as GenerateOutcome);
    },
  };
  return t;
}

const fail = (f: Partial<TeacherFailure> & Pick<TeacherFailure, 'kind'>): GenerateOutcome => ({ ok: false, failure: { message: f.kind, latencyMs: 1, ...f } });
const ok: GenerateOutcome = {
  ok: true,
  generation: { text: 'story', settings: { temperature: 1, topP: 1, maxTokens: 10 }, latencyMs: 1, usage: { inputTokens: 1, outputTokens: 1 }, finishReason: 'stop' },
};
const request = { messages: [{ role: 'user' as const, content: 'x' }], settings: { temperature: 1, topP: 1, maxTokens: 10 } };

describe('askTeacher retry policy', () => {
  it('retries a short rate limit once and succeeds', async () => {
    const teacher = scripted([fail({ kind: 'rate_limited', retryAfterMs: 20 }), ok]);
    const result = await askTeacher(teacher, request);
    expect(result.outcome.ok).toBe(true);
    expect(result.attempts).toBe(2);
    expect(teacher.calls).toBe(2);
  });

  it('does not retry a rate limit that asks to wait longer than the cap', async () => {
    const teacher = scripted([fail({ kind: 'rate_limited', retryAfterMs: MAX_RETRY_WAIT_MS + 1 }), ok]);
    const result = await askTeacher(teacher, request);
    expect(result.outcome.ok).toBe(false);
    expect(teacher.calls).toBe(1);
  });

  it('retries at most once, never loops', async () => {
    const teacher = scripted([fail({ kind: 'server_error', status: 500 })]);
    const result = await askTeacher(teacher, request);
    expect(result.attempts).toBe(2);
    expect(teacher.calls).toBe(2);
  });

  it('does not retry failures a retry cannot fix', async () => {
    for (const kind of ['auth', 'bad_reply', 'empty_output', 'timeout', 'client_error', 'cancelled'] as const) {
      const teacher = scripted([fail({ kind }), ok]);
      await askTeacher(teacher, request);
      expect(teacher.calls, kind).toBe(1);
    }
  });

  it('stops waiting for a retry when the run is cancelled', async () => {
    const teacher = scripted([fail({ kind: 'rate_limited', retryAfterMs: 5_000 }), ok]);
    const controller = new AbortController();
    const pending = askTeacher(teacher, { ...request, signal: controller.signal });
    controller.abort();
    const result = await pending;
    expect(result.outcome.ok).toBe(false);
    expect(!result.outcome.ok && result.outcome.failure.kind).toBe('cancelled');
    expect(teacher.calls).toBe(1);
  });
});
