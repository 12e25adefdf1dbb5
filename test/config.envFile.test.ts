/** `.env` loading with Node's built-in parser (process.loadEnvFile), which replaced dotenv. */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/env.ts';
import { loadEnvFile } from '../src/config/envFile.ts';

const run = promisify(execFile);
const repoFile = (path: string) => new URL(`../${path}`, import.meta.url).pathname;
/** Names unique to this file, so the test never touches a variable anything else reads. */
const KEYS = ['ZEGA_ENVFILE_TEST_A', 'ZEGA_ENVFILE_TEST_B', 'ZEGA_ENVFILE_TEST_C'] as const;

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zega-envfile-'));
  tempDirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const key of KEYS) delete process.env[key];
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadEnvFile', () => {
  it('reads quoted, commented and exported lines into process.env, and a variable already set keeps its value', () => {
    const path = join(tempDir(), '.env');
    writeFileSync(path, ['# a comment', 'ZEGA_ENVFILE_TEST_A="quoted # not a comment"', 'export ZEGA_ENVFILE_TEST_B=plain # trailing', 'ZEGA_ENVFILE_TEST_C=from-file'].join('\n'));
    process.env.ZEGA_ENVFILE_TEST_C = 'from-environment';
    expect(loadEnvFile(path)).toBe(true);
    expect(process.env.ZEGA_ENVFILE_TEST_A).toBe('quoted # not a comment');
    expect(process.env.ZEGA_ENVFILE_TEST_B).toBe('plain');
    expect(process.env.ZEGA_ENVFILE_TEST_C).toBe('from-environment');
  });

  it('treats a missing file as no settings, not as an error', () => {
    expect(loadEnvFile(join(tempDir(), '.env'))).toBe(false);
  });

  it('reports a .env that cannot be read as a configuration error naming it', () => {
    const path = join(tempDir(), '.env');
    mkdirSync(path);
    expect(() => loadEnvFile(path)).toThrow(ConfigError);
    expect(() => loadEnvFile(path)).toThrow(/\.env could not be read/);
  });
});

describe('the command line', () => {
  const cli = (cwd: string, env: NodeJS.ProcessEnv) =>
    run(process.execPath, [repoFile('node_modules/.bin/tsx'), repoFile('src/cli/index.ts'), 'stories', '--user', 'alice'], { cwd, env }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
  const { STORAGE_URL: _ignored, ...environment } = process.env;

  it('reads .env from its working directory, and the environment wins over the file', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, '.env'), 'STORAGE_URL=nosuch://from-dotenv\n');
    const fromFile = await cli(cwd, environment);
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toContain('"nosuch://" is not supported');

    const fromEnvironment = await cli(cwd, { ...environment, STORAGE_URL: 'memory://' });
    // memory:// from the environment: an empty library, which is not an error.
    expect(fromEnvironment).toEqual({ code: 0, stderr: '' });
  });
});
