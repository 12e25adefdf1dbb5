/**
 * Loopback stand-in for Groq's OpenAI-compatible chat API as `groq-sdk` calls it:
 * `POST {baseURL}/openai/v1/chat/completions` (non-streaming) with `Authorization: Bearer <key>`.
 * Hand `handle.url` (no path) to the SDK's `baseURL`; the SDK appends `/openai/v1/...` itself.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { countTokens, sendJson, startSimulator, type ParsedRequest, type ProviderProtocol, type QuotaState, type RouteResult, type SimBehavior, type SimFault, type SimulatorHandle } from './common.ts';

interface OpenAiMessage {
  role?: string;
  content?: string | { type?: string; text?: string }[] | null;
}
interface ChatRequestBody {
  model?: string;
  messages?: OpenAiMessage[];
  temperature?: number;
  response_format?: { type?: string; json_schema?: { schema?: unknown } };
}

const CHAT_PATH = '/openai/v1/chat/completions';

const textOf = (message: OpenAiMessage | undefined): string => {
  const content = message?.content;
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
};

function completion(res: ServerResponse, model: string, text: string, promptTokens: number): void {
  const completionTokens = text ? countTokens(text) : 0;
  sendJson(res, 200, {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    system_fingerprint: 'fp_sim',
    x_groq: { id: `req_${randomUUID()}` },
  });
}

/** OpenAI-style error envelope, as Groq sends it. */
function groqError(res: ServerResponse, status: number, message: string, type: string, code?: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { message, type, ...(code ? { code } : {}) } }, headers);
}

function sendFault(fault: SimFault, res: ServerResponse, behavior: SimBehavior, model: string, promptTokens: number): void {
  switch (fault) {
    case 'rate_limit': {
      // Groq announces the wait both in `retry-after` and in the message text.
      const seconds = behavior.retryAfterSeconds ?? 7;
      const limit = behavior.quotaLimit ?? 30;
      groqError(res, 429, `Rate limit reached for model \`${model}\` on requests per minute (RPM): Limit ${limit}, Used ${limit}, Requested 1. Please try again in ${seconds}s.`, 'requests', 'rate_limit_exceeded', {
        'retry-after': String(seconds),
        ...quotaHeaders({ limit, remaining: 0, resetMs: seconds * 1000 }),
      });
      return;
    }
    case 'server_error':
      return groqError(res, 500, 'Internal Server Error', 'internal_server_error');
    case 'unavailable':
      return groqError(res, 503, 'Service Unavailable: the model is over capacity, please try again later.', 'internal_server_error', 'service_unavailable');
    case 'unauthorized':
      return groqError(res, 401, 'Invalid API Key', 'invalid_request_error', 'invalid_api_key');
    case 'empty':
      return completion(res, model, '', promptTokens);
    case 'hang':
    case 'huge':
    case 'html':
    case 'malformed':
      // Handled by the shared server before the protocol is asked.
      return;
  }
}

/** Groq's x-ratelimit-* request headers (on every answer), here describing the simulated quota. */
function quotaHeaders(quota: QuotaState): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(quota.limit),
    'x-ratelimit-remaining-requests': String(quota.remaining),
    'x-ratelimit-reset-requests': `${(quota.resetMs / 1000).toFixed(2)}s`,
  };
}

const groqProtocol: ProviderProtocol = {
  quotaHeaders,
  route(req: ParsedRequest): RouteResult {
    if (req.method !== 'POST' || req.path !== CHAT_PATH) return { kind: 'not_found' };
    const body = (req.body ?? {}) as ChatRequestBody;
    const model = body.model ?? '';
    const messages = body.messages ?? [];
    const lastUser = [...messages].reverse().find((m) => m.role === 'user');
    const system = messages.filter((m) => m.role === 'system').map(textOf).join('\n\n');
    const promptTokens = countTokens(messages.map(textOf).join(''));
    return {
      kind: 'generate',
      model,
      ctx: { model, prompt: textOf(lastUser), system, temperature: body.temperature, responseSchema: body.response_format?.json_schema?.schema },
      reply: (text, res) => completion(res, model, text, promptTokens),
      fault: (fault, res, behavior) => sendFault(fault, res, behavior, model, promptTokens),
    };
  },
};

export function startGroqSimulator(): Promise<SimulatorHandle> {
  return startSimulator(groqProtocol);
}
