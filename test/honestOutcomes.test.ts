/**
 * Honest outcomes: a run whose every example failed is `failed` with a reason per teacher (naming
 * the URL it could not reach) and a non-zero exit, in text and in --json; library output never
 * breaks --json; bad files are one-line usage errors (exit 2); an empty library is not an error;
 * the demo exits on a storage error; unreachable providers are warned about at start-up; an
 * exception is never reported as a cancellation; generated text never drives the terminal.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/app/runtime.ts';
import { runCli } from '../src/cli/index.ts';
import type { CliIo } from '../src/cli/io.ts';
import { openStore } from '../src/storage/index.ts';
import { buildTeachers, DEFAULT_ROSTER } from '../src/teachers/roster.ts';
import type { Teacher } from '../src/teachers/types.ts';
import { askTeacher } from '../src/trainer/askTeacher.ts';
import { startTraining } from '../src/trainer/run.ts';
import type { TrainingResult } from '../src/trainer/types.ts';
import { startProviderSimulators, SIMULATED_KEYS, type ProviderSimulators } from '../src/simulators/index.ts';
import { closedPortUrl } from './helpers/teacherTest.ts';
import { RecordingStore } from './helpers/recordingStore.ts';

const exec = promisify(execFile);
const repo = new URL('..', import.meta.url).pathname;

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), error: (l) => stderr.push(l) };
}

/** Runs a script of this repository in a child process; resolves with its exit code and streams. */
async function spawnTsx(args: string[], env: NodeJS.ProcessEnv, timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...env }, cwd: repo, timeout });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; killed?: boolean; stdout: string; stderr: string };
    if (e.killed) throw new Error(`${args.join(' ')} did not exit within ${timeout} ms`);
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

let sims: ProviderSimulators;
beforeAll(async () => {
  sims = await startProviderSimulators();
});
afterAll(() => sims.close());
beforeEach(() => sims.reset());

const runOptions = { userId: 'u', examples: 2, genres: [], save: false, memory: false, voting: 'consensus' as const, seed: 's' };

describe('a run whose every example failed', () => {
  it('is failed, says why, and gives the reason per teacher', async () => {
    for (const sim of sims.all()) sim.injectFault('*', 'unauthorized', 100);
    const connections = {
      gemini: { apiKey: SIMULATED_KEYS.GEMINI_API_KEY, baseUrl: sims.gemini.url },
      groq: { apiKey: SIMULATED_KEYS.GROQ_API_KEY, baseUrl: sims.groq.url },
    };
    const teachers = buildTeachers(DEFAULT_ROSTER, connections, { unlimited: true, timeoutMs: 5000 });
    const result = await startTraining(runOptions, { teachers, store: new RecordingStore() }).done;
    expect(result.status).toBe('failed');
    expect(result.successful).toBe(0);
    expect(result.error).toMatch(/every example failed/);
    expect(Object.keys(result.failure_reasons ?? {}).sort()).toEqual(teachers.map((t) => t.id).sort());
    for (const why of Object.values(result.failure_reasons ?? {})) expect(why.kind).toBe('auth');
  });

  it('names the URL a teacher could not reach', async () => {
    const url = await closedPortUrl();
    const teachers = buildTeachers(DEFAULT_ROSTER.filter((e) => e.id === 'groq-llama-3.1-8b'), { groq: { apiKey: 'k-12345678', baseUrl: url } }, { unlimited: true, timeoutMs: 5000 });
    const result = await startTraining({ ...runOptions, examples: 1 }, { teachers, store: new RecordingStore() }).done;
    expect(result.status).toBe('failed');
    expect(result.failure_reasons?.['groq-llama-3.1-8b']).toEqual({ kind: 'network', message: `cannot reach Groq at ${url}/openai/v1/chat/completions: ECONNREFUSED` });
  });

  it('makes `cli train` exit non-zero, in text and in --json, with the reasons', async () => {
    const url = await closedPortUrl();
    const env = { GROQ_API_KEY: 'k-12345678', GROQ_BASE_URL: url, OLLAMA_HOST: 'off', STORAGE_URL: 'memory://', LOG_LEVEL: 'silent', RATE_LIMITS: 'off', TEACHERS_FILE: '' };
    const json = captureIo();
    expect(await runCli(['train', '--examples', '1', '--json'], json, env)).toBe(1);
    const result = JSON.parse(json.stdout.join('\n')) as TrainingResult;
    expect(result).toMatchObject({ status: 'failed', successful: 0 });
    expect(result.failure_reasons?.['groq-llama-3.3-70b']?.message).toContain(url);

    const text = captureIo();
    expect(await runCli(['train', '--examples', '1'], text, env)).toBe(1);
    const printed = text.stdout.join('\n');
    expect(printed).toMatch(/Status\s+failed/);
    expect(printed).toMatch(/Why\s+every example failed/);
    expect(printed).toContain(`groq-llama-3.3-70b: network: cannot reach Groq at ${url}`);
  });
});

