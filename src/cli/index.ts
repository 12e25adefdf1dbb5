/**
 * Zega's command line: `npm run --silent cli -- <command>`. Exit codes: 0 ok, 1 some input
 * was bad (the rest was processed), 2 usage or configuration error.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/env.ts';
import { InputFileError } from '../config/inputFile.ts';
import { loadEnvFile } from '../config/envFile.ts';
import { RunOptionsError } from '../trainer/options.ts';
import { createRuntime } from '../app/runtime.ts';
import { keepStdoutForOutput, processIo, terminalSafe, UsageError, type CliIo } from './io.ts';
import { scoreCommand } from './score.ts';
import { voteCommand } from './vote.ts';
import { parseTrainArgs, trainCommand } from './train.ts';
import { storiesCommand } from './stories.ts';
import { DATASET_USAGE, datasetCommand } from './dataset.ts';
import { openStore, StorageError, type ZegaStore } from '../storage/index.ts';
import { DB_USAGE, dbCommand } from './db.ts';
import { forgetCommand } from './forget.ts';

/**
 * The library commands need the store only: no teacher, no Ollama probe. They work beside a
 * running bot, and never create a database that does not exist yet.
 */
async function createStoreOnly(env: NodeJS.ProcessEnv): Promise<ZegaStore> {
  return openStore(loadConfig(env).STORAGE_URL, { mustExist: true, recoverRuns: false });
}

/** Rows that could not be read while the command ran: logged by the store, counted here. */
function reportUnreadable(store: ZegaStore, io: CliIo): void {
  const { issueCount } = store.health();
  if (issueCount > 0) io.error(`zega: ${issueCount} stored row(s) could not be read and were left out (details in the log).`);
}

const USAGE = `Usage: npm run --silent cli -- <command> [options]

Commands:
  train --examples N [--genres a,b] [--save] [--memory] [--user ID]
        [--voting consensus|mbr|jury] [--seed S] [--json]
                        run a training session against the configured teachers
  score [--input FILE]  text and story quality of JSON lines {"id","text"[,"prompt"]} (stdin by default)
  vote  [--input FILE]  consensus vote over JSON lines {"prompt_id"[,"prompt"],"candidates":[{"model","text"}]}
  stories --user ID [--genre G] [--page N] [--sort newest|best] [--json]
                        list a user's saved stories
  stories show ID --user ID
  stories export --user ID [--format jsonl|md]
${DATASET_USAGE}
  forget --user ID --yes
                        erase everything Zega keeps about a user (stories, runs,
                        statistics, memory, dataset, rounds, personal models)
${DB_USAGE}
`;

export async function runCli(argv: string[], rawIo: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Stories, titles and provider errors are printed: none of it may drive the terminal.
  const io = terminalSafe(rawIo);
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'score':
      case 'vote': {
        const { values } = parseArgs({ args: rest, options: { input: { type: 'string' } }, strict: true });
        return command === 'score' ? await scoreCommand(values.input, io) : await voteCommand(values.input, io);
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
            json: { type: 'boolean' },
          },
        });
        const options = parseTrainArgs(values);
        const runtime = await createRuntime({ env });
        try {
          const result = await trainCommand(options, runtime, io, { json: values.json ?? false });
          return result.status === 'failed' ? 1 : 0;
        } finally {
          await runtime.close();
        }
      }
      case 'stories':
      case 'dataset':
      case 'forget': {
        const store = await createStoreOnly(env);
        try {
          if (command === 'forget') return await forgetCommand(rest, store, io, loadConfig(env));
          return command === 'stories' ? await storiesCommand(rest, store, io) : await datasetCommand(rest, store, io, loadConfig(env));
        } finally {
          reportUnreadable(store, io);
          await store.close();
        }
      }
      case 'db':
        return await dbCommand(rest, loadConfig(env).STORAGE_URL, io);
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
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof RunOptionsError || err instanceof StorageError || err instanceof InputFileError) {
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
