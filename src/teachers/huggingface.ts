/**
 * Hugging Face teacher over `@huggingface/inference` (4.13.x).
 *
 * Addressing:
 * - `baseUrl` set (a dedicated Inference Endpoint, a TGI server, or the test simulator): it is the
 *   SDK's `endpointUrl`; requests go to `{baseUrl}/v1/chat/completions` and `model` only travels in
 *   the body. `provider` must then stay unset: the SDK throws if both are given.
 * - `baseUrl` unset: no `endpointUrl`, so the SDK uses its auto-router,
 *   `https://router.huggingface.co/v1/chat/completions`, which needs an `hf_…` token and resolves
 *   `model` as a Hub id (`Qwen/Qwen2.5-7B-Instruct`), optionally suffixed with a provider or policy
 *   (`Qwen/Qwen2.5-7B-Instruct:together`, `…:fastest`, `…:cheapest`).
 *
 * SDK traps handled here: a 503 is retried immediately and without limit unless
 * `retry_on_error: false` (we retry at the run level instead); there is no timeout option, so the
 * shared `deadline()` signal is passed; errors expose the status but no headers, so the call's
 * own fetch keeps them (a 429's Retry-After); a 503 with `estimated_time` (model loading) is a
 * wait, not a server failure.
 */
import {
  InferenceClient,
  InferenceClientInputError,
  InferenceClientProviderApiError,
  InferenceClientProviderOutputError,
  InferenceClientRoutingError,
} from '@huggingface/inference';
import { DEFAULT_TIMEOUT_MS, deadline, failure, generationOutcome, kindForStatus, networkCause, type Deadline } from './failure.ts';
import { callFetch, rateSignalsFromHeaders, type CallScope } from './callScope.ts';
import { openAiResponseFormat } from './responseFormat.ts';
import { registerSecrets } from '../security/redact.ts';
import { guardedFetch, tooLarge, unreachedUrl } from './guardedFetch.ts';
import type { GenerateOutcome, GenerateRequest, Teacher, TeacherFactoryOptions, TeacherFailure } from './types.ts';

/** TGI's 503 body while a model loads: `{"error": "...", "estimated_time": 20.0}` (seconds). */
function estimatedTimeMs(body: unknown): number | undefined {
  const seconds = (body as { estimated_time?: unknown } | null)?.estimated_time;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : undefined;
}

export function createHuggingFaceTeacher(options: TeacherFactoryOptions): Teacher {
  // Provider errors may echo the key: every failure message is redacted against it.
  registerSecrets(options.apiKey);
  const { id, provider, model, defaults, apiKey, baseUrl, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  // Bounds every answer's size and names the URL a refused connection was for.
  const guarded = guardedFetch(options.fetch);
  const client = new InferenceClient(apiKey ?? '', {
    ...(baseUrl ? { endpointUrl: baseUrl } : {}),
    fetch: guarded,
  });

  async function generate(request: GenerateRequest): Promise<GenerateOutcome> {
    const started = Date.now();
    const elapsed = () => Date.now() - started;
    const call = deadline(timeoutMs, request.signal);
    const scope: CallScope = { signal: call.signal };
    try {
      const output: unknown = await client.chatCompletion(
        {
          model,
          // The SDK's message type has an index signature our plain interface lacks.
          messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
          temperature: request.settings.temperature,
          top_p: request.settings.topP,
          max_tokens: request.settings.maxTokens,
          ...(request.responseFormat ? { response_format: openAiResponseFormat(request.responseFormat) } : {}),
        },
        // Errors expose the status but no headers: the call's fetch keeps a 429's Retry-After.
        { signal: call.signal, retry_on_error: false, fetch: callFetch(guarded, scope) },
      );
      return readReply(output, request, elapsed());
    } catch (err) {
      return { ok: false, failure: classify(err, call, timeoutMs, elapsed(), scope.headers) };
    } finally {
      call.dispose();
    }
  }

  return { id, provider, model, defaults, generate };
}

/**
 * With `endpointUrl` the SDK returns the body unchecked (and a Blob if the content type is not
 * JSON), so the shape is validated here.
 */
function readReply(output: unknown, request: GenerateRequest, latencyMs: number): GenerateOutcome {
  const reply = output as { choices?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null;
  const choice = Array.isArray(reply?.choices)
    ? (reply.choices[0] as { message?: { content?: unknown }; finish_reason?: unknown } | undefined)
    : undefined;
  if (!choice || typeof choice !== 'object') {
    return { ok: false, failure: failure('bad_reply', 'reply has no chat completion choice', latencyMs) };
  }
  const content = choice.message?.content;
  if (content !== undefined && content !== null && typeof content !== 'string') {
    return { ok: false, failure: failure('bad_reply', 'reply content is not text', latencyMs) };
  }
  return generationOutcome({
    provider: 'Hugging Face',
    text: content ?? '',
    settings: request.settings,
    latencyMs,
    inputTokens: reply?.usage?.prompt_tokens,
    outputTokens: reply?.usage?.completion_tokens,
    finishReason: choice.finish_reason,
  });
}

function classify(err: unknown, call: Deadline, timeoutMs: number, latencyMs: number, headers: Headers | undefined): TeacherFailure {
  const message = err instanceof Error ? err.message : String(err);
  const large = tooLarge(err);
  if (large) return failure('bad_reply', large.message, latencyMs);
  // An HTTP answer is the most precise signal, even if the deadline fired while it was being read.
  if (err instanceof InferenceClientProviderApiError) {
    const status = err.httpResponse.status;
    const rate = rateSignalsFromHeaders(headers);
    // A model still loading is a "come back in estimated_time seconds", not a broken server.
    const loadingFor = status === 503 ? estimatedTimeMs(err.httpResponse.body) : undefined;
    if (loadingFor !== undefined) return failure('rate_limited', `HTTP 503: ${message}`, latencyMs, { status, retryAfterMs: loadingFor, overloaded: true });
    return failure(kindForStatus(status), `HTTP ${status}: ${message}`, latencyMs, {
      status,
      ...(status === 429 && rate?.retryAfterMs !== undefined ? { retryAfterMs: rate.retryAfterMs } : {}),
      ...(rate ? { rate } : {}),
    });
  }
  // The SDK rethrows whatever `fetch` rejects with, so abort causes are told apart by the deadline.
  if (call.cancelled()) return failure('cancelled', 'cancelled by the caller', latencyMs);
  if (call.timedOut()) return failure('timeout', `no reply within ${timeoutMs} ms`, latencyMs);
  if (err instanceof SyntaxError || err instanceof InferenceClientProviderOutputError) {
    return failure('bad_reply', `unreadable reply: ${message}`, latencyMs);
  }
  // The auto-router (no baseUrl) refuses tokens that are not `hf_…` before sending anything.
  if (err instanceof InferenceClientRoutingError) return failure('auth', message, latencyMs);
  if (err instanceof InferenceClientInputError) return failure('client_error', message, latencyMs);
  const network = networkCause(err);
  if (network) return failure('network', `cannot reach Hugging Face at ${unreachedUrl(err) ?? 'its endpoint'}: ${network}`, latencyMs);
  return failure('client_error', message, latencyMs);
}


