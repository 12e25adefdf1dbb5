/**
 * The `fetch` every provider SDK is given. It bounds what one answer may cost: the body is read
 * through a counting stream that stops (and cancels the download) past `maxBytes`, because the
 * SDKs read whole bodies themselves and a provider answering megabytes would otherwise fill
 * memory, the database and the vote. It also tags a connection failure with the URL that could
 * not be reached, so the failure names it.
 */

/** Largest answer read from a provider: far above a story (a few KB), far below trouble. */
export const MAX_REPLY_BYTES = 1024 * 1024;

export class ReplyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the reply is larger than ${limit} bytes: stopped reading`);
    this.name = 'ReplyTooLargeError';
  }
}

/** Statuses whose Response may not carry a body. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/** Origin and path of a request, never its query string (which may carry a key). */
export function describeUrl(input: string | URL | Request): string {
  try {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

function limitBody(body: ReadableStream<Uint8Array>, maxBytes: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let total = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      total += value.byteLength;
      if (total > maxBytes) {
        // Stops the download too: the connection is released instead of draining megabytes.
        await reader.cancel().catch(() => undefined);
        controller.error(new ReplyTooLargeError(maxBytes));
        return;
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** Whether the body is sent compressed (`identity` is not). */
function isEncoded(encoding: string | null): boolean {
  return encoding !== null && encoding.trim() !== '' && encoding.trim().toLowerCase() !== 'identity';
}

export interface GuardedFetchOptions {
  maxBytes?: number;
}

export function guardedFetch(base: typeof fetch = globalThis.fetch, options: GuardedFetchOptions = {}): typeof fetch {
  const maxBytes = options.maxBytes ?? MAX_REPLY_BYTES;
  return async (input, init) => {
    let response: Response;
    try {
      response = await base(input, init);
    } catch (err) {
      if (err instanceof Error && !('zegaUrl' in err)) Object.assign(err, { zegaUrl: describeUrl(input) });
      throw err;
    }
    if (!response.body || NULL_BODY.has(response.status)) return response;
    const length = response.headers.get('content-length');
    const declared = length === null ? Number.NaN : Number(length);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw new ReplyTooLargeError(maxBytes);
    }
    // A declared length within the bound is the most the body can be (the HTTP client reads no
    // more than it), unless the body is compressed (the length is then the compressed size):
    // such an answer needs no counting stream, which costs a stream and a Response per call.
    if (Number.isFinite(declared) && !isEncoded(response.headers.get('content-encoding'))) return response;
    const limited = new Response(limitBody(response.body, maxBytes), { status: response.status, statusText: response.statusText, headers: response.headers });
    // Some SDKs read the final URL (after redirects) from the response.
    Object.defineProperty(limited, 'url', { value: response.url });
    return limited;
  };
}

/** The first error in `err`'s cause chain that is a ReplyTooLargeError. */
export function tooLarge(err: unknown): ReplyTooLargeError | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ReplyTooLargeError) return e;
  }
  return undefined;
}

/** The URL a connection failure in `err`'s cause chain could not reach, if guardedFetch tagged it. */
export function unreachedUrl(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const url = (e as { zegaUrl?: unknown }).zegaUrl;
    if (typeof url === 'string') return url;
  }
  return undefined;
}
