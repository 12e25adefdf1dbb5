/**
 * Erasing a user: every row Zega keeps about them — stories, runs and their examples, their part
 * of the statistics, memory, fine-tuning dataset and rounds — in one transaction, then their
 * key-value state. Their personal Ollama models are named in the report for the caller (src/personal
 * knows Ollama; storage does not) to remove.
 */
import type { StoreContext } from './context.ts';
import { bind } from './context.ts';
import { FineTuneRepository } from './fineTune.ts';
import { checkId } from './ids.ts';
import { MemoryRepository } from './memory.ts';
import { ModelStatsRepository } from './modelStats.ts';
import { RunRepository } from './runs.ts';
import { stateKeys, type KeyValueState } from './state.ts';

export interface ForgetReport {
  stories: number;
  runs: number;
  memory: number;
  fineTuneExamples: number;
  fineTuneRounds: number;
  /** Statistics rows of theirs removed (their part of global and guild figures was subtracted). */
  statistics: number;
  /** Key-value entries (daily ledger, drafts, panels). */
  state: number;
  /** Personal models their rounds built, for the caller to delete from Ollama. */
  personalModels: string[];
}

export async function forgetUser(context: StoreContext, state: KeyValueState, userId: string): Promise<ForgetReport> {
  checkId('user id', userId);
  const report = await context.write(async (trx) => {
    const inTx = bind(context, trx);
    const fineTune = new FineTuneRepository(inTx);
    const personalModels = await fineTune.personalModels(userId);
    const stories = await trx.deleteFrom('stories').where('user_id', '=', userId).executeTakeFirst();
    const memory = await new MemoryRepository(inTx).clear(userId);
    const dataset = await fineTune.forgetUser(userId);
    const runs = await new RunRepository(inTx).forgetUser(userId);
    const statistics = await new ModelStatsRepository(inTx).forgetUser(userId);
    return {
      stories: Number(stories.numDeletedRows),
      runs,
      memory,
      fineTuneExamples: dataset.examples,
      fineTuneRounds: dataset.rounds,
      statistics,
      state: 0,
      personalModels,
    };
  });
  for (const prefix of stateKeys.userPrefixes(userId)) report.state += await state.deletePrefix(prefix);
  return report;
}

/** One line per kind of data, for the CLI and Discord. */
export function describeForget(report: ForgetReport): string[] {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return [
    plural(report.stories, 'story', 'stories'),
    plural(report.runs, 'training run (with its examples)', 'training runs (with their examples)'),
    plural(report.memory, 'memory entry', 'memory entries'),
    plural(report.fineTuneExamples, 'fine-tuning example', 'fine-tuning examples'),
    plural(report.fineTuneRounds, 'fine-tune round', 'fine-tune rounds'),
    plural(report.statistics, 'statistics row (your part of the leaderboards)', 'statistics rows (your part of the leaderboards)'),
    plural(report.state, 'saved draft or quota entry', 'saved drafts or quota entries'),
  ];
}
