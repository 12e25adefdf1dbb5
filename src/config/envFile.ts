/**
 * Reads settings from a `.env` file into `process.env` with Node's own parser
 * (`process.loadEnvFile`, in every Node version Zega supports), which replaces the dotenv package:
 * the same syntax, and a variable already set in the environment keeps its value.
 */
import { ConfigError } from './env.ts';

/**
 * Loads `path` (default `.env` in the working directory); returns whether there was a file.
 * A missing file is not an error: every setting can come from the environment instead.
 */
export function loadEnvFile(path = '.env'): boolean {
  try {
    process.loadEnvFile(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ConfigError([`${path} could not be read (${(err as Error).message}): fix or remove it`]);
  }
}
