/**
 * Zega's command line: `npm run --silent cli -- <command>`. Exit codes: 0 ok, 1 some input
 * was bad (the rest was processed), 2 usage or configuration error.
 */
import 'dotenv/config';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/env.ts';
import { RunOptionsError } from '../trainer/options.ts';
import { createRuntime } from '../app/runtime.ts';
import { processIo, UsageError, type CliIo } from './io.ts';
import { scoreCommand } from './score.ts';
import { voteCommand } from './vote.ts';
import { parseTrainArgs, trainCommand } from './train.ts';
import { storiesCommand } from './stories.ts';
import { DATASET_USAGE, datasetCommand } from './dataset.ts';
import { openStore, StorageError, type ZegaStore } from '../storage/index.ts';

/** The library commands need the store only: no teacher, no Ollama probe. */
async function createStoreOnly(env: NodeJS.ProcessEnv): Promise<ZegaStore> {
  return openStore(loadConfig(env).STORAGE_URL);
}

const USAGE = `Usage: npm run --silent cli -- <command> [options]

Commands:
  train --examples N [--genres a,b] [--save] [--memory] [--user ID]
        [--voting consensus|jury] [--seed S] [--teachers all|auto] [--json]
                        run a training session against the configured teachers
  score [--input FILE]  text quality of JSON lines {"id","text"} (stdin by default)
  vote  [--input FILE]  consensus vote over JSON lines {"prompt_id","candidates":[{"model","text"}]}
  stories --user ID [--genre G] [--page N] [--sort newest|best] [--json]
                        list a user's saved stories
  stories show ID --user ID
  stories export --user ID [--format jsonl|md]
${DATASET_USAGE}
`;

export async function runCli(argv: string[], io: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
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
            teachers: { type: 'string' },
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
      case 'dataset': {
        const store = await createStoreOnly(env);
        try {
          return command === 'stories' ? await storiesCommand(rest, store, io) : await datasetCommand(rest, store, io, loadConfig(env));
        } finally {
          await store.close();
        }
      }
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
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof RunOptionsError || err instanceof StorageError) {
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
  // `cli … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`zega: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