describe('--json output stays JSON', () => {
  it('even when the ollama package prints about an HTML error page', async () => {
    sims.ollama.injectFault('*', 'html', 100);
    const { code, stdout, stderr } = await spawnTsx(['src/cli/index.ts', 'train', '--examples', '2', '--json', '--seed', 'html'], {
      ...sims.env,
      STORAGE_URL: 'memory://',
      LOG_LEVEL: 'silent',
    });
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as TrainingResult;
    expect(result.successful).toBe(2);
    // The 502 is retried once; when the other teachers' quorum closes the vote first, that retry is
    // cut and the teacher's latest failure is the cut (a timeout), otherwise the 502 itself.
    expect(result.failure_reasons?.['ollama-llama3.2']?.kind).toMatch(/^(server_error|timeout)$/);
    // The library's chatter went to stderr instead.
    expect(stderr).toContain('Getting text from response');
  });
});

describe('exit codes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zega-honest-'));
  mkdirSync(join(dir, 'a-directory'));

  it('a missing or directory --input is a one-line usage error (2)', async () => {
    for (const [path, why] of [
      [join(dir, 'missing.jsonl'), 'does not exist'],
      [join(dir, 'a-directory'), 'is a directory, not a file'],
    ] as const) {
      for (const command of ['score', 'vote']) {
        const io = captureIo();
        expect(await runCli([command, '--input', path], io), `${command} ${path}`).toBe(2);
        expect(io.stderr).toEqual([`zega: --input ${path} ${why}`]);
      }
    }
  });

  it('a missing or directory TEACHERS_FILE is a one-line usage error (2)', async () => {
    for (const [path, why] of [
      [join(dir, 'missing.json'), 'does not exist'],
      [join(dir, 'a-directory'), 'is a directory, not a file'],
    ] as const) {
      const io = captureIo();
      expect(await runCli(['train', '--examples', '1'], io, { TEACHERS_FILE: path, STORAGE_URL: 'memory://', OLLAMA_HOST: 'off' })).toBe(2);
      expect(io.stderr).toEqual([`zega: TEACHERS_FILE ${path} ${why}`]);
    }
  });

  describe('an unreadable --input or TEACHERS_FILE', () => {
    // Root reads a mode-000 file anyway (CAP_DAC_OVERRIDE), so as root the CLI runs as an
    // unprivileged user instead; as anyone else, mode 000 is enough.
    const NOBODY = 65534;
    const asRoot = process.getuid?.() === 0;
    const as = asRoot ? { uid: NOBODY, gid: NOBODY } : {};
    const base = mkdtempSync(join(tmpdir(), 'zega-unreadable-'));
    chmodSync(base, 0o755); // mkdtemp makes it 0700: the other user must be able to pass through
    // HOME and TMPDIR of the child (tsx keeps its cache in the temporary directory): its own, removed after.
    const home = join(base, 'home');
    mkdirSync(home);
    if (asRoot) chownSync(home, NOBODY, NOBODY);
    const unreadable = join(base, 'unreadable.json');
    writeFileSync(unreadable, '[]\n');
    chmodSync(unreadable, 0o000);
    afterAll(() => rmSync(base, { recursive: true, force: true }));

    async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
      try {
        const { stdout, stderr } = await exec(process.execPath, args, { ...as, cwd: repo, timeout: 60_000, env: { ...process.env, HOME: home, TMPDIR: home, ...env } });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code?: number; stdout: string; stderr: string };
        return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
      }
    }

    /** Why the child cannot show it (it could read the repository, and the file is really unreadable), or undefined. */
    async function cannotTest(): Promise<string | undefined> {
      const probe = `const fs = require('node:fs');
        for (const f of ${JSON.stringify([join(repo, 'src/cli/index.ts'), join(repo, 'node_modules/tsx/package.json')])}) {
          try { fs.accessSync(f, fs.constants.R_OK); } catch (e) { console.log('repository not readable: ' + e.message); process.exit(0); }
        }
        try { fs.readFileSync(${JSON.stringify(unreadable)}); console.log('the mode-000 file is readable'); } catch (e) { console.log(e.code); }`;
      const { code, stdout, stderr } = await run(['-e', probe]);
      if (code !== 0) return `node does not run as ${asRoot ? `uid ${NOBODY}` : 'this user'}: ${stderr}`;
      return stdout.trim() === 'EACCES' ? undefined : `${stdout.trim()} (as ${asRoot ? `uid ${NOBODY}` : 'this user'})`;
    }

    it('is a one-line usage error (2), for --input and TEACHERS_FILE', async (ctx) => {
      const why = await cannotTest();
      // Where the other user cannot reach node or the checkout (a clone under a private folder),
      // the machine, not Zega, stops the test: skip with the reason, in CI too. Anything else (the
      // file turned out readable) is a failure in CI.
      const unreachable = why !== undefined && /^(node does not run|repository not readable)/.test(why);
      if (why && (unreachable || process.env.CI !== 'true')) ctx.skip(`did not run: ${why}`);
      expect(why).toBeUndefined();
      for (const command of ['score', 'vote']) {
        const { code, stdout, stderr } = await run(['--import', 'tsx', 'src/cli/index.ts', command, '--input', unreadable]);
        expect({ code, stdout, stderr }, command).toEqual({ code: 2, stdout: '', stderr: `zega: --input ${unreadable} cannot be read (permission denied)\n` });
      }
      const env = { TEACHERS_FILE: unreadable, STORAGE_URL: 'memory://', OLLAMA_HOST: 'off', LOG_LEVEL: 'silent' };
      const { code, stdout, stderr } = await run(['--import', 'tsx', 'src/cli/index.ts', 'train', '--examples', '1'], env);
      expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `zega: TEACHERS_FILE ${unreadable} cannot be read (permission denied)\n` });
    });
  });

  it('an empty library is not an error (0, "no stories yet")', async () => {
    const url = 'memory://';
    const list = captureIo();
    expect(await runCli(['stories', '--user', 'nobody'], list, { STORAGE_URL: url })).toBe(0);
    expect(list.stdout.join('\n')).toMatch(/No stories yet for user nobody/);
    const exported = captureIo();
    expect(await runCli(['stories', 'export', '--user', 'nobody'], exported, { STORAGE_URL: url })).toBe(0);
    expect(exported.stdout).toEqual([]);
    expect(exported.stderr.join('\n')).toMatch(/no stories yet/);
  });

  it('`npm run demo` with a storage error prints it and exits instead of hanging', async () => {
    const { code, stderr } = await spawnTsx(['src/demo.ts'], { STORAGE_URL: 'nosuch://anywhere', LOG_LEVEL: 'silent' });
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/STORAGE_URL scheme "nosuch:\/\/" is not supported/);
  });
});

