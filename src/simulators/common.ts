/**
 * Shared machinery of the loopback provider simulators: an HTTP server on 127.0.0.1 with a
 * random port, a log of every request, and per-model behaviour (latency, text, faults) that a
 * test or the demo can steer. Each provider file only speaks its own wire protocol on top.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { juryAnswer, rankingLabels, type JuryAnswerMode } from './juryAnswer.ts';
import { simulatedStory } from './storyText.ts';

/** Faults every simulator can produce, in its provider's own wire format. */
export type SimFault =
  | 'rate_limit' // 429 with a retry hint (Retry-After header and/or body, as the provider does)
  | 'server_error' // 500
  | 'unavailable' // 503
  | 'hang' // accept the request and never answer (until the client gives up)
  | 'malformed' // 200 with a body that is not valid JSON
  | 'empty' // 200, well-formed, but the generated text is empty
  | 'unauthorized' // 401
  | 'huge' // 200, well-formed, with a 5 MB story, streamed without a Content-Length (as proxies do)
  | 'html'; // 502 with an HTML error page (a proxy or load balancer in front of the provider)

export interface SimBehavior {
  /** Delay before answering: fixed, or drawn uniformly from a range. */
  latencyMs?: number | { min: number; max: number };
  /**
   * The model's request quota: at most `requests` accepted in any sliding `windowMs` (default one
   * minute); beyond it the provider's own 429 (Groq: retry-after + "Limit N" text + x-ratelimit-*
   * headers; Gemini: RetryInfo + QuotaFailure quotaValue; Hugging Face/Ollama: 429 with Retry-After).
   */
  quota?: { requests: number; windowMs?: number };
  /** Requests served at once; one more gets the 503 "busy" answer (as Ollama does past its queue). */
  maxConcurrent?: number;
  /** The limit a 429 body names (set by the quota; a plain injected fault names the free tier's). */
  quotaLimit?: number;
  /** Fixed reply text, or a function of the prompt; default: a deterministic story per model. */
  text?: string | ((ctx: SimTextContext) => string);
  /** Seconds announced in the rate-limit fault. */
  retryAfterSeconds?: number;
  /** How jury requests (structured output asking for a ranking) are answered; `text` never applies to them. */
  jury?: JuryAnswerMode | ((ctx: SimTextContext, labels: readonly string[]) => string);
}

export interface SimTextContext {
  model: string;
  /** The last user message. */
  prompt: string;
  /** The system message, if any. */
  system: string;
  temperature?: number;
  /** The JSON Schema the request asked the reply to follow (its provider's structured-output field). */
  responseSchema?: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  model?: string;
  at: number;
  /** HTTP status of the answer, once sent. */
  status?: number;
}

export interface SimulatorHandle {
  /** Base URL to hand to the SDK (its shape depends on the provider; see each simulator). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Behaviour of one model, or of every model with `'*'`. Later calls merge into earlier ones. */
  setBehavior(model: string, behavior: SimBehavior): void;
  /** The next `count` requests for this model (or any, with '*') fail with `fault`. */
  injectFault(model: string, fault: SimFault, count?: number): void;
  /** Forget behaviour, faults and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

/** What a provider simulator plugs into the shared server. */
export interface ProviderProtocol {
  /** Extracts the model name and text context from a parsed request, or null if the route is not a generation. */
  route(req: ParsedRequest): RouteResult;
  /** Rate-limit headers of every answer of a model with a quota (Groq's x-ratelimit-*). */
  quotaHeaders?(quota: QuotaState): Record<string, string>;
}

/** Where a model stands against its quota, as the provider would report it. */
export interface QuotaState {
  limit: number;
  remaining: number;
  /** Until the oldest counted request leaves the window. */
  resetMs: number;
}

export interface ParsedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type RouteResult =
  // `ignoreBudget`: answer the whole text even past the request's token budget (a misbehaving provider).
  | { kind: 'generate'; model: string; ctx: SimTextContext; reply: (text: string, res: ServerResponse, ignoreBudget?: boolean) => void; fault: (fault: SimFault, res: ServerResponse, behavior: SimBehavior) => void }
  | { kind: 'handled'; status: number; body: unknown }
  // For answers `handled` cannot express (NDJSON streams, empty bodies): the protocol writes the response itself.
  | { kind: 'raw'; handler: (res: ServerResponse) => void }
  | { kind: 'not_found' };

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendMalformed(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"this is": not json');
}

/** What a reverse proxy answers when the server behind it is down. */
export function sendHtmlError(res: ServerResponse): void {
  res.writeHead(502, { 'content-type': 'text/html' });
  res.end('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n');
}

/** Size of the `huge` fault's story. */
export const HUGE_REPLY_BYTES = 5 * 1024 * 1024;

function hugeStory(): string {
  const sentence = 'The lighthouse keeper climbed the stairs again and again. ';
  return sentence.repeat(Math.ceil(HUGE_REPLY_BYTES / sentence.length));
}

/** `res` answering chunked: its Content-Length header is dropped, so a client learns the size only by reading. */
function withoutContentLength(res: ServerResponse): ServerResponse {
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: Record<string, string | number>) => ServerResponse;
  return Object.assign(res, {
    writeHead: (status: number, headers: Record<string, string | number> = {}) => {
      const { 'content-length': _dropped, ...rest } = headers;
      return writeHead(status, rest);
    },
  });
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const drawLatency = (latency: SimBehavior['latencyMs']): number =>
  typeof latency === 'number' ? latency : latency ? latency.min + Math.random() * (latency.max - latency.min) : 0;

/** Rough token count for usage fields: good enough for statistics, and deterministic. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export async function startSimulator(protocol: ProviderProtocol, urlSuffix = ''): Promise<SimulatorHandle> {
  const requests: RecordedRequest[] = [];
  let behaviors = new Map<string, SimBehavior>();
  let faults = new Map<string, SimFault[]>();
  const hanging = new Set<ServerResponse>();
  /** Per model: arrival times of the requests its quota accepted, and requests being served. */
  let accepted = new Map<string, number[]>();
  let serving = new Map<string, number>();

