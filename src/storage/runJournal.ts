/**
 * The run queues' view of storage (RunJournal), over the run repository: plans, finished
 * examples by index, and the runs a stopped process left unfinished.
 */
import type { RunJob, RunJournal, RunLocation } from '../runs/types.ts';
import type { FinishedExample } from '../trainer/types.ts';
import { isGenre } from '../trainer/genres.ts';
import type { RunRecord } from './records.ts';
import type { RunRepository } from './runs.ts';

function jobOf(run: RunRecord): RunJob & { done: number } {
  const { options } = run;
  const location = run.message as (RunLocation & { guildId?: string }) | undefined;
  return {
    runId: run.id,
    options: {
      userId: options.userId,
      ...(options.guildId ? { guildId: options.guildId } : {}),
      examples: options.examples,
      genres: options.genres.filter(isGenre),
      save: options.save,
      memory: options.memory,
      voting: options.voting,
      // A run stored without a seed cannot be re-planned alike: it is not resumable (filtered below).
      seed: options.seed ?? '',
    },
    ...(location ? { location: { channelId: location.channelId, messageId: location.messageId, ...(location.guildId ? { guildId: location.guildId } : {}) } } : {}),
    done: run.counts.done,
  };
}

export function createRunJournal(runs: RunRepository, interruptedAtOpen: readonly string[]): RunJournal {
  return {
    async plan(job) {
      await runs.create(job.runId, job.options);
      if (job.location) await runs.setMessage(job.runId, { ...job.location });
    },
    async job(runId) {
      const run = await runs.get(runId);
      return run?.options.seed ? { ...jobOf(run), status: run.status } : undefined;
    },
    async finished(runId) {
      return (await runs.examples(runId)).map(
        (e): FinishedExample => ({
          index: e.i,
          genre: e.genre as FinishedExample['genre'],
          status: e.status,
          // Stored before story scores were kept: the final quality stands in for it.
          ...(e.winner !== undefined ? { winner: { teacherId: e.winner, finalQuality: e.q ?? 0, confidence: e.c ?? 0, storyQuality: e.q ?? 0 } } : {}),
          storySaved: e.storyId !== undefined,
          toFineTune: e.fineTune,
          outcomes: e.teachers.map((t) => ({ teacherId: t.id, ok: t.ok, latencyMs: t.ms, ...(t.tq !== undefined ? { textQuality: t.tq } : {}) })),
        }),
      );
    },
    async setStatus(runId, status, reason) {
      await runs.setStatus(runId, status, reason);
    },
    async setLocation(runId, location) {
      await runs.setMessage(runId, { ...location });
    },
    async unfinished() {
      const out: (RunJob & { done: number })[] = [];
      for (const runId of interruptedAtOpen) {
        const run = await runs.get(runId);
        if (run?.status === 'interrupted' && run.options.seed) out.push(jobOf(run));
      }
      return out.sort((a, b) => a.runId.localeCompare(b.runId));
    },
  };
}
