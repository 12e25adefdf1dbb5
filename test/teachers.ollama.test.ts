/**
 * The Ollama teacher through the real `ollama` package against the loopback Ollama simulator:
 * request shape, reply mapping, one classified failure per fault, and the model-management
 * routes (create FROM llama3.2, list, show, chat, delete) the trainer relies on.
 */
import { Ollama } from 'ollama';
import { describe, expect, it } from 'vitest';
import { createOllamaTeacher } from '../src/teachers/ollama.ts';
import type { GenerationSettings, TeacherFactoryOptions } from '../src/teachers/types.ts';
import { CLASSIFIED_FAULTS, closedPortUrl, failureExpecter, requestBuilder, SYSTEM_MESSAGE, useSimulator } from './helpers/teacherTest.ts';
import { startOllamaSimulator, type OllamaSimulatorHandle } from '../src/simulators/ollama.ts';

const MODEL = 'llama3.2';
const KEY = 'ollama-proxy-secret-key-0123456789';
const SETTINGS: GenerationSettings = { temperature: 0.8, topP: 0.9, maxTokens: 600 };

let sim: OllamaSimulatorHandle;

useSimulator(async () => (sim = await startOllamaSimulator({ models: ['qwen2.5:3b'] })));

function teacher(overrides: Partial<TeacherFactoryOptions> = {}) {
  return createOllamaTeacher({
    id: 'ollama-llama3.2',
    provider: 'ollama',
    model: MODEL,
    defaults: SETTINGS,
    baseUrl: sim.url,
    timeoutMs: 5_000,
    ...overrides,
  });
}

const request = requestBuilder(SETTINGS, [SYSTEM_MESSAGE, { role: 'user', content: 'A courier loses the last parcel.' }]);
const expectFailure = failureExpecter(KEY);

