/**
 * STORAGE_URL, parsed once:
 *
 *   sqlite://data/zega.sqlite        file relative to the working directory (the default)
 *   sqlite:///var/lib/zega.sqlite    absolute path
 *   postgres://user:pw@host:5432/db  PostgreSQL (also postgresql://)
 *   memory://                        an in-memory SQLite database, gone when the process ends
 */
import { isAbsolute, resolve } from 'node:path';
import { maskUrl, StorageError } from './errors.ts';

export const SUPPORTED_SCHEMES = ['sqlite://', 'postgres://', 'memory://'] as const;

export type StorageSpec =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string; database: string }
  | { kind: 'memory' };


/** Parses STORAGE_URL; anything else is a StorageError naming the setting and the supported forms. */
export function parseStorageUrl(url: string, cwd = process.cwd()): StorageSpec {
  const trimmed = url.trim();
  const supported = `Supported: ${SUPPORTED_SCHEMES.map((s) => `${s}...`).join(', ')} (e.g. sqlite://data/zega.sqlite).`;
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(trimmed);
  if (!match) throw new StorageError(`STORAGE_URL ${JSON.stringify(maskUrl(url))} is not a URL. ${supported}`, 'UNSUPPORTED_URL');
  const scheme = (match[1] ?? '').toLowerCase();
  const rest = match[2] ?? '';
  if (scheme === 'memory') return { kind: 'memory' };
  if (scheme === 'sqlite') {
    const path = decodeURIComponent(rest.split('?')[0] ?? '');
    if (path === '') throw new StorageError(`STORAGE_URL ${JSON.stringify(url)} names no file. ${supported}`, 'UNSUPPORTED_URL');
    if (path === ':memory:') return { kind: 'memory' };
    return { kind: 'sqlite', file: isAbsolute(path) ? path : resolve(cwd, path) };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    let parsed: URL;
    try {
      parsed = new URL(trimmed);
    } catch {
      throw new StorageError(`STORAGE_URL ${JSON.stringify(maskUrl(url))} is not a valid PostgreSQL URL (postgres://user:password@host:5432/database).`, 'UNSUPPORTED_URL');
    }
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (parsed.hostname === '' || database === '' || database.includes('/')) {
      throw new StorageError(
        `STORAGE_URL ${JSON.stringify(maskUrl(url))} needs a host and a database name: postgres://user:password@host:5432/database.`,
        'UNSUPPORTED_URL',
      );
    }
    return { kind: 'postgres', url: trimmed, database };
  }
  throw new StorageError(`STORAGE_URL scheme "${scheme}://" is not supported. ${supported}`, 'UNSUPPORTED_URL');
}

/** What messages say about where the data lives (password masked). */
export function describeSpec(spec: StorageSpec): string {
  if (spec.kind === 'sqlite') return spec.file;
  if (spec.kind === 'postgres') return maskUrl(spec.url);
  return 'memory://';
}
