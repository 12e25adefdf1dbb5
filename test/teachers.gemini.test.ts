/**
 * The Gemini teacher through the real `@google/genai` SDK against the loopback Gemini simulator:
 * what goes on the wire, and that every fault comes back classified (never thrown).
 */
import { describe, it, expect } from 'vitest';
import { createGeminiTeacher } from '../src/teachers/gemini.ts';
import type { GenerationSettings } from '../src/teachers/types.ts';
import { startSimulator, type SimulatorHandle } from '../src/simulators/common.ts';
import { expectGeneration, failureExpecter, FEW_SHOT_MESSAGES, itClassifiesSdkFailures, requestBuilder, useSimulator } from './helpers/teacherTest.ts';
import { startGeminiSimulator } from '../src/simulators/gemini.ts';

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
    expectGeneration(await teacher().generate(request()), 'The lighthouse keeper waited.', SETTINGS);

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

  itClassifiesSdkFailures({ sim: () => sim, model: MODEL, teacher, request, expectFailure, names: { retryDelay: 'RetryInfo', emptyReply: 'a candidate without text' } });

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
});
