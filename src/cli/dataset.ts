/**
 * `cli dataset …`: a user's fine-tuning data and personal model from the terminal.
 *
 *   dataset export --user ID [--format sft|alpaca|dpo] [--margin M] [--min-quality Q]
 *   dataset status --user ID [--json]
 *   dataset modelfile --user ID      the Modelfile the next round would create (for `ollama create -f`)
 *   dataset round --user ID [--json] run a fine-tune round now (build included when Ollama answers)
 */
import { parseArgs } from 'node:util';
import type { Config } from '../config/env.ts';
import type { ZegaStore } from '../storage/index.ts';
import { DATASET_FORMATS, DPO_MARGIN, isDatasetFormat } from '../personal/datasets.ts';
import { datasetChunks } from '../personal/export.ts';
import { FineTuneService, ollamaConnector } from '../personal/fineTuneRounds.ts';
import { renderModelfile } from '../personal/modelfile.ts';
import { personalSettings, type PersonalConfig } from '../personal/runtime.ts';
import { roundSummary } from '../personal/roundSummary.ts';
import { DATASET_USAGE } from './usage.ts';
import { UsageError, type CliIo } from './io.ts';
import { FINE_TUNE_THRESHOLD, thresholdText } from '../trainer/types.ts';


const USER_OPTION = { user: { type: 'string' } } as const;

function requireUser(user: string | undefined): string {
  if (!user) throw new UsageError('--user ID is required');
  return user;
}

function number(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} must be a number from ${min} to ${max} (got "${value}")`);
  return n;
}

/** Settings of the personal model from the config (defaults when none is given). */
export type DatasetConfig = Pick<Config, 'OLLAMA_HOST' | 'TEACHER_TIMEOUT_MS' | 'QUALITY_SCORE'> & PersonalConfig;

const DEFAULT_CONFIG: DatasetConfig = { OLLAMA_HOST: 'off', TEACHER_TIMEOUT_MS: 60_000, QUALITY_SCORE: 'seed' };

function service(store: ZegaStore, config: DatasetConfig): FineTuneService {
  const settings = personalSettings(config);
  return new FineTuneService({
    fineTune: store.fineTune,
    ollama: ollamaConnector(settings.ollamaHost),
    baseModel: settings.baseModel,
    every: settings.every,
    contextTokens: settings.contextTokens,
  });
}

async function requireExamples(store: ZegaStore, userId: string, io: CliIo, config: DatasetConfig): Promise<boolean> {
  if ((await store.fineTune.count(userId)) > 0) return true;
  io.error(`zega: user ${userId} has no fine-tuning examples yet (examples with ${thresholdText(config.QUALITY_SCORE, FINE_TUNE_THRESHOLD)} are collected)`);
  return false;
}

export async function datasetCommand(args: string[], store: ZegaStore, io: CliIo, config: DatasetConfig = DEFAULT_CONFIG): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'export': {
      const { values } = parseArgs({
        args: rest,
        strict: true,
        options: { ...USER_OPTION, format: { type: 'string' }, margin: { type: 'string' }, 'min-quality': { type: 'string' } },
      });
      const userId = requireUser(values.user);
      const format = values.format ?? 'sft';
      if (!isDatasetFormat(format)) throw new UsageError(`--format must be ${DATASET_FORMATS.join(', ')} (got "${format}")`);
      const margin = number('--margin', values.margin, DPO_MARGIN, 0, 10);
      const minQuality = values['min-quality'] === undefined ? undefined : number('--min-quality', values['min-quality'], 0, 0, 10);
      if (!(await requireExamples(store, userId, io, config))) return 1;
      let lines = 0;
      for await (const chunk of datasetChunks(store.fineTune, userId, format, { margin, ...(minQuality !== undefined ? { minQuality } : {}) })) {
        io.out(chunk.replace(/\n$/, ''));
        lines += chunk.split('\n').length - 1;
      }
      if (lines === 0) {
        io.error(
          format === 'dpo'
            ? `zega: no example of user ${userId} has a losing candidate at least ${margin} below its winner, so there is no preference pair`
            : `zega: no example of user ${userId} reaches final quality ${minQuality}`,
        );
        return 1;
      }
      return 0;
    }
    case 'status': {
      const { values } = parseArgs({ args: rest, strict: true, options: { ...USER_OPTION, json: { type: 'boolean' } } });
      const status = await service(store, config).status(requireUser(values.user));
      if (values.json) {
        io.out(JSON.stringify(status));
        return 0;
      }
      io.out(`Fine-tuning examples: ${status.examples} · rounds done: ${status.rounds} · every ${status.every}`);
      io.out(status.due ? 'A round is due now (it runs after the next training run, or with `dataset round`).' : `Next round in ${status.untilNext} examples (at ${status.nextAt}).`);
      io.out(status.model ? `Personal model: ${status.model.model} (version ${status.model.version}, base ${status.model.base})` : 'Personal model: none yet');
      if (status.lastRound) io.out(roundSummary(status.lastRound));
      return 0;
    }
    case 'modelfile': {
      const { values } = parseArgs({ args: rest, strict: true, options: USER_OPTION });
      const userId = requireUser(values.user);
      if (!(await requireExamples(store, userId, io, config))) return 1;
      const svc = service(store, config);
      const [digest, last] = await Promise.all([svc.digest(userId), store.fineTune.latestRound(userId)]);
      io.out(renderModelfile(svc.plan(userId, digest, (last?.latestVersion ?? 0) + 1)).replace(/\n$/, ''));
      return 0;
    }
    case 'round': {
      const { values } = parseArgs({ args: rest, strict: true, options: { ...USER_OPTION, json: { type: 'boolean' } } });
      const userId = requireUser(values.user);
      if (!(await requireExamples(store, userId, io, config))) return 1;
      const round = await service(store, config).runRound(userId);
      io.out(values.json ? JSON.stringify(round) : roundSummary(round));
      return round.build.status === 'failed' ? 1 : 0;
    }
    default:
      throw new UsageError(`usage:\n${DATASET_USAGE}`);
  }
}
