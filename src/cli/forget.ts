/** `cli forget --user ID --yes`: erases everything Zega keeps about one user, and says what went. */
import { parseArgs } from 'node:util';
import type { Config } from '../config/env.ts';
import { ollamaConnector } from '../personal/fineTuneRounds.ts';
import { describeErase, eraseUser } from '../personal/forget.ts';
import type { ZegaStore } from '../storage/index.ts';
import { UsageError, type CliIo } from './io.ts';

export async function forgetCommand(args: string[], store: ZegaStore, io: CliIo, config: Pick<Config, 'OLLAMA_HOST'>): Promise<number> {
  const { values } = parseArgs({ args, options: { user: { type: 'string' }, yes: { type: 'boolean' } }, strict: true });
  if (!values.user) throw new UsageError('forget needs --user ID');
  if (!values.yes) {
    throw new UsageError(`forget erases every story, run, statistic, memory entry, dataset row, fine-tune round and personal model of user ${values.user}, for good. Add --yes to do it.`);
  }
  const report = await eraseUser(store, ollamaConnector(config.OLLAMA_HOST), values.user);
  io.out(`Erased everything Zega kept about user ${values.user}:`);
  for (const line of describeErase(report)) io.out(`  ${line}`);
  return report.modelsLeft.length > 0 ? 1 : 0;
}
