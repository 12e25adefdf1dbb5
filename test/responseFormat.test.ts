import { describe, expect, it } from 'vitest';
import { geminiSchema, openAiResponseFormat } from '../src/teachers/responseFormat.ts';
import { juryRankingSchema } from '../src/trainer/jury.ts';

describe('structured output dialects', () => {
  const schema = juryRankingSchema(['A', 'B', 'C']);

  it('OpenAI style (Groq, Hugging Face): json_schema with the name, the schema as is, strict', () => {
    expect(openAiResponseFormat({ name: 'story_ranking', schema })).toEqual({ type: 'json_schema', json_schema: { name: 'story_ranking', schema, strict: true } });
  });

  it('Gemini: upper-case types at every depth, item counts as strings, no additionalProperties, enums kept', () => {
    expect(geminiSchema(schema)).toEqual({
      type: 'OBJECT',
      properties: { ranking: { type: 'ARRAY', items: { type: 'STRING', enum: ['A', 'B', 'C'] }, minItems: '3', maxItems: '3' } },
      required: ['ranking'],
    });
    // The input is not changed.
    expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
  });
});
