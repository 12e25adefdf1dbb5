/**
 * Erasing a user (`/forget`, `cli forget`): what the run queue keeps about them outside the store
 * first (in a cluster, their records on Redis; this refuses while they have a run), then their
 * personal Ollama models (while their names are still known), then every row and key-value entry
 * the store keeps about them. What was erased, and any model Ollama could not remove, is reported
 * back in words.
 */
import type { ForgetReport, ZegaStore } from '../storage/index.ts';
import { describeForget } from '../storage/index.ts';
import type { OllamaConnector } from './fineTuneRounds.ts';

export interface EraseReport {
  store: ForgetReport;
  /** Personal models removed from Ollama (or already gone). */
  modelsRemoved: string[];
  /** Personal models that could not be removed, with why. */
  modelsLeft: { model: string; reason: string }[];
}

function isNotFound(err: unknown): boolean {
  const status = (err as { status_code?: number }).status_code;
  return status === 404 || /not found/i.test(err instanceof Error ? err.message : String(err));
}

/** The run queue's part (RunQueue.forgetUser, or the cluster's Redis for the command line). */
export interface QueueRecords {
  forgetUser(userId: string): Promise<number>;
}

export async function eraseUser(store: Pick<ZegaStore, 'fineTune' | 'forgetUser'>, ollama: OllamaConnector, userId: string, queue?: QueueRecords): Promise<EraseReport> {
  // First: it refuses while the user has a run, before anything is erased.
  const queueRecords = (await queue?.forgetUser(userId)) ?? 0;
  const models = await store.fineTune.personalModels(userId);
  const modelsRemoved: string[] = [];
  const modelsLeft: EraseReport['modelsLeft'] = [];
  if (models.length > 0) {
    const client = await ollama.connect().catch(() => undefined);
    for (const model of models) {
      if (!client) {
        modelsLeft.push({ model, reason: `Ollama at ${ollama.host} is not reachable` });
        continue;
      }
      try {
        await client.delete({ model });
        modelsRemoved.push(model);
      } catch (err) {
        if (isNotFound(err)) modelsRemoved.push(model);
        else modelsLeft.push({ model, reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  const report = await store.forgetUser(userId);
  // Their budget ledger and run records on Redis are key-value entries like those of the store.
  return { store: { ...report, state: report.state + queueRecords }, modelsRemoved, modelsLeft };
}

/** The report as lines: what was erased, then any personal model left behind. */
export function describeErase(report: EraseReport): string[] {
  const lines = describeForget(report.store);
  if (report.modelsRemoved.length > 0) lines.push(`personal model${report.modelsRemoved.length === 1 ? '' : 's'} removed from Ollama: ${report.modelsRemoved.join(', ')}`);
  for (const left of report.modelsLeft) lines.push(`NOT removed from Ollama: ${left.model} (${left.reason}); remove it with \`ollama rm ${left.model}\``);
  return lines;
}
