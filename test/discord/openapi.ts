/**
 * Validates request bodies against Discord's official OpenAPI description
 * (test/fixtures/discord-openapi.json, a copy of discord/discord-api-spec, OpenAPI 3.1 = JSON Schema 2020-12).
 *
 * `validateDiscordRequest(method, path, body)` finds the operation for a concrete path
 * (`/api/v10/channels/123/messages` → `/channels/{channel_id}/messages`), validates the JSON body
 * (or the `payload_json` part of a multipart body) against the operation's requestBody schema and
 * returns a list of human-readable errors (empty = valid).
 *
 * Quirks of the spec handled here:
 * - custom `format`s (`snowflake`, `int32`, `int64`, `double`, `nonce`, …) are registered; any other
 *   unknown format in the file is accepted rather than crashing Ajv;
 * - `SnowflakeType` is `type: string`, but Discord also accepts snowflakes as JSON integers;
 * - unions are written `anyOf` + `x-discord-union: oneOf`; errors are reported for the branch whose
 *   `type` discriminator matches the body (or the closest branch), not for every branch;
 * - OpenAPI 3.0 style `nullable: true` is folded into the type, should a schema use it;
 * - limits Discord documents but the spec cannot express are checked too: 6000 characters summed over
 *   all embeds of a message, and at most 5 top-level action rows without the components-v2 flag.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

const SPEC_URL = new URL('../fixtures/discord-openapi.json', import.meta.url);
const SPEC_ID = 'https://discord-openapi.invalid/spec.json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Operation {
  template: string;
  method: string;
  operationId: string;
  /** JSON schema of the body (application/json), refs still pointing into the spec; null = no body. */
  bodySchema: JsonObject | null;
  bodyRequired: boolean;
}

interface PathEntry {
  template: string;
  segments: string[];
  literalCount: number;
}

interface Loaded {
  spec: JsonObject;
  ajv: Ajv2020;
  paths: PathEntry[];
  validators: Map<string, CompiledBody>;
}

interface CompiledBody {
  /** One validator per union branch (or a single one). */
  branches: { name: string; discriminator: Set<number | string> | null; validate: ValidateFunction }[];
}

let loaded: Loaded | null = null;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep walk that lets `fix` rewrite every schema-like object in place. */
function walk(node: Json, fix: (obj: JsonObject) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, fix);
  } else if (isObject(node)) {
    fix(node);
    for (const value of Object.values(node)) walk(value, fix);
  }
}

function collectFormats(node: Json, into: Set<string>): void {
  walk(node, (obj) => {
    if (typeof obj.format === 'string') into.add(obj.format);
  });
}

function load(): Loaded {
  if (loaded) return loaded;
  const spec = JSON.parse(readFileSync(SPEC_URL, 'utf8')) as JsonObject;
  const components = spec.components;
  if (!isObject(components) || !isObject(components.schemas)) throw new Error('discord-openapi.json: no components.schemas');
  const schemas = components.schemas;

  // Discord accepts a snowflake as a decimal string or as an integer.
  const snowflakeType = schemas.SnowflakeType;
  if (isObject(snowflakeType)) {
    schemas.SnowflakeType = {
      anyOf: [{ ...snowflakeType }, { type: 'integer', minimum: 0 }],
    };
  }
  // OpenAPI 3.0 `nullable` (not used by the 3.1 file today, but cheap to support).
  walk(spec, (obj) => {
    if (obj.nullable === true) {
      if (typeof obj.type === 'string') obj.type = [obj.type, 'null'];
      else if (Array.isArray(obj.type) && !obj.type.includes('null')) obj.type.push('null');
      delete obj.nullable;
    }
  });

  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true, validateSchema: false });
  addFormatsModule.default(ajv);
  const isInt = (min: number, max: number) => (n: number) => Number.isInteger(n) && n >= min && n <= max;
  ajv.addFormat('int32', { type: 'number', validate: isInt(-(2 ** 31), 2 ** 31 - 1) });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('snowflake', { type: 'string', validate: /^(0|[1-9][0-9]*)$/ });
  ajv.addFormat('nonce', true);
  const known = new Set(['int32', 'int64', 'double', 'snowflake', 'nonce', 'date-time', 'date', 'time', 'uri', 'uri-reference', 'email', 'uuid', 'ipv4', 'ipv6', 'hostname', 'regex', 'byte', 'binary', 'password', 'url', 'duration', 'json-pointer', 'relative-json-pointer', 'iri', 'iri-reference', 'uri-template', 'idn-email', 'idn-hostname', 'int53', 'float']);
  const used = new Set<string>();
  collectFormats(spec, used);
  for (const format of used) if (!known.has(format)) ajv.addFormat(format, true);
  for (const format of ['int53', 'float', 'byte', 'binary', 'password', 'url']) if (used.has(format)) ajv.addFormat(format, true);

  ajv.addSchema({ $id: SPEC_ID, components });

  const paths: PathEntry[] = Object.keys(isObject(spec.paths) ? spec.paths : {}).map((template) => {
    const segments = template.split('/').filter(Boolean);
    return { template, segments, literalCount: segments.filter((s) => !s.startsWith('{')).length };
  });
  loaded = { spec, ajv, paths, validators: new Map() };
  return loaded;
}

