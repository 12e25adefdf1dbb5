/** `cli score`: text quality of each {"id","text"} line. */
import { z } from 'zod';
import { textQuality } from '../trainer/scoring.ts';
import { mapJsonLines } from './jsonLines.ts';
import type { CliIo } from './io.ts';

const scoreLine = z.object({ id: z.union([z.string(), z.number()]), text: z.string() });

export function scoreCommand(input: string | undefined, io: CliIo): Promise<number> {
  return mapJsonLines(input, scoreLine, (line) => ({ id: line.id, text_quality: textQuality(line.text) }), io);
}
