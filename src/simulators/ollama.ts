/**
 * Loopback stand-in for an Ollama server, speaking the REST API the `ollama` npm package (0.6.x)
 * uses: `POST /api/chat`, `GET /api/tags`, `GET /api/version`, `POST /api/create`,
 * `DELETE /api/delete`, `POST /api/show`. Models are kept in memory: created ones (FROM a known
 * model, with system/parameters/messages) are listed, shown and chat-able like pulled ones, and a
 * created model's SYSTEM and parameters apply when the chat request does not override them, as
 * in Ollama. Names are normalised like Ollama does (`llama3.2` = `llama3.2:latest`).
 */
import { createHash } from 'node:crypto';
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

export interface OllamaSimulatorOptions {
  /** Models available besides the roster's `llama3.2`, as if pulled. */
  models?: string[];
}

/** One `/api/create` request as received. */
export interface CreatedModelRecord {
  model: string;
  from?: string;
  system?: string;
  parameters?: Record<string, unknown>;
  messages?: { role: string; content: string }[];
  template?: string;
  stream?: boolean;
}

export interface OllamaSimulatorHandle extends SimulatorHandle {
  /** Names currently listed by `/api/tags`, normalised (`llama3.2:latest`). */
  models(): string[];
  /** Every `/api/create` request body received, in order (deleted models stay here). */
  createdModels(): CreatedModelRecord[];
}

interface ModelEntry {
  name: string;
  parent: string;
  system: string;
  parameters: Record<string, unknown>;
  messages: { role: string; content: string }[];
  template: string;
  modifiedAt: string;
}

export const ROSTER_OLLAMA_MODEL = 'llama3.2';
const VERSION = '0.12.6';
const DEFAULT_TEMPLATE = '{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}';

/** Ollama's name rule: a name without a tag means `:latest`. */
export function normalizeModelName(name: string): string {
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? name : `${name}:latest`;
}

const digestOf = (name: string) => createHash('sha256').update(name).digest('hex');
const objectBody = (body: unknown): Record<string, unknown> => (typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {});
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function sendNdjson(res: ServerResponse, lines: unknown[]): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (const line of lines) res.write(`${JSON.stringify(line)}\n`);
  res.end();
}

/** `parameters` as `ollama show` prints them: one `key value` per line. */
function formatParameters(parameters: Record<string, unknown>): string {
  return Object.entries(parameters)
    .map(([key, value]) => `${key.padEnd(30)}${Array.isArray(value) ? value.join(' ') : String(value)}`)
    .join('\n');
}

