/**
 * Reads JSON lines from a file or stdin, one parsed value or one error per line, so a malformed
 * line is reported by number and the rest of the file is still processed.
 */
import { openInputStream } from '../config/inputFile.ts';
import { createInterface } from 'node:readline';
import type { z } from 'zod';
import { describeZodError, type CliIo } from './io.ts';

export type JsonLine = { line: number; value: unknown } | { line: number; error: string };

export async function* readJsonLines(input?: string): AsyncGenerator<JsonLine> {
  const stream = input ? await openInputStream(input, '--input') : process.stdin;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line += 1;
    if (raw.trim() === '') continue;
    try {
      yield { line, value: JSON.parse(raw) as unknown };
    } catch (err) {
      yield { line, error: `not valid JSON (${(err as Error).message})` };
    }
  }
}

/**
 * Validates each line against `schema` and writes `transform`'s result as a JSON line; a bad line
 * is reported by number on stderr and skipped. Returns the exit code: 0, or 1 if any line was bad.
 */
export async function mapJsonLines<S extends z.ZodType>(
  input: string | undefined,
  schema: S,
  transform: (value: z.output<S>) => unknown,
  io: CliIo,
): Promise<number> {
  let bad = 0;
  const reject = (line: number, why: string) => {
    bad += 1;
    io.error(`line ${line}: ${why}`);
  };
  for await (const entry of readJsonLines(input)) {
    if ('error' in entry) {
      reject(entry.line, entry.error);
      continue;
    }
    const parsed = schema.safeParse(entry.value);
    if (parsed.success) io.out(JSON.stringify(transform(parsed.data)));
    else reject(entry.line, describeZodError(parsed.error));
  }
  return bad === 0 ? 0 : 1;
}
