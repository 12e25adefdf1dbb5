/**
 * Loopback stand-in for a Hugging Face Inference Endpoint (TGI's OpenAI-compatible route), as
 * `@huggingface/inference` 4.x calls it: `new InferenceClient(token, { endpointUrl: handle.url })`
 * then `chatCompletion({ model, messages, ... })` POSTs `{endpointUrl}/v1/chat/completions` with
 * `Authorization: Bearer <token>` and the body `{ ...args, model }`.
 *
 * A real endpoint serves one model, but the roster has two HF teachers: this simulator routes by
 * the body's `model` field, so one instance serves both (behaviour and faults are per model).
 */
import type { ServerResponse } from 'node:http';
import {
  countTokens,
  sendJson,
  startSimulator,
  type ParsedRequest,
  type RouteResult,
  type SimFault,
  type SimTextContext,
  type SimulatorHandle,
} from './common.ts';

interface ChatBody {
  model?: unknown;
  messages?: unknown;
  temperature?: unknown;
  max_tokens?: unknown;
  response_format?: { json_schema?: { schema?: unknown } };
}

/** Model id used when the body names none (TGI answers with its own id, `tgi`). */
const DEFAULT_MODEL = 'tgi';

function textContext(model: string, body: ChatBody): SimTextContext {
  const messages = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]) : [];
  const contentOf = (role: string, pickLast: boolean): string => {
    const found = pickLast ? [...messages].reverse().find((m) => m.role === role) : messages.find((m) => m.role === role);
    return typeof found?.content === 'string' ? found.content : '';
  };
  return {
    model,
    prompt: contentOf('user', true),
    system: contentOf('system', false),
    temperature: typeof body.temperature === 'number' ? body.temperature : undefined,
    responseSchema: body.response_format?.json_schema?.schema,
  };
}

/** Cuts the text at `max_tokens` (same rough count as the usage fields) so `length` can be observed. */
function limitTokens(text: string, maxTokens: unknown): { text: string; finish: string } {
  if (typeof maxTokens !== 'number' || countTokens(text) <= maxTokens) return { text, finish: 'stop' };
  return { text: text.slice(0, maxTokens * 4), finish: 'length' };
}

let completionCounter = 0;

function reply(model: string, ctx: SimTextContext, body: ChatBody, fullText: string, res: ServerResponse, ignoreBudget = false): void {
  const { text, finish } = limitTokens(fullText, ignoreBudget ? undefined : body.max_tokens);
  const promptTokens = countTokens(`${ctx.system} ${ctx.prompt}`);
  const completionTokens = text ? countTokens(text) : 0;
  completionCounter += 1;
  sendJson(res, 200, {
    id: `chatcmpl-sim-${completionCounter}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: '3.2.3-sha-sim',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: finish }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  });
}

/** Error bodies as TGI / the HF router send them; the SDK surfaces `error` in its message and no headers. */
function fault(model: string, ctx: SimTextContext, body: ChatBody, kind: SimFault, res: ServerResponse, retryAfterSeconds?: number): void {
  switch (kind) {
    case 'rate_limit':
      return sendJson(res, 429, { error: 'Model is overloaded, please retry later', error_type: 'overloaded' }, retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {});
    case 'server_error':
      return sendJson(res, 500, { error: 'Request failed during generation: CUDA out of memory', error_type: 'generation' });
    case 'unavailable':
      return sendJson(res, 503, { error: `Model ${model} is currently loading`, estimated_time: 20 });
    case 'unauthorized':
      return sendJson(res, 401, { error: 'Invalid credentials in Authorization header' });
    case 'empty':
      return reply(model, ctx, body, '', res);
    // 'hang' and 'malformed' are produced by the shared server before this is called.
    default:
      return sendJson(res, 500, { error: `unsupported fault ${kind}` });
  }
}

function route(req: ParsedRequest): RouteResult {
  // The SDK appends `/v1/chat/completions` to the endpoint URL, or `/chat/completions` if it ends in `/v1`.
  if (req.method !== 'POST' || req.path !== '/v1/chat/completions') return { kind: 'not_found' };
  if (typeof req.body !== 'object' || req.body === null) {
    return { kind: 'handled', status: 422, body: { error: 'Failed to deserialize the JSON body', error_type: 'validation' } };
  }
  const body = req.body as ChatBody;
  const model = typeof body.model === 'string' && body.model ? body.model : DEFAULT_MODEL;
  const ctx = textContext(model, body);
  return {
    kind: 'generate',
    model,
    ctx,
    reply: (text, res, ignoreBudget) => reply(model, ctx, body, text, res, ignoreBudget),
    fault: (kind, res, behavior) => fault(model, ctx, body, kind, res, behavior.retryAfterSeconds),
  };
}

/** `handle.url` is the `endpointUrl` to give `InferenceClient` (no path: the SDK adds `/v1/chat/completions`). */
export function startHuggingFaceSimulator(): Promise<SimulatorHandle> {
  return startSimulator({ route });
}