export async function startOllamaSimulator(options: OllamaSimulatorOptions = {}): Promise<OllamaSimulatorHandle> {
  const models = new Map<string, ModelEntry>();
  const created: CreatedModelRecord[] = [];

  const addPulled = (name: string) => {
    const full = normalizeModelName(name);
    models.set(full, { name: full, parent: '', system: '', parameters: {}, messages: [], template: DEFAULT_TEMPLATE, modifiedAt: new Date().toISOString() });
  };
  const preload = () => {
    models.clear();
    for (const name of [ROSTER_OLLAMA_MODEL, ...(options.models ?? [])]) addPulled(name);
  };
  preload();

  const notFound = (name: string) => ({ kind: 'handled', status: 404, body: { error: `model '${name}' not found` } }) as const;

  const details = (entry: ModelEntry) => ({
    parent_model: entry.parent,
    format: 'gguf',
    family: 'llama',
    families: ['llama'],
    parameter_size: '3.2B',
    quantization_level: 'Q4_K_M',
  });

  function tags(): RouteResult {
    const list = [...models.values()].map((entry) => ({
      name: entry.name,
      model: entry.name,
      modified_at: entry.modifiedAt,
      size: 2_019_393_189,
      digest: digestOf(entry.name),
      details: details(entry),
    }));
    return { kind: 'handled', status: 200, body: { models: list } };
  }

  function show(body: Record<string, unknown>): RouteResult {
    const name = str(body.model) ?? str(body.name) ?? '';
    const entry = models.get(normalizeModelName(name));
    if (!entry) return notFound(name);
    const modelfile = [`FROM ${entry.parent || entry.name}`, `TEMPLATE """${entry.template}"""`, entry.system ? `SYSTEM """${entry.system}"""` : '']
      .filter(Boolean)
      .join('\n');
    return {
      kind: 'handled',
      status: 200,
      body: {
        modelfile,
        parameters: formatParameters(entry.parameters),
        template: entry.template,
        system: entry.system,
        details: details(entry),
        messages: entry.messages,
        model_info: { 'general.architecture': 'llama', 'general.parameter_count': 3_212_749_888 },
        capabilities: ['completion', 'tools'],
        modified_at: entry.modifiedAt,
      },
    };
  }

  function create(body: Record<string, unknown>): RouteResult {
    const record: CreatedModelRecord = {
      model: str(body.model) ?? '',
      from: str(body.from),
      system: str(body.system),
      parameters: objectBody(body.parameters),
      messages: Array.isArray(body.messages) ? (body.messages as CreatedModelRecord['messages']) : undefined,
      template: str(body.template),
      stream: body.stream === true,
    };
    created.push(record);
    // The package sends `stream: false` unless asked; the server itself streams when the field is absent.
    const streaming = body.stream !== false;
    const fail = (status: number, error: string): RouteResult =>
      streaming ? { kind: 'raw', handler: (res) => sendNdjson(res, [{ error }]) } : { kind: 'handled', status, body: { error } };
    if (!record.model) return fail(400, 'model is required');
    const parent = record.from ? models.get(normalizeModelName(record.from)) : undefined;
    if (!record.from || !parent) return fail(404, `model "${record.from ?? ''}" not found, try pulling it first`);
    const name = normalizeModelName(record.model);
    models.set(name, {
      name,
      parent: parent.name,
      system: record.system ?? parent.system,
      parameters: { ...parent.parameters, ...record.parameters },
      messages: record.messages ?? parent.messages,
      template: record.template ?? parent.template,
      modifiedAt: new Date().toISOString(),
    });
    const statuses = [
      { status: `using existing layer sha256:${digestOf(parent.name)}` },
      { status: `creating new layer sha256:${digestOf(name)}` },
      { status: 'writing manifest' },
      { status: 'success' },
    ];
    return streaming ? { kind: 'raw', handler: (res) => sendNdjson(res, statuses) } : { kind: 'handled', status: 200, body: { status: 'success' } };
  }

  function remove(body: Record<string, unknown>): RouteResult {
    // The package sends `{ name }` although its API takes `model`; the server accepts both.
    const name = str(body.model) ?? str(body.name) ?? '';
    if (!models.delete(normalizeModelName(name))) return notFound(name);
    return {
      kind: 'raw',
      handler: (res) => {
        res.writeHead(200, { 'content-length': 0 });
        res.end();
      },
    };
  }

  function chat(body: Record<string, unknown>): RouteResult {
    const requested = str(body.model) ?? '';
    const entry = models.get(normalizeModelName(requested));
    if (!entry) return { kind: 'handled', status: 404, body: { error: `model "${requested}" not found, try pulling it first` } };
    const messages = Array.isArray(body.messages) ? (body.messages as { role?: unknown; content?: unknown }[]) : [];
    const lastUser = [...messages].reverse().find((m) => m.role === 'user');
    const system = messages.find((m) => m.role === 'system');
    const requestOptions = objectBody(body.options);
    const setting = (key: string): number | undefined => {
      const value = requestOptions[key] ?? entry.parameters[key];
      return typeof value === 'number' ? value : undefined;
    };
    const ctx: SimTextContext = {
      model: entry.name,
      prompt: str(lastUser?.content) ?? '',
      system: str(system?.content) ?? entry.system,
      temperature: setting('temperature'),
      // `format` is "json" (JSON mode) or a JSON Schema.
      responseSchema: typeof body.format === 'object' && body.format !== null ? body.format : undefined,
    };
    const numPredict = setting('num_predict');
    return {
      kind: 'generate',
      model: entry.name,
      ctx,
      reply: (text, res, ignoreBudget) => replyChat(res, requested, ctx, text, ignoreBudget ? undefined : numPredict, body.stream !== false),
      fault: (kind, res, behavior) => sendFault(res, kind, behavior.retryAfterSeconds, (t) => replyChat(res, requested, ctx, t, numPredict, body.stream !== false)),
    };
  }

  function route(req: ParsedRequest): RouteResult {
    const body = objectBody(req.body);
    const key = `${req.method} ${req.path}`;
    if (key === 'POST /api/chat') return chat(body);
    if (key === 'GET /api/tags') return tags();
    if (key === 'GET /api/version') return { kind: 'handled', status: 200, body: { version: VERSION } };
    if (key === 'POST /api/create') return create(body);
    if (key === 'DELETE /api/delete') return remove(body);
    if (key === 'POST /api/show') return show(body);
    // `GET /` is the usual "is Ollama up?" probe.
    if (req.path === '/' && req.method === 'GET') return { kind: 'raw', handler: (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('Ollama is running') };
    return { kind: 'not_found' };
  }

  const base = await startSimulator({ route });
  return {
    get url() {
      return base.url;
    },
    requests: base.requests,
    setBehavior: (model, behavior) => base.setBehavior(model === '*' ? model : normalizeModelName(model), behavior),
    injectFault: (model, fault, count) => base.injectFault(model === '*' ? model : normalizeModelName(model), fault, count),
    reset() {
      base.reset();
      created.length = 0;
      preload();
    },
    close: () => base.close(),
    models: () => [...models.keys()],
    createdModels: () => created.map((record) => ({ ...record })),
  };
}

/** Non-streaming answers are one JSON object; streaming ones are NDJSON chunks ending in `done: true`. */
function replyChat(res: ServerResponse, model: string, ctx: SimTextContext, fullText: string, numPredict: number | undefined, stream: boolean): void {
  const truncated = numPredict !== undefined && numPredict >= 0 && countTokens(fullText) > numPredict;
  const text = truncated ? fullText.slice(0, numPredict * 4) : fullText;
  const promptTokens = countTokens(`${ctx.system} ${ctx.prompt}`);
  const evalCount = text ? countTokens(text) : 0;
  const final = {
    model,
    created_at: new Date().toISOString(),
    message: { role: 'assistant', content: stream ? '' : text },
    done_reason: truncated ? 'length' : 'stop',
    done: true,
    total_duration: 1_200_000_000,
    load_duration: 50_000_000,
    prompt_eval_count: promptTokens,
    prompt_eval_duration: 100_000_000,
    eval_count: evalCount,
    eval_duration: 1_000_000_000,
  };
  if (!stream) return sendJson(res, 200, final);
  const chunk = { model, created_at: final.created_at, message: { role: 'assistant', content: text }, done: false };
  sendNdjson(res, [chunk, final]);
}

/** Errors in Ollama's shape, `{ "error": "..." }`; 429/401 are what a hosted or proxied Ollama answers. */
function sendFault(res: ServerResponse, kind: SimFault, retryAfterSeconds: number | undefined, replyWith: (text: string) => void): void {
  switch (kind) {
    case 'rate_limit':
      return sendJson(res, 429, { error: 'too many requests' }, retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {});
    case 'server_error':
      return sendJson(res, 500, { error: 'llama runner process has terminated: exit status 2' });
    case 'unavailable':
      return sendJson(res, 503, { error: 'server busy, please try again.  maximum pending requests exceeded' });
    case 'unauthorized':
      return sendJson(res, 401, { error: 'unauthorized' });
    case 'empty':
      return replyWith('');
    // 'hang' and 'malformed' are produced by the shared server before this is called.
    default:
      return sendJson(res, 500, { error: `unsupported fault ${kind}` });
  }
}