describe('start-up warnings', () => {
  it('name the setting and the URL of each unreachable provider and of OLLAMA_HOST', async () => {
    const groq = await closedPortUrl();
    const ollama = await closedPortUrl();
    const runtime = await createRuntime({
      env: { GROQ_API_KEY: 'k-12345678', GROQ_BASE_URL: groq, HF_TOKEN: SIMULATED_KEYS.HF_TOKEN, HF_BASE_URL: sims.huggingface.url, OLLAMA_HOST: ollama, STORAGE_URL: 'memory://', LOG_LEVEL: 'silent' },
    });
    try {
      expect(runtime.warnings).toHaveLength(2);
      expect(runtime.warnings[0]).toMatch(new RegExp(`^OLLAMA_HOST ${ollama} does not answer \\(ECONNREFUSED\\)`));
      expect(runtime.warnings[1]).toMatch(new RegExp(`^GROQ_BASE_URL ${groq} cannot be reached \\(ECONNREFUSED\\): the 2 Groq teachers will fail`));
    } finally {
      await runtime.close();
    }
  });
});

describe('errors are not disguised as cancellations', () => {
  it('a teacher call that throws is an internal failure, a real cancellation is cancelled', async () => {
    const throwing: Teacher = {
      id: 'broken',
      provider: 'groq',
      model: 'm',
      defaults: { temperature: 1, topP: 1, maxTokens: 10 },
      generate: () => Promise.reject(new Error('adapter bug')),
    };
    const request = { messages: [{ role: 'user' as const, content: 'x' }], settings: throwing.defaults };
    const { outcome } = await askTeacher(throwing, request);
    expect(outcome).toMatchObject({ ok: false, failure: { kind: 'internal', message: 'broken failed unexpectedly: adapter bug' } });
    // Aborted while the adapter runs (the abort reaches it after the call started): a real cancellation.
    const controller = new AbortController();
    const aborting: Teacher = { ...throwing, generate: () => { controller.abort(); return Promise.reject(new Error('aborted')); } };
    expect((await askTeacher(aborting, { ...request, signal: controller.signal })).outcome).toMatchObject({ ok: false, failure: { kind: 'cancelled' } });
  });
});

