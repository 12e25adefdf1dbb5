/** Where CLI commands write: injectable so tests can run a command in-process and read both streams. */
import type { z } from 'zod';

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
