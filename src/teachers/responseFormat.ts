/**
 * Structured output (`GenerateRequest.responseFormat`) in each provider's dialect. Ollama takes the
 * JSON Schema as it is (`format`); the others need the small translations here.
 */
import type { Schema } from '@google/genai';
import type { ResponseFormat } from './types.ts';

/** OpenAI-style structured output, as Groq and Hugging Face (TGI, the router) take it. */
export function openAiResponseFormat(format: ResponseFormat): { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown>; strict: boolean } } {
  return { type: 'json_schema', json_schema: { name: format.name, schema: format.schema, strict: true } };
}

/**
 * Gemini's `responseSchema` is an OpenAPI subset whose types are upper-case enum values (`OBJECT`,
 * `ARRAY`, `STRING`) and which has no `additionalProperties`; the rest of the JSON Schema carries over.
 */
export function geminiSchema(schema: Record<string, unknown>): Schema {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'additionalProperties') continue;
    if (key === 'type' && typeof value === 'string') out.type = value.toUpperCase();
    else if (key === 'items' && typeof value === 'object' && value !== null) out.items = geminiSchema(value as Record<string, unknown>);
    else if (key === 'properties' && typeof value === 'object' && value !== null) {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, Record<string, unknown>>).map(([name, sub]) => [name, geminiSchema(sub)]));
    } else if ((key === 'minItems' || key === 'maxItems') && typeof value === 'number') out[key] = String(value);
    else out[key] = value;
  }
  return out;
}
