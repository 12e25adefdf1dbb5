/** Where CLI commands write: injectable so tests can run a command in-process and read both streams. */
import { format } from 'node:util';
import type { z } from 'zod';
import { stripControlChars } from '../security/terminalText.ts';

export interface CliIo {
  out(line: string): void;
  error(line: string): void;
  /** Progress drawing on a terminal; absent when stderr is not a TTY. */
  progress?: (text: string) => void;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
  progress: process.stderr.isTTY ? (text) => process.stderr.write(`\r\x1b[2K${text}`) : undefined,
};

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}

/**
 * `io` with control characters stripped from everything written: every line the CLI and the demo
 * print may quote generated text (stories, titles, teacher errors), and none of it may drive the
 * terminal. `progress` keeps its own cursor control, applied after the text is cleaned.
 */
export function terminalSafe(io: CliIo): CliIo {
  const { progress } = io;
  return {
    out: (line) => io.out(stripControlChars(line)),
    error: (line) => io.error(stripControlChars(line)),
    ...(progress ? { progress: (text: string) => progress(stripControlChars(text)) } : {}),
  };
}

/**
 * Sends `console.log`/`info`/`debug` to stderr for the rest of the process. Libraries print there
 * (the ollama package logs "Getting text from response" on every non-JSON error reply), and
 * stdout belongs to the command's output alone: `train --json` must stay one JSON document.
 */
export function keepStdoutForOutput(): void {
  const toStderr = (...args: unknown[]) => {
    process.stderr.write(`${format(...args)}\n`);
  };
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}
