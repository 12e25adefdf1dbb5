/**
 * Zega's command line: `npm run --silent cli -- <command>`. Exit codes: 0 ok, 1 some input
 * was bad (the rest was processed), 2 usage or configuration error.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/env.ts';
import { loadEnvFile } from '../config/envFile.ts';
import { keepStdoutForOutput, processIo, terminalSafe, UsageError, type CliIo } from './io.ts';
import { USAGE } from './usage.ts';
import type { ZegaStore } from '../storage/index.ts';

// Each command loads only what it needs (import() below): `score` starts without the SDKs,
// storage or discord.js. Errors are told apart by name for the same reason.
const CLEAR_ERRORS = new Set(['UsageError', 'ConfigError', 'RunOptionsError', 'StorageError', 'InputFileError']);

/**
 * The library commands need the store only: no teacher, no Ollama probe. They work beside a
 * running bot, and never create a database that does not exist yet.
 */
async function createStoreOnly(env: NodeJS.ProcessEnv): Promise<ZegaStore> {
  const { openStore } = await import('../storage/index.ts');
  return openStore(loadConfig(env).STORAGE_URL, { mustExist: true, recoverRuns: false });
}

/** Rows that could not be read while the command ran: logged by the store, counted here. */
function reportUnreadable(store: ZegaStore, io: CliIo): void {
  const { issueCount } = store.health();
  if (issueCount > 0) io.error(`zega: ${issueCount} stored row(s) could not be read and were left out (details in the log).`);
}

export async function runCli(argv: string[], rawIo: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Stories, titles and provider errors are printed: none of it may drive the terminal.
  const io = terminalSafe(rawIo);
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'score':
      case 'vote': {
        const { values } = parseArgs({ args: rest, options: { input: { type: 'string' } }, strict: true });
        if (command === 'score') return await (await import('./score.ts')).scoreCommand(values.input, io);
        return await (await import('./vote.ts')).voteCommand(values.input, io);
      }
      case 'train': {
        const { values } = parseArgs({
          args: rest,
          strict: true,
          options: {
            examples: { type: 'string' },
            genres: { type: 'string' },
            save: { type: 'boolean' },
            memory: { type: 'boolean' },
            user: { type: 'string' },
            voting: { type: 'string' },
            seed: { type: 'string' },
            teachers: { type: 'string' },
            json: { type: 'boolean' },
            resume: { type: 'string' },
          },
        });
        const { resume, json, ...planArgs } = values;
        if (resume !== undefined && Object.values(planArgs).some((v) => v !== undefined))
          throw new UsageError('--resume continues a stored run with its own plan: give no other option than --json');
        const [{ parseTrainArgs, trainCommand, trainJob }, { createRuntime }] = await Promise.all([import('./train.ts'), import('../app/runtime.ts')]);
        const request = resume !== undefined ? { resume } : { options: parseTrainArgs(planArgs) };
        const runtime = await createRuntime({ env });
        try {
          const job = await trainJob(runtime, request);
          const result = await trainCommand(job, runtime, io, { json: json ?? false });
          // Interrupted (SIGTERM, Ctrl-C) is a clean stop: exit 0, the run resumes with --resume.
          return result.status === 'failed' ? 1 : 0;
        } finally {
          await runtime.close();
        }
      }
      case 'runs': {
        const { values } = parseArgs({ args: rest, strict: true, options: { user: { type: 'string' }, json: { type: 'boolean' }, limit: { type: 'string' } } });
        // Unlike the other library commands, this one settles what a killed process left: a run
        // whose process is gone is shown (and resumable) as interrupted, not as running forever.
        const { openStore } = await import('../storage/index.ts');
        const store = await openStore(loadConfig(env).STORAGE_URL, { mustExist: true });
        try {
          return await (await import('./runs.ts')).runsCommand(values, store, io);
        } finally {
          await store.close();
        }
      }
      case 'stories':
      case 'dataset':
      case 'forget': {
        const store = await createStoreOnly(env);
        try {
          if (command === 'forget') return await (await import('./forget.ts')).forgetCommand(rest, store, io, loadConfig(env));
          if (command === 'stories') return await (await import('./stories.ts')).storiesCommand(rest, store, io);
          return await (await import('./dataset.ts')).datasetCommand(rest, store, io, loadConfig(env));
        } finally {
          reportUnreadable(store, io);
          await store.close();
        }
      }
      case 'db':
        return await (await import('./db.ts')).dbCommand(rest, loadConfig(env).STORAGE_URL, io);
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.error(`Unknown command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof Error && CLEAR_ERRORS.has(err.name)) {
      io.error(`zega: ${err.message}`);
      return 2;
    }
    // parseArgs reports unknown or malformed flags with a code; show its message without a trace.
    if ((err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.error(`zega: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli/index.ts');
if (isMain) {
  keepStdoutForOutput();
  // `cli … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  (async () => {
    // Only when run as a program: importing runCli (the tests do) must not read a developer's .env.
    loadEnvFile();
    return runCli(process.argv.slice(2));
  })().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`zega: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = err instanceof ConfigError ? 2 : 1;
    },
  );
}
