/**
 * Groq teacher over `groq-sdk` (OpenAI-compatible `chat.completions.create`, non-streaming).
 * `maxRetries: 0` because the SDK otherwise retries 429/5xx itself, honouring `retry-after`
 * without any cap; Zega's own scheduler decides when to come back.
 */
import Groq, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'groq-sdk';
import { DEFAULT_TIMEOUT_MS, deadline, failure, generationOutcome, kindForStatus, networkCause, parseRetryAfter, type Deadline } from './failure.ts';
import { registerSecrets } from '../security/redact.ts';
import { guardedFetch, tooLarge, unreachedUrl } from './guardedFetch.ts';
import type { ChatCompletion } from 'groq-sdk/resources/chat/completions';
import { rateSignalsFromHeaders } from './callScope.ts';
import { openAiResponseFormat } from './responseFormat.ts';
import type { GenerateOutcome, GenerationSettings, Teacher, TeacherFactoryOptions, TeacherFailure } from './types.ts';

export function createGroqTeacher(options: TeacherFactoryOptions): Teacher {
  // Provider errors may echo the key: every failure message is redacted against it.
  registerSecrets(options.apiKey);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // The constructor throws when no key is given and GROQ_API_KEY is unset; `generate` must not.
  let client: Groq | undefined;
  let setupProblem = '';
  try {
    client = new Groq({
      apiKey: options.apiKey,
      // Unset → GROQ_BASE_URL or the public endpoint. The SDK appends `/openai/v1/chat/completions`.
      baseURL: options.baseUrl,
      maxRetries: 0,
      // Only bounds the wait for response headers; the deadline signal below bounds the body too.
      timeout: timeoutMs,
      // Bounds every answer's size and names the URL a refused connection was for.
      fetch: guardedFetch(options.fetch),
    });
  } catch (err) {
    setupProblem = err instanceof Error ? err.message : String(err);
  }

  return {
    id: options.id,
    provider: 'groq',
    model: options.model,
    defaults: options.defaults,
    async generate(request): Promise<GenerateOutcome> {
      if (!client) return { ok: false, failure: failure('auth', `Groq client not configured: ${setupProblem}`, 0) };
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const dl = deadline(timeoutMs, request.signal);
      try {
        // withResponse: success responses carry x-ratelimit-* headers the parsed body does not.
        const { data: completion, response } = await client.chat.completions.create(
          {
            model: options.model,
            messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
            temperature: request.settings.temperature,
            top_p: request.settings.topP,
            // `max_tokens` is deprecated in the SDK types in favour of this name.
            max_completion_tokens: request.settings.maxTokens,
            stream: false,
            ...(request.responseFormat ? { response_format: openAiResponseFormat(request.responseFormat) } : {}),
          },
          { signal: dl.signal },
        ).withResponse();
        const outcome = readGeneration(completion, request.settings, elapsed());
        const rate = rateSignalsFromHeaders(response.headers);
        if (outcome.ok && rate) outcome.generation.rate = rate;
        return outcome;
      } catch (err) {
        return { ok: false, failure: classifyGroqError(err, dl, timeoutMs, elapsed()) };
      } finally {
        dl.dispose();
      }
    },
  };
}

function readGeneration(completion: ChatCompletion, settings: GenerationSettings, latencyMs: number): GenerateOutcome {
  // A non-JSON 200 reaches us as a string, a foreign JSON shape without `choices`: both unusable.
  const body: unknown = completion;
  const choices = typeof body === 'object' && body !== null ? (body as Partial<ChatCompletion>).choices : undefined;
  const choice = Array.isArray(choices) ? choices[0] : undefined;
  if (!choice) return { ok: false, failure: failure('bad_reply', 'Groq reply has no choices', latencyMs) };
  return generationOutcome({
    provider: 'Groq',
    text: choice.message?.content ?? '',
    settings,
    latencyMs,
    inputTokens: completion.usage?.prompt_tokens,
    outputTokens: completion.usage?.completion_tokens,
    finishReason: choice.finish_reason,
  });
}

function classifyGroqError(err: unknown, dl: Deadline, timeoutMs: number, latencyMs: number): TeacherFailure {
  // RateLimitError, InternalServerError, AuthenticationError... all carry status and headers.
  if (err instanceof APIError && typeof err.status === 'number') {
    const body = err.error as { error?: { message?: unknown } } | undefined;
    const text = typeof body?.error?.message === 'string' ? `${err.status} ${body.error.message}` : err.message;
    const headers = err.headers as Headers | undefined;
    const retryAfterMs = err.status === 429 ? parseRetryAfter(headers?.get('retry-after')) : undefined;
    const rate = { ...rateSignalsFromHeaders(headers), ...(err.status === 429 ? requestsPerMinuteIn(text) : {}) };
    return failure(kindForStatus(err.status), `Groq ${text}`, latencyMs, {
      status: err.status,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
      ...(Object.keys(rate).length > 0 && { rate }),
    });
  }
  const large = tooLarge(err);
  if (large) return failure('bad_reply', `Groq: ${large.message}`, latencyMs);
  // APIUserAbortError (before headers) and a bare AbortError (while reading the body) look alike:
  // the deadline knows whether it or the caller pulled the plug.
  if (dl.timedOut()) return failure('timeout', `Groq gave no answer within ${timeoutMs} ms`, latencyMs);
  if (dl.cancelled()) return failure('cancelled', 'Groq call cancelled by the caller', latencyMs);
  if (err instanceof APIConnectionTimeoutError) return failure('timeout', `Groq gave no answer within ${timeoutMs} ms`, latencyMs);
  if (err instanceof APIConnectionError) {
    // The SDK wraps undici's TypeError('fetch failed'), whose own cause says why (ECONNREFUSED...).
    const why = networkCause(err.cause) ?? err.message;
    return failure('network', `cannot reach Groq at ${unreachedUrl(err) ?? 'its base URL'}: ${why}`, latencyMs);
  }
  if (err instanceof SyntaxError) return failure('bad_reply', `Groq reply is not valid JSON: ${err.message}`, latencyMs);
  const message = err instanceof Error ? err.message : String(err);
  return failure(err instanceof TypeError ? 'bad_reply' : 'client_error', `Groq: ${message}`, latencyMs);
}

/** Groq names the per-minute limit only in its 429 text: "… on requests per minute (RPM): Limit 30, Used 30 …". */
function requestsPerMinuteIn(message: string): { limitPerMinute?: number } {
  const match = /requests per minute \(RPM\): Limit (\d+)/i.exec(message);
  return match ? { limitPerMinute: Number(match[1]) } : {};
}
