/** `cli score`: text quality (the seed formula) and story score of each {"id","text"[,"prompt"]} line. */
import { z } from 'zod';
import { textQuality } from '../trainer/scoring.ts';
import { storyQuality } from '../trainer/storyScore.ts';
import { mapJsonLines } from './jsonLines.ts';
import type { CliIo } from './io.ts';

const scoreLine = z.object({ id: z.union([z.string(), z.number()]), text: z.string(), prompt: z.string().optional() });

export function scoreCommand(input: string | undefined, io: CliIo): Promise<number> {
  return mapJsonLines(
    input,
    scoreLine,
    // A lone story has no other candidates, so the agreement signal stays neutral; the prompt, when given, feeds relevance.
    (line) => ({ id: line.id, text_quality: textQuality(line.text), story_quality: storyQuality(line.text, line.prompt !== undefined ? { prompt: line.prompt } : {}) }),
    io,
  );
}
