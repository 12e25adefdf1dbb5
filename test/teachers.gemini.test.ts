/**
 * The Gemini teacher through the real `@google/genai` SDK against the loopback Gemini simulator:
 * what goes on the wire, and that every fault comes back classified (never thrown).
 */
import { describe, it, expect } from 'vitest';
import { createGeminiTeacher } from '../src/teachers/gemini.ts';
import type { GenerationSettings } from '../src/teachers/types.ts';
import { countTokens, startSimulator, type SimulatorHandle } from './simulators/common.ts';
import { closedPortUrl, failureExpecter, FEW_SHOT_MESSAGES, requestBuilder, useSimulator } from './helpers/teacherTest.ts';
import { startGeminiSimulator } from './simulators/gemini.ts';

const API_KEY = 'AIzaSy-test-key-that-must-never-leak';
const MODEL = 'gemini-2.5-flash';
const SETTINGS: GenerationSettings = { temperature: 0.7, topP: 0.9, maxTokens: 321 };

const request = requestBuilder(SETTINGS, FEW_SHOT_MESSAGES);

let sim: SimulatorHandle;
useSimulator(async () => (sim = await startGeminiSimulator()));
const teacher = (extra: { timeoutMs?: number; baseUrl?: string; fetch?: typeof fetch } = {}) =>
  createGeminiTeacher({ id: 'gemini-test', provider: 'gemini', model: MODEL, defaults: SETTINGS, apiKey: API_KEY, baseUrl: sim.url, ...extra });

const expectFailure = failureExpecter(API_KEY);

describe('Gemini teacher', () => {
  it('returns text, usage and finish reason, and sends model, settings, system instruction and key', async () => {
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
    expect(sent.path).toBe(`/v1beta/models/${MODEL}:generateContent`);
    expect(sent.model).toBe(MODEL);
    expect(sent.headers['x-goog-api-key']).toBe(API_KEY);
    expect(sent.body).toMatchObject({
      // Flash models: thinking off, so thoughts cannot eat the story's token budget.
      generationConfig: { temperature: 0.7, topP: 0.9, maxOutputTokens: 321, thinkingConfig: { thinkingBudget: 0 } },
      systemInstruction: { parts: [{ text: 'You write short stories.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'A story about a fox.' }] },
        { role: 'model', parts: [{ text: 'The fox ran.' }] },
        { role: 'user', parts: [{ text: 'A story about a lighthouse.' }] },
      ],
    });
  });

  it('reports Gemini MAX_TOKENS as the common `length` finish reason', async () => {
    sim.setBehavior(MODEL, { text: 'word '.repeat(200) });
    const outcome = await teacher().generate({ ...request(), settings: { ...SETTINGS, maxTokens: 16 } });
    expect(outcome.ok && outcome.generation.finishReason).toBe('length');
    expect(outcome.ok && outcome.generation.text.length).toBe(64);
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

  it('classifies 429 as rate_limited with the RetryInfo delay, in one HTTP request', async () => {
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

  it('classifies a 400 API_KEY_INVALID (how Gemini rejects a wrong key) as auth', async () => {
    const badKey = await startSimulator({
      route: () => ({
        kind: 'handled',
        status: 400,
        body: { error: { code: 400, status: 'INVALID_ARGUMENT', message: 'API key not valid. Please pass a valid API key.', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }] } },
      }),
    });
    try {
      expect(expectFailure(await teacher({ baseUrl: badKey.url }).generate(request()), 'auth').status).toBe(400);
    } finally {
      await badKey.close();
    }
  });

  it('classifies a malformed body as bad_reply', async () => {
    sim.injectFault(MODEL, 'malformed');
    expectFailure(await teacher().generate(request()), 'bad_reply');
  });

  it('classifies a candidate without text as empty_output', async () => {
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
});