/** Strips scheme/host, `/api`, `/v10` and the query; decodes `%40original` and friends. */
export function normalizeDiscordPath(path: string): string {
  let p = path;
  const schemeAt = p.indexOf('://');
  if (schemeAt >= 0) p = p.slice(p.indexOf('/', schemeAt + 3));
  const q = p.indexOf('?');
  if (q >= 0) p = p.slice(0, q);
  p = p.replace(/^\/api(?=\/|$)/, '').replace(/^\/v\d+(?=\/|$)/, '');
  return (
    '/' +
    p
      .split('/')
      .filter(Boolean)
      .map((segment) => {
        try {
          return decodeURIComponent(segment);
        } catch {
          return segment;
        }
      })
      .join('/')
  );
}

/** The spec's path template for a concrete path, e.g. `/channels/{channel_id}/messages`; null if none. */
export function matchDiscordPath(path: string): string | null {
  const { paths } = load();
  const segments = normalizeDiscordPath(path).split('/').filter(Boolean);
  let best: PathEntry | null = null;
  for (const entry of paths) {
    if (entry.segments.length !== segments.length) continue;
    const ok = entry.segments.every((t, i) => t.startsWith('{') || t === segments[i]);
    if (ok && (!best || entry.literalCount > best.literalCount)) best = entry;
  }
  return best?.template ?? null;
}

function findOperation(method: string, template: string): Operation | null {
  const { spec } = load();
  const pathItem = isObject(spec.paths) ? spec.paths[template] : undefined;
  if (!isObject(pathItem)) return null;
  const op = pathItem[method.toLowerCase()];
  if (!isObject(op)) return null;
  const requestBody = op.requestBody;
  let bodySchema: JsonObject | null = null;
  let bodyRequired = false;
  if (isObject(requestBody)) {
    bodyRequired = requestBody.required === true;
    const content = requestBody.content;
    const json = isObject(content) ? content['application/json'] : undefined;
    if (isObject(json) && isObject(json.schema)) bodySchema = json.schema;
  }
  return { template, method: method.toUpperCase(), operationId: typeof op.operationId === 'string' ? op.operationId : `${method} ${template}`, bodySchema, bodyRequired };
}

/** Copy of an operation's schema whose local `#/components/...` refs point into the registered spec. */
function rebase(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#') ? SPEC_ID + value : rebase(value);
  }
  return out;
}

function resolveLocalRef(ref: string): JsonObject | null {
  const { spec } = load();
  if (!ref.startsWith('#/')) return null;
  let node: Json | undefined = spec;
  for (const raw of ref.slice(2).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[token] : undefined;
  }
  return isObject(node) ? node : null;
}

/** Values the branch accepts for its `type` property (interaction callback type, component type, …). */
function discriminatorOf(branch: JsonObject): Set<number | string> | null {
  const target = typeof branch.$ref === 'string' ? resolveLocalRef(branch.$ref) : branch;
  const props = target && isObject(target.properties) ? target.properties : null;
  const typeProp = props && isObject(props.type) ? props.type : null;
  if (!typeProp) return null;
  const values = new Set<number | string>();
  if (Array.isArray(typeProp.enum)) for (const v of typeProp.enum) if (typeof v === 'number' || typeof v === 'string') values.add(v);
  if (typeof typeProp.const === 'number' || typeof typeProp.const === 'string') values.add(typeProp.const);
  return values.size ? values : null;
}

