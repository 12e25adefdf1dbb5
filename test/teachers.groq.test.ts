/**
 * The Groq teacher through the real `groq-sdk` against the loopback Groq simulator:
 * what goes on the wire, and that every fault comes back classified (never thrown).
 */
import { describe, it, expect } from 'vitest';
import { createGroqTeacher } from '../src/teachers/groq.ts';
import type { GenerationSettings } from '../src/teachers/types.ts';
import type { SimulatorHandle } from '../src/simulators/common.ts';
import { expectGeneration, failureExpecter, FEW_SHOT_MESSAGES, itClassifiesSdkFailures, requestBuilder, useSimulator } from './helpers/teacherTest.ts';
import { startGroqSimulator } from '../src/simulators/groq.ts';

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
    expectGeneration(await teacher().generate(request()), 'The lighthouse keeper waited.', SETTINGS);

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

  it('reads the request budget from the headers of a successful answer', async () => {
    sim.setBehavior(MODEL, { quota: { requests: 5, windowMs: 60_000 } });
    const outcome = await teacher().generate(request());
    expect(outcome.ok && outcome.generation.rate).toMatchObject({ remaining: 4 });
  });

  itClassifiesSdkFailures({ sim: () => sim, model: MODEL, teacher, request, expectFailure, names: { retryDelay: 'retry-after', emptyReply: 'an empty message' } });

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
