/** `cli score`: text quality of each {"id","text"} line. */
import { z } from 'zod';
import { textQuality } from '../trainer/scoring.ts';
import { readJsonLines } from './jsonLines.ts';
import { describeZodError, type CliIo } from './io.ts';

const scoreLine = z.object({ id: z.union([z.string(), z.number()]), text: z.string() });

export async function scoreCommand(input: string | undefined, io: CliIo): Promise<number> {
  let bad = 0;
  for await (const entry of readJsonLines(input)) {
    if ('error' in entry) {
      bad += 1;
      io.error(`line ${entry.line}: ${entry.error}`);
      continue;
    }
    const parsed = scoreLine.safeParse(entry.value);
    if (!parsed.success) {
      bad += 1;
      io.error(`line ${entry.line}: ${describeZodError(parsed.error)}`);
      continue;
    }
    io.out(JSON.stringify({ id: parsed.data.id, text_quality: textQuality(parsed.data.text) }));
  }
  return bad === 0 ? 0 : 1;
}
