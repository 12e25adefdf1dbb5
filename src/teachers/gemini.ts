/**
 * Gemini teacher over `@google/genai` (`ai.models.generateContent`). The SDK is configured so
 * that one `generate` is exactly one HTTP request: no `retryOptions` (Zega retries itself, and
 * the SDK's retries would ignore the server's RetryInfo) and no automatic continuation.
 */
import { ApiError, GoogleGenAI, type Content, type GenerateContentResponse } from '@google/genai';
import { geminiSchema } from './responseFormat.ts';
import { DEFAULT_TIMEOUT_MS, deadline, failure, generationOutcome, kindForStatus, networkCause, type Deadline } from './failure.ts';
import { registerSecrets } from '../security/redact.ts';
import { guardedFetch, tooLarge, unreachedUrl } from './guardedFetch.ts';
import type { ChatMessage, GenerateOutcome, GenerationSettings, Teacher, TeacherFactoryOptions, TeacherFailure } from './types.ts';

export function createGeminiTeacher(options: TeacherFactoryOptions): Teacher {
  // Provider errors may echo the key: every failure message is redacted against it.
  registerSecrets(options.apiKey);
  const ai = new GoogleGenAI({
    apiKey: options.apiKey,
    // Explicit, so a stray GOOGLE_GENAI_USE_VERTEXAI in the environment cannot switch backends.
    vertexai: false,
    // `httpOptions.fetch` (SDK ≥ 2.x) reroutes every call; `baseUrl` is the server root, the SDK
    // appends `/v1beta/models/{model}:generateContent`. Unset values fall back to the SDK defaults
    // (global fetch, GOOGLE_GEMINI_BASE_URL or the public endpoint).
    // The guarded fetch bounds every answer's size and names the URL a refused connection was for.
    httpOptions: { baseUrl: options.baseUrl, fetch: guardedFetch(options.fetch) },
  });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Gemini 2.5 Flash models count "thinking" against maxOutputTokens; a 600-token story budget can
  // be spent entirely on thoughts and come back empty. Flash models accept a budget of 0 (off);
  // Pro models cannot switch thinking off, so they keep the server's default.
  const thinkingConfig = /flash/i.test(options.model) ? { thinkingBudget: 0 } : undefined;

  return {
    id: options.id,
    provider: 'gemini',
    model: options.model,
    defaults: options.defaults,
    async generate(request): Promise<GenerateOutcome> {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const dl = deadline(timeoutMs, request.signal);
      try {
        const { systemInstruction, contents } = toGeminiContents(request.messages);
        const response = await ai.models.generateContent({
          model: options.model,
          contents,
          config: {
            systemInstruction,
            temperature: request.settings.temperature,
            topP: request.settings.topP,
            maxOutputTokens: request.settings.maxTokens,
            abortSignal: dl.signal,
            automaticContinuation: false,
            ...(request.responseFormat ? { responseMimeType: 'application/json', responseSchema: geminiSchema(request.responseFormat.schema) } : {}),
            ...(thinkingConfig ? { thinkingConfig } : {}),
          },
        });
        return readGeneration(response, request.settings, elapsed());
      } catch (err) {
        return { ok: false, failure: classifyGeminiError(err, dl, timeoutMs, elapsed()) };
      } finally {
        dl.dispose();
      }
    },
  };
}

/** Gemini has no system role: system text goes to `systemInstruction`, the assistant is `model`. */
function toGeminiContents(messages: ChatMessage[]): { systemInstruction?: string; contents: Content[] } {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const contents = messages
    .filter((m) => m.role !== 'system')
    .map((m): Content => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] }));
  return { systemInstruction: system.length > 0 ? system.join('\n\n') : undefined, contents };
}