function compileBody(op: Operation): CompiledBody | null {
  const state = load();
  const key = `${op.method} ${op.template}`;
  const cached = state.validators.get(key);
  if (cached) return cached;
  if (!op.bodySchema) return null;
  const schema = op.bodySchema;
  const union = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null;
  let compiled: CompiledBody;
  if (union && Object.keys(schema).every((k) => k === 'anyOf' || k === 'oneOf' || k.startsWith('x-'))) {
    compiled = {
      branches: union.filter(isObject).map((branch) => ({
        name: typeof branch.$ref === 'string' ? branch.$ref.split('/').pop() ?? 'branch' : 'branch',
        discriminator: discriminatorOf(branch),
        validate: state.ajv.compile(rebase(branch) as JsonObject),
      })),
    };
  } else {
    const name = typeof schema.$ref === 'string' ? schema.$ref.split('/').pop() ?? op.operationId : op.operationId;
    compiled = { branches: [{ name, discriminator: null, validate: state.ajv.compile(rebase(schema) as JsonObject) }] };
  }
  state.validators.set(key, compiled);
  return compiled;
}

/** Drops the noise Ajv produces around unions (`must be null`, `must match exactly one schema`). */
function prune(errors: ErrorObject[]): ErrorObject[] {
  const deeper = (e: ErrorObject) =>
    errors.some((o) => o !== e && o.keyword !== 'oneOf' && o.keyword !== 'anyOf' && !(o.keyword === 'type' && o.params.type === 'null') && (o.instancePath.startsWith(e.instancePath + '/') || (o.instancePath === e.instancePath && o.keyword !== e.keyword)));
  const kept = errors.filter((e) => {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') return !deeper(e);
    if (e.keyword === 'type' && e.params.type === 'null') return !deeper(e);
    return true;
  });
  const seen = new Set<string>();
  return kept.filter((e) => {
    const key = `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(e: ErrorObject): string {
  let extra = '';
  if (e.keyword === 'additionalProperties') extra = ` (${String(e.params.additionalProperty)})`;
  else if (e.keyword === 'enum') extra = ` (${JSON.stringify(e.params.allowedValues)})`;
  else if (e.keyword === 'const') extra = ` (${JSON.stringify(e.params.allowedValue)})`;
  return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
}

function embedLength(embed: unknown): number {
  if (!isObject(embed)) return 0;
  const str = (v: Json | undefined) => (typeof v === 'string' ? v.length : 0);
  let n = str(embed.title) + str(embed.description);
  if (isObject(embed.footer)) n += str(embed.footer.text);
  if (isObject(embed.author)) n += str(embed.author.name);
  if (Array.isArray(embed.fields)) for (const f of embed.fields) if (isObject(f)) n += str(f.name) + str(f.value);
  return n;
}

/** Message-level rules from Discord's documentation that the OpenAPI file cannot express. */
function documentedLimits(message: unknown, at: string): string[] {
  if (!isObject(message)) return [];
  const errors: string[] = [];
  // The spec allows 4000 (the Nitro limit for users); bots get 2000.
  if (typeof message.content === 'string' && message.content.length > 2000) {
    errors.push(`${at}/content is ${message.content.length} characters (bots may send at most 2000)`);
  }
  if (Array.isArray(message.embeds)) {
    const total = message.embeds.reduce((sum: number, e) => sum + embedLength(e), 0);
    if (total > 6000) errors.push(`${at}/embeds the embeds total ${total} characters (Discord allows 6000 summed over all embeds of a message)`);
  }
  const flags = typeof message.flags === 'number' ? message.flags : 0;
  const componentsV2 = (flags & (1 << 15)) !== 0;
  if (!componentsV2 && Array.isArray(message.components) && message.components.length > 5) {
    errors.push(`${at}/components has ${message.components.length} action rows (at most 5 without the IS_COMPONENTS_V2 flag)`);
  }
  return errors;
}

const COMMAND_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

/** Application command rules (names, descriptions, option and choice counts) the spec leaves out. */
function commandLimits(command: unknown, at: string): string[] {
  if (!isObject(command)) return [];
  const errors: string[] = [];
  const chatInput = command.type === undefined || command.type === null || command.type === 1;
  const checkName = (name: Json | undefined, where: string) => {
    if (typeof name !== 'string') return;
    if (chatInput && (!COMMAND_NAME.test(name) || name !== name.toLowerCase())) errors.push(`${where}/name ${JSON.stringify(name)} is not a valid chat-input name (lowercase, 1-32 of letters, digits, - _ ')`);
  };
  checkName(command.name, at);
  if (chatInput && (typeof command.description !== 'string' || command.description.length < 1)) errors.push(`${at}/description is required (1-100 characters) for chat-input commands`);
  const checkOptions = (options: Json | undefined, where: string) => {
    if (!Array.isArray(options)) return;
    if (options.length > 25) errors.push(`${where}/options has ${options.length} options (at most 25)`);
    let seenOptional = false;
    options.forEach((option, i) => {
      if (!isObject(option)) return;
      const here = `${where}/options/${i}`;
      checkName(option.name, here);
      if (Array.isArray(option.choices) && option.choices.length > 25) errors.push(`${here}/choices has ${option.choices.length} choices (at most 25)`);
      if (option.autocomplete === true && Array.isArray(option.choices) && option.choices.length > 0) errors.push(`${here} cannot have both autocomplete and choices`);
      const isSub = option.type === 1 || option.type === 2;
      if (!isSub) {
        if (option.required === true && seenOptional) errors.push(`${here} is required but follows an optional option`);
        if (option.required !== true) seenOptional = true;
      }
      checkOptions(option.options, here);
    });
  };
  checkOptions(command.options, at);
  return errors;
}

export interface DiscordOperationInfo {
  template: string;
  operationId: string;
  hasBody: boolean;
}

/** The spec's operation for a method and concrete path, or null if Discord has no such route. */
export function findDiscordOperation(method: string, path: string): DiscordOperationInfo | null {
  const template = matchDiscordPath(path);
  if (!template) return null;
  const op = findOperation(method, template);
  return op ? { template, operationId: op.operationId, hasBody: op.bodySchema !== null } : null;
}

/**
 * Validates one request against the spec. `body` is the parsed JSON body (for multipart requests:
 * the parsed `payload_json`), `undefined` when there was none. Returns the list of problems.
 */
export function validateDiscordRequest(method: string, path: string, body: unknown): string[] {
  const template = matchDiscordPath(path);
  if (!template) return [`no Discord route matches ${method.toUpperCase()} ${normalizeDiscordPath(path)}`];
  const op = findOperation(method, template);
  if (!op) return [`${template} has no ${method.toUpperCase()} operation`];
  if (body === undefined) return op.bodyRequired && op.bodySchema ? [`${op.operationId}: request body is required`] : [];
  const compiled = compileBody(op);
  if (!compiled) return [];

  const errors: string[] = [];
  const results = compiled.branches.map((branch) => {
    const ok = branch.validate(body);
    return { branch, ok, errors: ok ? [] : prune(branch.validate.errors ?? []) };
  });
  if (!results.some((r) => r.ok)) {
    const typeValue = isObject(body) ? body.type : undefined;
    const matching = results.filter((r) => r.branch.discriminator && (typeof typeValue === 'number' || typeof typeValue === 'string') && r.branch.discriminator.has(typeValue));
    const pool = matching.length ? matching : results;
    const best = pool.reduce((a, b) => (b.errors.length < a.errors.length ? b : a));
    const prefix = compiled.branches.length > 1 ? `${best.branch.name}: ` : '';
    errors.push(...best.errors.map((e) => prefix + describe(e)));
  }
  // Documented limits: the message itself, or the `data` of an interaction callback.
  if (/\/callback$/.test(template) && isObject(body)) errors.push(...documentedLimits(body.data, '/data'));
  else if (/\/commands$/.test(template) && op.method !== 'GET') {
    if (Array.isArray(body)) body.forEach((command, i) => errors.push(...commandLimits(command, `/${i}`)));
    else errors.push(...commandLimits(body, ''));
  } else errors.push(...documentedLimits(body, ''));
  return errors;
}
