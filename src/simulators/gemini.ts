/**
 * Loopback stand-in for the Gemini API (generativelanguage.googleapis.com) as `@google/genai`
 * calls it for `ai.models.generateContent`: `POST {baseUrl}/{apiVersion}/models/{model}:generateContent`
 * with the key in the `x-goog-api-key` header. Hand `handle.url` (no path) to
 * `httpOptions.baseUrl`; the SDK appends the API version (`v1beta` by default) itself.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { countTokens, sendJson, startSimulator, type ParsedRequest, type ProviderProtocol, type RouteResult, type SimBehavior, type SimFault, type SimulatorHandle } from './common.ts';

interface GeminiPart {
  text?: string;
}
interface GeminiContent {
  role?: string;
  parts?: GeminiPart[];
}
interface GeminiRequestBody {
  contents?: GeminiContent[];
  systemInstruction?: GeminiContent;
  generationConfig?: { temperature?: number; topP?: number; maxOutputTokens?: number; responseMimeType?: string; responseSchema?: unknown; responseJsonSchema?: unknown };
}

const GENERATE_PATH = /^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):generateContent$/;

const textOf = (content: GeminiContent | undefined): string => (content?.parts ?? []).map((p) => p.text ?? '').join('');

/** Google's error envelope (google.rpc.Status), as the real API sends it. */
function googleError(res: ServerResponse, code: number, status: string, message: string, details?: unknown[]): void {
  sendJson(res, code, { error: { code, message, status, ...(details ? { details } : {}) } });
}

function sendFault(fault: SimFault, res: ServerResponse, behavior: SimBehavior, model: string): void {
  switch (fault) {
    case 'rate_limit': {
      // Gemini announces the wait only in the body (RetryInfo), not in a Retry-After header.
      const seconds = behavior.retryAfterSeconds ?? 7;
      googleError(res, 429, 'RESOURCE_EXHAUSTED', `You exceeded your current quota. Please retry in ${seconds}s.`, [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [
            {
              quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
              quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
              quotaDimensions: { location: 'global', model },
              // The API names the quota's value when it knows it; a plain injected fault does not.
              ...(behavior.quotaLimit !== undefined ? { quotaValue: String(behavior.quotaLimit) } : {}),
            },
          ],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${seconds}s` },
      ]);
      return;
    }
    case 'server_error':
      return googleError(res, 500, 'INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
    case 'unavailable':
      return googleError(res, 503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
    case 'unauthorized':
      return googleError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    case 'empty':
      // A finished candidate without any text, as Gemini returns when the output budget is spent on nothing.
      return sendJson(res, 200, {
        candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 0, totalTokenCount: 1 },
        modelVersion: model,
        responseId: randomUUID(),
      });
    case 'hang':
    case 'huge':
    case 'html':
    case 'malformed':
      // Handled by the shared server before the protocol is asked.
      return;
  }
}

const geminiProtocol: ProviderProtocol = {
  route(req: ParsedRequest): RouteResult {
    const match = req.method === 'POST' ? GENERATE_PATH.exec(req.path) : null;
    if (!match) return { kind: 'not_found' };
    const model = decodeURIComponent(match[2] ?? '');
    const body = (req.body ?? {}) as GeminiRequestBody;
    const contents = body.contents ?? [];
    const lastUser = [...contents].reverse().find((c) => (c.role ?? 'user') === 'user');
    const prompt = textOf(lastUser);
    const system = textOf(body.systemInstruction);
    const promptTokens = countTokens(system + contents.map(textOf).join(''));
    return {
      kind: 'generate',
      model,
      ctx: { model, prompt, system, temperature: body.generationConfig?.temperature, responseSchema: body.generationConfig?.responseSchema ?? body.generationConfig?.responseJsonSchema },
      reply(full, res, ignoreBudget = false) {
        // Cut at maxOutputTokens (same rough count as the usage fields), as Gemini does, with MAX_TOKENS.
        const maxTokens = body.generationConfig?.maxOutputTokens;
        const cut = !ignoreBudget && maxTokens !== undefined && countTokens(full) > maxTokens;
        const text = cut ? full.slice(0, maxTokens * 4) : full;
        const outputTokens = countTokens(text);
        sendJson(res, 200, {
          candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: cut ? 'MAX_TOKENS' : 'STOP', index: 0 }],
          usageMetadata: { promptTokenCount: promptTokens, candidatesTokenCount: outputTokens, totalTokenCount: promptTokens + outputTokens },
          modelVersion: model,
          responseId: randomUUID(),
        });
      },
      fault: (fault, res, behavior) => sendFault(fault, res, behavior, model),
    };
  },
};

export function startGeminiSimulator(): Promise<SimulatorHandle> {
  return startSimulator(geminiProtocol);
}
