/** Ids accepted by the store: Discord snowflakes, UUIDs and our base62 ids all match. */
import { StorageError } from './errors.ts';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

export function checkId(kind: string, value: string): string {
  if (!isId(value)) {
    throw new StorageError(`Invalid ${kind} ${JSON.stringify(value)}: expected 1-64 letters, digits, '-' or '_'.`, 'INVALID_INPUT');
  }
  return value;
}
