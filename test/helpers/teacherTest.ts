/**
 * Setup shared by the four teacher tests (test/teachers.*.test.ts), which drive each real provider
 * SDK against its loopback simulator: the simulator's lifecycle, request builders, the failure
 * check (classified, and the secret never in the message), a refused port and the fault table.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { ChatMessage, GenerateOutcome, GenerateRequest, GenerationSettings, TeacherFailure, TeacherFailureKind } from '../../src/teachers/types.ts';
import type { SimFault, SimulatorHandle } from '../simulators/common.ts';

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
export function failureExpecter(secret: string): (outcome: GenerateOutcome, kind?: TeacherFailureKind) => TeacherFailure {
  return (outcome, kind) => {
    if (outcome.ok) throw new Error(`expected ${kind ?? 'a failure'}, got text ${JSON.stringify(outcome.generation.text)}`);
    if (kind !== undefined) expect(outcome.failure.kind).toBe(kind);
    expect(outcome.failure.message).not.toContain(secret);
    return outcome.failure;
  };
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
