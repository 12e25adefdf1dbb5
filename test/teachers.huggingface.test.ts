/**
 * The Hugging Face teacher through the real `@huggingface/inference` SDK against the loopback
 * endpoint simulator: request shape, reply mapping, and one classified failure per fault.
 */
import { describe, expect, it } from 'vitest';
import { createHuggingFaceTeacher } from '../src/teachers/huggingface.ts';
import type { GenerationSettings, TeacherFactoryOptions } from '../src/teachers/types.ts';
import type { SimulatorHandle } from '../src/simulators/common.ts';
import { CLASSIFIED_FAULTS, closedPortUrl, failureExpecter, requestBuilder, SYSTEM_MESSAGE, useSimulator } from './helpers/teacherTest.ts';
import { startHuggingFaceSimulator } from '../src/simulators/huggingface.ts';

const TOKEN = 'hf_simulatedSecretToken0123456789';
const QWEN = 'Qwen/Qwen2.5-7B-Instruct';
const MISTRAL = 'mistralai/Mistral-7B-Instruct-v0.3';
const SETTINGS: GenerationSettings = { temperature: 0.8, topP: 0.9, maxTokens: 600 };

let sim: SimulatorHandle;

useSimulator(async () => (sim = await startHuggingFaceSimulator()));

function teacher(overrides: Partial<TeacherFactoryOptions> = {}) {
  return createHuggingFaceTeacher({
    id: 'hf-qwen2.5-7b',
    provider: 'huggingface',
    model: QWEN,
    defaults: SETTINGS,
    apiKey: TOKEN,
    baseUrl: sim.url,
    timeoutMs: 5_000,
    ...overrides,
  });
}

const request = requestBuilder(SETTINGS, [SYSTEM_MESSAGE, { role: 'user', content: 'A lighthouse keeper finds a letter.' }]);
const expectFailure = failureExpecter(TOKEN);

describe('Hugging Face teacher', () => {
  it('generates through the endpoint and sends model, settings, system message and token', async () => {
    sim.setBehavior(QWEN, { text: 'Once upon a tide, the keeper read the letter twice.' });
    const outcome = await teacher().generate(request());

    if (!outcome.ok) throw new Error(`unexpected failure: ${outcome.failure.kind} ${outcome.failure.message}`);
    expect(outcome.generation.text).toBe('Once upon a tide, the keeper read the letter twice.');
    expect(outcome.generation.finishReason).toBe('stop');
    expect(outcome.generation.usage.inputTokens).toBeGreaterThan(0);
    expect(outcome.generation.usage.outputTokens).toBeGreaterThan(0);
    expect(outcome.generation.settings).toEqual(SETTINGS);

    expect(sim.requests).toHaveLength(1);
    const [sent] = sim.requests;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const body = sent?.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: QWEN, temperature: 0.8, top_p: 0.9, max_tokens: 600 });
    expect(body).not.toHaveProperty('provider');
    expect(body.messages).toEqual([
      { role: 'system', content: 'You write short stories.' },
      { role: 'user', content: 'A lighthouse keeper finds a letter.' },
    ]);
  });

  it('serves both roster models from one simulator, routed by the model field', async () => {
    const qwen = await teacher().generate(request());
    const mistral = await teacher({ id: 'hf-mistral-7b', model: MISTRAL }).generate(request());
    expect(qwen.ok && mistral.ok).toBe(true);
    expect(sim.requests.map((r) => r.model)).toEqual([QWEN, MISTRAL]);
    if (qwen.ok && mistral.ok) expect(qwen.generation.text).not.toBe(mistral.generation.text);
  });

  it('reports a length finish when max tokens cut the text', async () => {
    sim.setBehavior(QWEN, { text: 'word '.repeat(200) });
    const outcome = await teacher().generate(request({ settings: { ...SETTINGS, maxTokens: 16 } }));
    expect(outcome.ok && outcome.generation.finishReason).toBe('length');
  });

  it.each(CLASSIFIED_FAULTS)('classifies the %s fault as %s', async (fault, kind, status) => {
    sim.injectFault(QWEN, fault);
    const failure = expectFailure(await teacher().generate(request()));
    expect(failure.kind).toBe(kind);
    expect(failure.status).toBe(status);
  });

  it('reads a 503 while the model loads as a wait of estimated_time, after exactly one request (no SDK retry loop)', async () => {
    // Several queued 503s: a retrying SDK would consume them all and then succeed.
    sim.injectFault(QWEN, 'unavailable', 3);
    const failure = expectFailure(await teacher().generate(request()));
    expect(failure).toMatchObject({ kind: 'rate_limited', status: 503, retryAfterMs: 20_000, overloaded: true });
    expect(sim.requests).toHaveLength(1);
  });

  it('keeps the Retry-After of a 429, which the SDK does not expose', async () => {
    sim.setBehavior(QWEN, { retryAfterSeconds: 4 });
    sim.injectFault(QWEN, 'rate_limit');
    const failure = expectFailure(await teacher().generate(request()));
    expect(failure).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 4_000 });
  });

  it('gives up on a hanging endpoint at its deadline', async () => {
    sim.injectFault(QWEN, 'hang');
    const started = Date.now();
    const failure = expectFailure(await teacher({ timeoutMs: 300 }).generate(request()));
    expect(failure.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports a caller abort as cancelled', async () => {
    sim.injectFault(QWEN, 'hang');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const failure = expectFailure(await teacher().generate(request({ signal: controller.signal })));
    expect(failure.kind).toBe('cancelled');
  });

  it('reports a refused connection as network', async () => {
    const failure = expectFailure(await teacher({ baseUrl: await closedPortUrl() }).generate(request()));
    expect(failure.kind).toBe('network');
  });

  it('keeps the token out of failure messages even when the provider echoes it', async () => {
    const echoing: typeof fetch = () =>
      Promise.resolve(new Response(JSON.stringify({ error: `token ${TOKEN} is not allowed here` }), { status: 400, headers: { 'content-type': 'application/json' } }));
    const failure = expectFailure(await teacher({ fetch: echoing }).generate(request()));
    expect(failure).toMatchObject({ kind: 'client_error', status: 400 });
    expect(failure.message).toContain('[redacted]');
  });

  it('without a base URL addresses the HF router by Hub model id', async () => {
    const seen: string[] = [];
    // Stands in for the network only; the SDK itself builds the request.
    const router: typeof fetch = (input, init) => {
      seen.push(input instanceof Request ? input.url : input.toString(), typeof init?.body === 'string' ? init.body : '');
      const reply = { id: 'r1', object: 'chat.completion', created: 1, model: QWEN, choices: [{ index: 0, message: { role: 'assistant', content: 'Hi.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } };
      return Promise.resolve(new Response(JSON.stringify(reply), { status: 200, headers: { 'content-type': 'application/json' } }));
    };
    const outcome = await teacher({ baseUrl: undefined, fetch: router }).generate(request());
    expect(outcome.ok).toBe(true);
    expect(seen[0]).toBe('https://router.huggingface.co/v1/chat/completions');
    expect(JSON.parse(seen[1] ?? '{}')).toMatchObject({ model: QWEN });
  });
});