function readGeneration(response: GenerateContentResponse, settings: GenerationSettings, latencyMs: number): GenerateOutcome {
  const candidate = response.candidates?.[0];
  const blocked = response.promptFeedback?.blockReason;
  if (!candidate && !blocked) return { ok: false, failure: failure('bad_reply', 'Gemini reply has no candidates', latencyMs) };
  // Read the parts ourselves rather than `response.text`, which logs warnings for non-text parts;
  // thought parts are the model's reasoning, not the story.
  const text = (candidate?.content?.parts ?? []).filter((p) => !p.thought).map((p) => p.text ?? '').join('');
  return generationOutcome({
    provider: 'Gemini',
    text,
    settings,
    latencyMs,
    inputTokens: response.usageMetadata?.promptTokenCount,
    outputTokens: response.usageMetadata?.candidatesTokenCount,
    finishReason: candidate?.finishReason,
    ...(blocked ? { emptyBecause: `prompt blocked (${blocked})` } : {}),
  });
}

interface GoogleErrorBody {
  error?: {
    code?: number;
    status?: string;
    message?: string;
    details?: { '@type'?: string; retryDelay?: string; reason?: string; violations?: { quotaId?: string; quotaValue?: string }[] }[];
  };
}

function classifyGeminiError(err: unknown, dl: Deadline, timeoutMs: number, latencyMs: number): TeacherFailure {
  const large = tooLarge(err);
  if (large) return failure('bad_reply', `Gemini: ${large.message}`, latencyMs);
  if (err instanceof ApiError) return apiFailure(err, latencyMs);
  // The SDK reports the deadline and the caller's abort as the same AbortError; the deadline knows which.
  if (dl.timedOut()) return failure('timeout', `Gemini gave no answer within ${timeoutMs} ms`, latencyMs);
  if (dl.cancelled()) return failure('cancelled', 'Gemini call cancelled by the caller', latencyMs);
  if (err instanceof SyntaxError) return failure('bad_reply', `Gemini reply is not valid JSON: ${err.message}`, latencyMs);
  const network = networkCause(err);
  if (network) return failure('network', `cannot reach Gemini at ${unreachedUrl(err) ?? 'its base URL'}: ${network}`, latencyMs);
  // Any other TypeError comes from reading a reply of an unexpected shape; plain Errors are the
  // SDK rejecting our parameters before sending anything.
  const message = err instanceof Error ? err.message : String(err);
  return failure(err instanceof TypeError ? 'bad_reply' : 'client_error', `Gemini: ${message}`, latencyMs);
}

/** `ApiError.message` is the JSON error body; RetryInfo and ErrorInfo live in its `details`. */
function apiFailure(err: ApiError, latencyMs: number): TeacherFailure {
  let body: GoogleErrorBody = {};
  try {
    body = JSON.parse(err.message) as GoogleErrorBody;
  } catch {
    // Not JSON (a proxy's HTML page, say): keep the raw text as the message.
  }
  const details = body.error?.details ?? [];
  const retryDelay = details.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'))?.retryDelay;
  // A wrong key comes back as 400 INVALID_ARGUMENT with reason API_KEY_INVALID, not as 401.
  const badKey = details.some((d) => d.reason === 'API_KEY_INVALID');
  const kind = badKey ? 'auth' : kindForStatus(err.status);
  const text = body.error?.message ?? err.message;
  const label = body.error?.status ? `${err.status} ${body.error.status}` : String(err.status);
  const retryAfterMs = parseDuration(retryDelay);
  const limitPerMinute = requestsPerMinuteQuota(details);
  return failure(kind, `Gemini ${label}: ${text}`, latencyMs, {
    status: err.status,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
    ...(limitPerMinute !== undefined && { rate: { limitPerMinute } }),
  });
}

/** QuotaFailure names the quota that was hit and, often, its value: a per-minute request quota is the limit to pace to. */
function requestsPerMinuteQuota(details: NonNullable<NonNullable<GoogleErrorBody['error']>['details']>): number | undefined {
  for (const detail of details) {
    if (!detail['@type']?.endsWith('google.rpc.QuotaFailure')) continue;
    for (const v of detail.violations ?? []) {
      const value = Number(v.quotaValue);
      if (/Requests?PerMinute/i.test(v.quotaId ?? '') && Number.isFinite(value) && value > 0) return value;
    }
  }
  return undefined;
}

/** protobuf Duration in JSON form: "7s", "0.5s", "1.500s". */
function parseDuration(value: string | undefined): number | undefined {
  const match = value ? /^(\d+(?:\.\d+)?)s$/.exec(value) : null;
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

