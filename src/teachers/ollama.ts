/**
 * Ollama teacher over the `ollama` package (0.6.x).
 *
 * SDK traps handled here: the package does not read `OLLAMA_HOST`, so the host is always passed;
 * it has no timeout and, for non-streaming calls, sends no AbortSignal at all, so the deadline is
 * applied by the `fetch` each call hands it; it does not retry (a busy server's 503 comes straight back, and is read as "too many at once");
 * its `ResponseError { error, status_code }` is not exported, so it is recognised by shape.
 */
import { Ollama, type ChatResponse } from 'ollama';
import { DEFAULT_TIMEOUT_MS, deadline, failure, generationOutcome, kindForStatus, networkCause, parseRetryAfter, type Deadline } from './failure.ts';
import { registerSecrets } from '../security/redact.ts';
import { guardedFetch, tooLarge, unreachedUrl } from './guardedFetch.ts';
import { callFetch, type CallScope } from './callScope.ts';
import type { GenerateOutcome, GenerateRequest, Teacher, TeacherFactoryOptions, TeacherFailure } from './types.ts';

/** Where a local Ollama listens by default (the package's own default, made explicit). */
export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';

export function createOllamaTeacher(options: TeacherFactoryOptions): Teacher {
  // Provider errors may echo the key: every failure message is redacted against it.
  registerSecrets(options.apiKey);
  const { id, provider, model, defaults, apiKey, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  const host = options.baseUrl || DEFAULT_OLLAMA_HOST;
  // A local Ollama needs no key; a hosted or proxied one takes a bearer token.
  const headers = apiKey ? { Authorization: `Bearer ${apiKey}` } : undefined;

  // Bounds every answer's size and names the URL a refused connection was for.
  const guarded = guardedFetch(options.fetch);
  // One client per teacher. The package takes no per-call fetch or signal, so each call runs on a
  // view of the client (Object.create: same host and headers) whose own `fetch` carries the call's
  // deadline and keeps its response headers. The shared client's fetch is never the one to run:
  // if a new package version stopped reading `this.fetch`, every call would say so at once.
  const client = new Ollama({ host, fetch: callOutsideItsView, ...(headers ? { headers } : {}) });

  async function generate(request: GenerateRequest): Promise<GenerateOutcome> {
    const started = Date.now();
    const elapsed = () => Date.now() - started;
    const call = deadline(timeoutMs, request.signal);
    const scope: CallScope = { signal: call.signal };
    const view = Object.create(client, { fetch: { value: callFetch(guarded, scope) } }) as Ollama;
    try {
      const response = await view.chat({
        model,
        messages: request.messages,
        stream: false,
        // Ollama takes the JSON Schema itself as `format` and constrains the output to it.
        ...(request.responseFormat ? { format: request.responseFormat.schema } : {}),
        options: { temperature: request.settings.temperature, top_p: request.settings.topP, num_predict: request.settings.maxTokens },
      });
      return readReply(response, request, elapsed());
    } catch (err) {
      // ResponseError drops the headers; the scope kept a proxy's rate-limit hint.
      return { ok: false, failure: classify(err, call, timeoutMs, elapsed(), scope.headers?.get('retry-after') ?? null) };
    } finally {
      call.dispose();
    }
  }

  return { id, provider, model, defaults, generate };
}

/** The shared client's fetch: only a call's view may reach the network (see above). */
function callOutsideItsView(): Promise<Response> {
  return Promise.reject(new Error('the ollama package called the shared client\'s fetch instead of the call\'s own (package internals changed?)'));
}

/** The package returns the parsed body unchecked, so the shape is validated here. */
function readReply(response: ChatResponse, request: GenerateRequest, latencyMs: number): GenerateOutcome {
  const reply = response as Partial<ChatResponse> | null;
  const message: unknown = reply?.message;
  const content: unknown = reply?.message?.content;
  if (typeof message !== 'object' || message === null || (content !== undefined && typeof content !== 'string')) {
    return { ok: false, failure: failure('bad_reply', 'reply is not an Ollama chat response', latencyMs) };
  }
  return generationOutcome({
    provider: 'Ollama',
    text: content ?? '',
    settings: request.settings,
    latencyMs,
    inputTokens: reply?.prompt_eval_count,
    outputTokens: reply?.eval_count,
    finishReason: reply?.done_reason,
  });
}

function classify(
  err: unknown,
  call: Deadline,
  timeoutMs: number,
  latencyMs: number,
  retryAfter: string | null,
): TeacherFailure {
  const message = err instanceof Error ? err.message : String(err);
  const large = tooLarge(err);
  if (large) return failure('bad_reply', large.message, latencyMs);
  const status = (err as { status_code?: unknown } | null)?.status_code;
  if (err instanceof Error && err.name === 'ResponseError' && typeof status === 'number') {
    // "server busy … maximum pending requests exceeded": too many calls at once, not a broken server.
    const busy = status === 503 && /busy|maximum pending/i.test(message);
    const kind = busy ? 'rate_limited' : kindForStatus(status);
    const retryAfterMs = kind === 'rate_limited' ? parseRetryAfter(retryAfter) : undefined;
    if (busy) return failure(kind, `HTTP ${status}: ${message}`, latencyMs, { status, overloaded: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    return failure(kind, `HTTP ${status}: ${message}`, latencyMs, { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  // fetch rejects with the abort reason, so the cause is read from the deadline, not the error.
  if (call.cancelled()) return failure('cancelled', 'cancelled by the caller', latencyMs);
  if (call.timedOut()) return failure('timeout', `no reply within ${timeoutMs} ms`, latencyMs);
  if (err instanceof SyntaxError) return failure('bad_reply', `unreadable reply: ${message}`, latencyMs);
  const network = networkCause(err);
  if (network) return failure('network', `cannot reach Ollama at ${unreachedUrl(err) ?? 'its host'}: ${network}`, latencyMs);
  return failure('client_error', message, latencyMs);
}


