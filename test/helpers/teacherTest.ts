/**
 * Setup shared by the four teacher tests (test/teachers.*.test.ts), which drive each real provider
 * SDK against its loopback simulator: the simulator's lifecycle, request builders, the failure
 * check (classified, and the secret never in the message), a refused port and the fault table.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { ChatMessage, GenerateOutcome, Generation, GenerateRequest, GenerationSettings, Teacher, TeacherFailure, TeacherFailureKind } from '../../src/teachers/types.ts';
import { countTokens, type SimFault, type SimulatorHandle } from '../../src/simulators/common.ts';

/** Starts the simulator once for the file (`start` also stores it), closes it after, resets it before each test. */
export function useSimulator(start: () => Promise<SimulatorHandle>): void {
  let sim: SimulatorHandle | undefined;
  beforeAll(async () => {
    sim = await start();
  });
  afterAll(async () => {
    await sim?.close();
  });
  beforeEach(() => sim?.reset());
}

export const SYSTEM_MESSAGE: ChatMessage = { role: 'system', content: 'You write short stories.' };

/** A system message, a few-shot turn and the prompt: what the Gemini and Groq tests send. */
export const FEW_SHOT_MESSAGES: readonly ChatMessage[] = [
  SYSTEM_MESSAGE,
  { role: 'user', content: 'A story about a fox.' },
  { role: 'assistant', content: 'The fox ran.' },
  { role: 'user', content: 'A story about a lighthouse.' },
];

export type RequestBuilder = (overrides?: Partial<GenerateRequest>) => GenerateRequest;

/** Builds fresh requests of `messages` with `settings`; a test overrides what it needs (signal, settings). */
export function requestBuilder(settings: GenerationSettings, messages: readonly ChatMessage[]): RequestBuilder {
  return (overrides = {}) => ({ messages: messages.map((m) => ({ ...m })), settings, ...overrides });
}

/**
 * Returns `expectFailure(outcome, kind?)`: the outcome must be a failure (of `kind` when given)
 * whose message does not contain `secret`; gives the failure back for further checks.
 */
export type FailureExpecter = (outcome: GenerateOutcome, kind?: TeacherFailureKind) => TeacherFailure;

export function failureExpecter(secret: string): FailureExpecter {
  return (outcome, kind) => {
    if (outcome.ok) throw new Error(`expected ${kind ?? 'a failure'}, got text ${JSON.stringify(outcome.generation.text)}`);
    if (kind !== undefined) expect(outcome.failure.kind).toBe(kind);
    expect(outcome.failure.message).not.toContain(secret);
    return outcome.failure;
  };
}

/**
 * The outcome is a generation of exactly `text`, finished with `stop`, with the `settings` it ran
 * with, the simulator's token count as output usage, some input usage and a latency.
 */
export function expectGeneration(outcome: GenerateOutcome, text: string, settings: GenerationSettings): Generation {
  if (!outcome.ok) throw new Error(outcome.failure.message);
  expect(outcome.generation.text).toBe(text);
  expect(outcome.generation.finishReason).toBe('stop');
  expect(outcome.generation.settings).toEqual(settings);
  expect(outcome.generation.usage.outputTokens).toBe(countTokens(text));
  expect(outcome.generation.usage.inputTokens).toBeGreaterThan(0);
  expect(outcome.generation.latencyMs).toBeGreaterThanOrEqual(0);
  return outcome.generation;
}

/** A port that was just free: bind one, then release it, so connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A base URL on {@link closedPort}. */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await closedPort()}`;
}

/** Simulator fault → the failure kind and HTTP status every teacher reports for it. */
export const CLASSIFIED_FAULTS: [SimFault, TeacherFailureKind, number | undefined][] = [
  ['rate_limit', 'rate_limited', 429],
  ['server_error', 'server_error', 500],
  ['unauthorized', 'auth', 401],
  ['malformed', 'bad_reply', undefined],
  ['empty', 'empty_output', undefined],
];

/** A teacher over an SDK with its own HTTP handling (Gemini, Groq), as {@link itClassifiesSdkFailures} drives it. */
export interface SdkTeacherCase {
  /** The simulator (read once a test runs: it starts in beforeAll). */
  sim: () => SimulatorHandle;
  model: string;
  teacher: (extra?: { timeoutMs?: number; baseUrl?: string; fetch?: typeof fetch }) => Teacher;
  request: RequestBuilder;
  expectFailure: FailureExpecter;
  /** How the provider words the 429 delay and an empty reply, for the test names. */
  names: { retryDelay: string; emptyReply: string };
}

/**
 * The tests the Gemini and Groq teachers share: calls go through an injected fetch, and every
 * fault, the deadline, a caller abort and a refused connection come back classified, with no retry.
 */
export function itClassifiesSdkFailures(c: SdkTeacherCase): void {
  const { model, teacher, request, expectFailure } = c;

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

  it(`classifies 429 as rate_limited with the ${c.names.retryDelay} delay, in one HTTP request`, async () => {
    c.sim().setBehavior(model, { retryAfterSeconds: 3 });
    c.sim().injectFault(model, 'rate_limit');
    const failure = expectFailure(await teacher().generate(request()), 'rate_limited');
    expect(failure.status).toBe(429);
    expect(failure.retryAfterMs).toBe(3000);
    expect(c.sim().requests).toHaveLength(1);
  });

  it('classifies 500 as server_error, in one HTTP request', async () => {
    c.sim().injectFault(model, 'server_error');
    expect(expectFailure(await teacher().generate(request()), 'server_error').status).toBe(500);
    expect(c.sim().requests).toHaveLength(1);
  });

  it('classifies 503 as server_error', async () => {
    c.sim().injectFault(model, 'unavailable');
    expect(expectFailure(await teacher().generate(request()), 'server_error').status).toBe(503);
  });

  it('classifies 401 as auth', async () => {
    c.sim().injectFault(model, 'unauthorized');
    expect(expectFailure(await teacher().generate(request()), 'auth').status).toBe(401);
  });

  it('classifies a malformed body as bad_reply', async () => {
    c.sim().injectFault(model, 'malformed');
    expectFailure(await teacher().generate(request()), 'bad_reply');
  });

  it(`classifies ${c.names.emptyReply} as empty_output`, async () => {
    c.sim().injectFault(model, 'empty');
    expectFailure(await teacher().generate(request()), 'empty_output');
  });

  it('gives up on a hanging server at its deadline', async () => {
    c.sim().injectFault(model, 'hang');
    const started = Date.now();
    const failure = expectFailure(await teacher({ timeoutMs: 300 }).generate(request()), 'timeout');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(failure.latencyMs).toBeGreaterThanOrEqual(250);
  });

  it('reports a caller abort as cancelled', async () => {
    c.sim().injectFault(model, 'hang');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    expectFailure(await teacher({ timeoutMs: 10_000 }).generate(request({ signal: controller.signal })), 'cancelled');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('classifies a refused connection as network', async () => {
    expectFailure(await teacher({ baseUrl: await closedPortUrl() }).generate(request()), 'network');
  });
}