  const quotaState = (model: string, quota: NonNullable<SimBehavior['quota']>, now: number): QuotaState => {
    const windowMs = quota.windowMs ?? 60_000;
    const times = (accepted.get(model) ?? []).filter((t) => t > now - windowMs);
    accepted.set(model, times);
    return { limit: quota.requests, remaining: Math.max(0, quota.requests - times.length), resetMs: times.length > 0 ? (times[0] as number) + windowMs - now : 0 };
  };

  const behaviorFor = (model: string): SimBehavior => ({ ...behaviors.get('*'), ...behaviors.get(model) });
  const takeFault = (model: string): SimFault | undefined => {
    for (const key of [model, '*']) {
      const queue = faults.get(key);
      if (queue && queue.length > 0) return queue.shift();
    }
    return undefined;
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const parsed: ParsedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body };
      const routed = protocol.route(parsed);
      const record: RecordedRequest = {
        method: parsed.method,
        path: req.url ?? '/',
        headers: req.headers,
        body,
        model: routed.kind === 'generate' ? routed.model : undefined,
        at: Date.now(),
      };
      requests.push(record);
      res.on('finish', () => (record.status = res.statusCode));
      if (routed.kind === 'not_found') return sendJson(res, 404, { error: `no route ${parsed.method} ${path}` });
      if (routed.kind === 'handled') return sendJson(res, routed.status, routed.body);
      if (routed.kind === 'raw') return routed.handler(res);

      const behavior = behaviorFor(routed.model);
      if (behavior.quota) {
        // Counted on arrival, as a provider's gateway does; a refused request is answered at once.
        const state = quotaState(routed.model, behavior.quota, record.at);
        for (const [name, value] of Object.entries(protocol.quotaHeaders?.(state) ?? {})) res.setHeader(name, value);
        if (state.remaining === 0) {
          return routed.fault('rate_limit', res, { ...behavior, retryAfterSeconds: Math.max(1, Math.ceil(state.resetMs / 1000)), quotaLimit: state.limit });
        }
        accepted.get(routed.model)?.push(record.at);
        if (protocol.quotaHeaders) {
          const after = { ...state, remaining: state.remaining - 1, resetMs: state.resetMs || (behavior.quota.windowMs ?? 60_000) };
          for (const [name, value] of Object.entries(protocol.quotaHeaders(after))) res.setHeader(name, value);
        }
      }
      const busy = serving.get(routed.model) ?? 0;
      if (behavior.maxConcurrent !== undefined && busy >= behavior.maxConcurrent) return routed.fault('unavailable', res, behavior);
      serving.set(routed.model, busy + 1);
      res.on('close', () => serving.set(routed.model, (serving.get(routed.model) ?? 1) - 1));
      const latency = drawLatency(behavior.latencyMs);
      if (latency > 0) await sleep(latency);
      const fault = takeFault(routed.model);
      if (fault === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (fault === 'malformed') return sendMalformed(res);
      if (fault === 'html') return sendHtmlError(res);
      if (fault === 'huge') return routed.reply(hugeStory(), withoutContentLength(res), true);
      if (fault) return routed.fault(fault, res, behavior);
      const labels = rankingLabels(routed.ctx.responseSchema);
      const text = labels
        ? typeof behavior.jury === 'function'
          ? behavior.jury(routed.ctx, labels)
          : juryAnswer(routed.ctx, labels, behavior.jury)
        : typeof behavior.text === 'function'
          ? behavior.text(routed.ctx)
          : (behavior.text ?? simulatedStory(routed.ctx));
      routed.reply(text, res);
    })().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${urlSuffix}`,
    requests,
    setBehavior(model, behavior) {
      behaviors.set(model, { ...behaviors.get(model), ...behavior });
    },
    injectFault(model, fault, count = 1) {
      const queue = faults.get(model) ?? [];
      for (let i = 0; i < count; i++) queue.push(fault);
      faults.set(model, queue);
    },
    reset() {
      behaviors = new Map();
      faults = new Map();
      accepted = new Map();
      serving = new Map();
      requests.length = 0;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
