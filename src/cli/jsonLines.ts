/**
 * Reads JSON lines from a file or stdin, one parsed value or one error per line, so a malformed
 * line is reported by number and the rest of the file is still processed.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export type JsonLine = { line: number; value: unknown } | { line: number; error: string };

export async function* readJsonLines(input?: string): AsyncGenerator<JsonLine> {
  const stream = input ? createReadStream(input, { encoding: 'utf8' }) : process.stdin;
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