describe('Ollama teacher', () => {
  it('chats without streaming and sends model, options and the system message', async () => {
    sim.setBehavior(MODEL, { text: 'The courier retraced every street until dawn.' });
    const outcome = await teacher().generate(request());

    if (!outcome.ok) throw new Error(`unexpected failure: ${outcome.failure.kind} ${outcome.failure.message}`);
    expect(outcome.generation).toMatchObject({ text: 'The courier retraced every street until dawn.', finishReason: 'stop', settings: SETTINGS });
    expect(outcome.generation.usage.inputTokens).toBeGreaterThan(0);
    expect(outcome.generation.usage.outputTokens).toBeGreaterThan(0);

    expect(sim.requests).toHaveLength(1);
    const [sent] = sim.requests;
    expect(sent).toMatchObject({ method: 'POST', path: '/api/chat', model: 'llama3.2:latest' });
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.body).toMatchObject({
      model: MODEL,
      stream: false,
      options: { temperature: 0.8, top_p: 0.9, num_predict: 600 },
      messages: [
        { role: 'system', content: 'You write short stories.' },
        { role: 'user', content: 'A courier loses the last parcel.' },
      ],
    });
  });

  it('sends an API key as a bearer token for a hosted or proxied Ollama', async () => {
    const outcome = await teacher({ apiKey: KEY }).generate(request());
    expect(outcome.ok).toBe(true);
    expect(sim.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('reports a length finish when num_predict cuts the text', async () => {
    sim.setBehavior(MODEL, { text: 'word '.repeat(200) });
    const outcome = await teacher().generate(request({ settings: { ...SETTINGS, maxTokens: 16 } }));
    expect(outcome.ok && outcome.generation.finishReason).toBe('length');
  });

  it('classifies a model that is not pulled as client_error 404', async () => {
    const failure = expectFailure(await teacher({ model: 'mistral' }).generate(request()));
    expect(failure).toMatchObject({ kind: 'client_error', status: 404 });
    expect(failure.message).toContain('try pulling it first');
  });

  it.each(CLASSIFIED_FAULTS)('classifies the %s fault as %s', async (fault, kind, status) => {
    sim.injectFault(MODEL, fault);
    const failure = expectFailure(await teacher({ apiKey: KEY }).generate(request()));
    expect(failure.kind).toBe(kind);
    expect(failure.status).toBe(status);
  });

  it('keeps a proxy Retry-After hint on a 429', async () => {
    sim.setBehavior(MODEL, { retryAfterSeconds: 7 });
    sim.injectFault(MODEL, 'rate_limit');
    const failure = expectFailure(await teacher().generate(request()));
    expect(failure).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7_000 });
  });

  it('reads a busy server (503) as too many calls at once, after exactly one request', async () => {
    sim.injectFault(MODEL, 'unavailable', 3);
    const failure = expectFailure(await teacher().generate(request()));
    expect(failure).toMatchObject({ kind: 'rate_limited', status: 503, overloaded: true });
    expect(sim.requests).toHaveLength(1);
  });

  it('gives up on a hanging server at its deadline', async () => {
    sim.injectFault(MODEL, 'hang');
    const started = Date.now();
    const failure = expectFailure(await teacher({ timeoutMs: 300 }).generate(request()));
    expect(failure.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports a caller abort as cancelled', async () => {
    sim.injectFault(MODEL, 'hang');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const failure = expectFailure(await teacher().generate(request({ signal: controller.signal })));
    expect(failure.kind).toBe('cancelled');
  });

  it('reports a refused connection as network', async () => {
    const failure = expectFailure(await teacher({ apiKey: KEY, baseUrl: await closedPortUrl() }).generate(request()));
    expect(failure.kind).toBe('network');
  });
});

describe('Ollama simulator model management through the ollama package', () => {
  it('creates a model FROM llama3.2, lists, shows, chats with and deletes it', async () => {
    const client = new Ollama({ host: sim.url });
    expect((await client.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await client.list()).models.map((m) => m.name).sort()).toEqual(['llama3.2:latest', 'qwen2.5:3b']);

    const progress = await client.create({
      model: 'zega-storyteller',
      from: MODEL,
      system: 'You are Zega, a storyteller for one reader.',
      parameters: { temperature: 0.7, num_predict: 256 },
      messages: [
        { role: 'user', content: 'Tell me a story about a fox.' },
        { role: 'assistant', content: 'The fox kept the moon in a jar.' },
      ],
      stream: true,
    });
    const statuses: string[] = [];
    for await (const step of progress) statuses.push(step.status);
    expect(statuses.at(-1)).toBe('success');
    expect(sim.createdModels()).toEqual([
      expect.objectContaining({ model: 'zega-storyteller', from: MODEL, system: 'You are Zega, a storyteller for one reader.', parameters: { temperature: 0.7, num_predict: 256 }, stream: true }),
    ]);
    expect(sim.createdModels()[0]?.messages).toHaveLength(2);

    expect((await client.list()).models.map((m) => m.name)).toContain('zega-storyteller:latest');
    expect(sim.models()).toContain('zega-storyteller:latest');
    const shown = await client.show({ model: 'zega-storyteller' });
    expect(shown.system).toBe('You are Zega, a storyteller for one reader.');
    expect(shown.details.parent_model).toBe('llama3.2:latest');
    expect(shown.parameters).toMatch(/temperature\s+0\.7/);

    // Like Ollama, the created model's SYSTEM applies when the chat sends none.
    sim.setBehavior('zega-storyteller', { text: (ctx) => `[${ctx.system}] ${ctx.prompt}` });
    const chat = await createOllamaTeacher({ id: 'zega', provider: 'ollama', model: 'zega-storyteller', defaults: SETTINGS, baseUrl: sim.url }).generate({
      messages: [{ role: 'user', content: 'A fox at the station.' }],
      settings: SETTINGS,
    });
    expect(chat.ok && chat.generation.text).toBe('[You are Zega, a storyteller for one reader.] A fox at the station.');
    expect(sim.requests.at(-1)?.model).toBe('zega-storyteller:latest');

    await client.delete({ model: 'zega-storyteller' });
    expect(sim.models()).not.toContain('zega-storyteller:latest');
    await expect(client.show({ model: 'zega-storyteller' })).rejects.toMatchObject({ status_code: 404, error: "model 'zega-storyteller' not found" });
    await expect(client.delete({ model: 'zega-storyteller' })).rejects.toMatchObject({ status_code: 404 });
  });

  it('answers a non-streaming create with a single success status', async () => {
    const client = new Ollama({ host: sim.url });
    expect(await client.create({ model: 'zega-quiet', from: MODEL, system: 'Be brief.' })).toEqual({ status: 'success' });
    expect(sim.createdModels()[0]).toMatchObject({ model: 'zega-quiet', stream: false });
    expect(sim.models()).toContain('zega-quiet:latest');
  });

  it('refuses to create FROM a model that is not there', async () => {
    const client = new Ollama({ host: sim.url });
    await expect(client.create({ model: 'zega-x', from: 'nonexistent-base' })).rejects.toMatchObject({ status_code: 404 });
    expect(sim.models()).not.toContain('zega-x:latest');
  });
});
