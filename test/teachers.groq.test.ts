/**
 * The Groq teacher through the real `groq-sdk` against the loopback Groq simulator:
 * what goes on the wire, and that every fault comes back classified (never thrown).
 */
import { describe, it, expect } from 'vitest';
import { createGroqTeacher } from '../src/teachers/groq.ts';
import type { GenerationSettings } from '../src/teachers/types.ts';
import { countTokens, type SimulatorHandle } from './simulators/common.ts';
import { closedPortUrl, failureExpecter, FEW_SHOT_MESSAGES, requestBuilder, useSimulator } from './helpers/teacherTest.ts';
import { startGroqSimulator } from './simulators/groq.ts';

const API_KEY = 'gsk_test_key_that_must_never_leak';
const MODEL = 'llama-3.3-70b-versatile';
const SETTINGS: GenerationSettings = { temperature: 0.7, topP: 0.9, maxTokens: 321 };

const request = requestBuilder(SETTINGS, FEW_SHOT_MESSAGES);

let sim: SimulatorHandle;
useSimulator(async () => (sim = await startGroqSimulator()));
const teacher = (extra: { timeoutMs?: number; baseUrl?: string; fetch?: typeof fetch } = {}) =>
  createGroqTeacher({ id: 'groq-test', provider: 'groq', model: MODEL, defaults: SETTINGS, apiKey: API_KEY, baseUrl: sim.url, ...extra });

const expectFailure = failureExpecter(API_KEY);

describe('Groq teacher', () => {
  it('returns text, usage and finish reason, and sends model, settings, system message and key', async () => {
    sim.setBehavior(MODEL, { text: 'The lighthouse keeper waited.' });
    const outcome = await teacher().generate(request());
    if (!outcome.ok) throw new Error(outcome.failure.message);
    expect(outcome.generation.text).toBe('The lighthouse keeper waited.');
    expect(outcome.generation.finishReason).toBe('stop');
    expect(outcome.generation.settings).toEqual(SETTINGS);
    expect(outcome.generation.usage.outputTokens).toBe(countTokens('The lighthouse keeper waited.'));
    expect(outcome.generation.usage.inputTokens).toBeGreaterThan(0);
    expect(outcome.generation.latencyMs).toBeGreaterThanOrEqual(0);

    expect(sim.requests).toHaveLength(1);
    const sent = sim.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.path).toBe('/openai/v1/chat/completions');
    expect(sent.model).toBe(MODEL);
    expect(sent.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent.body).toEqual({
      model: MODEL,
      temperature: 0.7,
      top_p: 0.9,
      max_completion_tokens: 321,
      stream: false,
      messages: [
        { role: 'system', content: 'You write short stories.' },
        { role: 'user', content: 'A story about a fox.' },
        { role: 'assistant', content: 'The fox ran.' },
        { role: 'user', content: 'A story about a lighthouse.' },
      ],
    });
  });

  it('routes calls through an injected fetch', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const outcome = await teacher({ fetch: counting }).generate(request());
    expect(outcome.ok).toBe(true);
    expect(calls).toBe(1);
  });

  it('classifies 429 as rate_limited with the retry-after delay, in one HTTP request', async () => {
    sim.setBehavior(MODEL, { retryAfterSeconds: 3 });
    sim.injectFault(MODEL, 'rate_limit');
    const failure = expectFailure(await teacher().generate(request()), 'rate_limited');
    expect(failure.status).toBe(429);
    expect(failure.retryAfterMs).toBe(3000);
    expect(sim.requests).toHaveLength(1);
  });

  it('classifies 500 as server_error, in one HTTP request', async () => {
    sim.injectFault(MODEL, 'server_error');
    expect(expectFailure(await teacher().generate(request()), 'server_error').status).toBe(500);
    expect(sim.requests).toHaveLength(1);
  });

  it('classifies 503 as server_error', async () => {
    sim.injectFault(MODEL, 'unavailable');
    expect(expectFailure(await teacher().generate(request()), 'server_error').status).toBe(503);
  });

  it('classifies 401 as auth', async () => {
    sim.injectFault(MODEL, 'unauthorized');
    expect(expectFailure(await teacher().generate(request()), 'auth').status).toBe(401);
  });

  it('classifies a malformed body as bad_reply', async () => {
    sim.injectFault(MODEL, 'malformed');
    expectFailure(await teacher().generate(request()), 'bad_reply');
  });

  it('classifies an empty message as empty_output', async () => {
    sim.injectFault(MODEL, 'empty');
    expectFailure(await teacher().generate(request()), 'empty_output');
  });

  it('gives up on a hanging server at its deadline', async () => {
    sim.injectFault(MODEL, 'hang');
    const started = Date.now();
    const failure = expectFailure(await teacher({ timeoutMs: 300 }).generate(request()), 'timeout');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(failure.latencyMs).toBeGreaterThanOrEqual(250);
  });

  it('reports a caller abort as cancelled', async () => {
    sim.injectFault(MODEL, 'hang');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    expectFailure(await teacher({ timeoutMs: 10_000 }).generate(request({ signal: controller.signal })), 'cancelled');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('classifies a refused connection as network', async () => {
    expectFailure(await teacher({ baseUrl: await closedPortUrl() }).generate(request()), 'network');
  });

  it('reports a missing API key as auth instead of throwing', async () => {
    const saved = process.env.GROQ_API_KEY;
    delete process.env.GROQ_API_KEY;
    try {
      const keyless = createGroqTeacher({ id: 'groq-test', provider: 'groq', model: MODEL, defaults: SETTINGS, baseUrl: sim.url });
      expectFailure(await keyless.generate(request()), 'auth');
      expect(sim.requests).toHaveLength(0);
    } finally {
      if (saved !== undefined) process.env.GROQ_API_KEY = saved;
    }
  });
});
