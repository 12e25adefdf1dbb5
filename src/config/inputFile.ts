/**
 * Opening a file the user named (`--input`, `TEACHERS_FILE`): a missing, unreadable or directory
 * path is a usage error with one line naming the setting and the path, never a raw ENOENT/EISDIR
 * stack. Front ends exit 2 on InputFileError.
 */
import type { ReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export class InputFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputFileError';
  }
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied)';
  return `cannot be read (${code ?? (err instanceof Error ? err.message : String(err))})`;
}

/** Opens `path` for reading; `what` names the setting (`--input`, `TEACHERS_FILE`). */
async function openFile(path: string, what: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new InputFileError(`${what} ${path} ${reason(err)}`);
  }
  // Opening a directory succeeds on Linux; reading it fails later with EISDIR. Ask first.
  const stats = await handle.stat().catch(async (err: unknown) => {
    await handle.close();
    throw new InputFileError(`${what} ${path} ${reason(err)}`);
  });
  if (stats.isDirectory()) {
    await handle.close();
    throw new InputFileError(`${what} ${path} ${reason({ code: 'EISDIR' })}`);
  }
  return handle;
}

/** The whole file as UTF-8 text. */
export async function readInputFile(path: string, what: string): Promise<string> {
  const handle = await openFile(path, what);
  try {
    return await handle.readFile('utf8');
  } catch (err) {
    throw new InputFileError(`${what} ${path} ${reason(err)}`);
  } finally {
    await handle.close();
  }
}

/** A UTF-8 stream of the file (closed when the stream ends). */
export async function openInputStream(path: string, what: string): Promise<ReadStream> {
  const handle = await openFile(path, what);
  return handle.createReadStream({ encoding: 'utf8' });
}
