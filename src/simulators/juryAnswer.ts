/**
 * How the simulators answer a jury request (a request that asks for structured output with a
 * `ranking` array, as src/trainer/jury.ts sends it): like a real model that follows the schema,
 * a valid ranking of every label — longest story first, a stand-in for taste — or, when a test
 * or the demo asks for it, the malformed answers real models give.
 */
import type { SimTextContext } from './common.ts';

export type JuryAnswerMode =
  | 'ranking' // {"ranking": [...]} with every label once (the default)
  | 'prose' // ignores the format and chats, naming no label
  | 'broken-json' // JSON cut off mid-way
  | 'unknown-label'; // well-formed JSON naming a label that was not offered

/** Labels a structured-output schema offers for `ranking`, or undefined when it is not a jury schema. */
export function rankingLabels(schema: unknown): string[] | undefined {
  const ranking = (schema as { properties?: { ranking?: { items?: { enum?: unknown } } } } | undefined)?.properties?.ranking;
  const labels = ranking?.items?.enum;
  return Array.isArray(labels) && labels.every((l): l is string => typeof l === 'string') ? labels : undefined;
}

/** Story texts by label, read from the jury's JSON document; empty when the prompt is not one. */
function storiesByLabel(prompt: string): Map<string, string> {
  try {
    const document = JSON.parse(prompt) as { stories?: { label?: unknown; text?: unknown }[] };
    return new Map((document.stories ?? []).flatMap((s) => (typeof s.label === 'string' && typeof s.text === 'string' ? [[s.label, s.text] as const] : [])));
  } catch {
    return new Map();
  }
}

export function juryAnswer(ctx: SimTextContext, labels: readonly string[], mode: JuryAnswerMode = 'ranking'): string {
  switch (mode) {
    case 'prose':
      return 'What a lovely set of stories! Each one has its own charm, and I would not want to choose.';
    case 'broken-json':
      return `{"ranking": ["${labels[0] ?? 'A'}", `;
    case 'unknown-label':
      return JSON.stringify({ ranking: ['ZZ', ...labels.slice(1)] });
    case 'ranking': {
      const texts = storiesByLabel(ctx.prompt);
      const length = (label: string) => texts.get(label)?.length ?? 0;
      const ranking = [...labels].sort((a, b) => length(b) - length(a) || (a < b ? -1 : 1));
      return JSON.stringify({ ranking });
    }
  }
}