describe('generated text never drives the terminal', () => {
  it('stories list and show strip escape sequences (keeping newlines and tabs)', async () => {
    const url = `sqlite://${join(mkdtempSync(join(tmpdir(), 'zega-esc-')), 'z.sqlite')}`;
    const store = await openStore(url);
    const hostile = 'Night\x1b[2J\x1b]0;pwned\x07 falls.\n\tThe keeper\x9b31m waits.';
    const story = await store.stories.save({
      userId: 'eve',
      title: 'Title\x1b]0;retitled\x07 here',
      genre: 'Horror',
      prompt: 'A prompt\x1b[1A',
      style: '',
      text: hostile,
      finalQuality: 8.5,
      textQuality: 8.5,
      confidence: 1,
      winner: { teacherId: 't', settings: { temperature: 1, topP: 1, maxTokens: 10 } },
      runId: 'r',
      autoGenerated: true,
    });
    await store.close();
    for (const args of [['stories', '--user', 'eve'], ['stories', 'show', story.id, '--user', 'eve'], ['stories', 'export', '--user', 'eve', '--format', 'md']]) {
      const io = captureIo();
      expect(await runCli(args, io, { STORAGE_URL: url })).toBe(0);
      const printed = io.stdout.join('\n');
      // eslint-disable-next-line no-control-regex -- the point is to find control characters
      expect(printed, args.join(' ')).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    }
    const shown = captureIo();
    await runCli(['stories', 'show', story.id, '--user', 'eve'], shown, { STORAGE_URL: url });
    expect(shown.stdout.join('\n')).toContain('Night[2J]0;pwned falls.\n\tThe keeper31m waits.');
  });
});
