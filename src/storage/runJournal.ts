/**
 * The run queues' view of storage (RunJournal), over the run repository: a run's plan when it is
 * queued, its finished examples by index, its Discord message, and the runs a stopped process
 * left unfinished.
 */
import type { RunJob, RunJournal, RunLocation } from '../runs/types.ts';
import type { FinishedExample, RunStatus } from '../trainer/types.ts';
import { isGenre } from '../trainer/genres.ts';
import type { RunRecord, RunRepository } from './runs.ts';

function locationOf(run: RunRecord): RunLocation | undefined {
  const m = run.message;
  if (!m) return undefined;
  const via = m.via === 'interaction' || m.via === 'channel' || m.via === 'dm' ? m.via : undefined;
  return { channelId: m.channelId, messageId: m.messageId, ...(m.guildId ? { guildId: m.guildId } : {}), ...(via ? { via } : {}) };
}

/** The run's job, when its plan can be drawn again (a run stored without a seed cannot). */
function jobOf(run: RunRecord): (RunJob & { done: number; status: RunStatus }) | undefined {
  const { options } = run;
  if (!options.seed) return undefined;
  const location = locationOf(run);
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
      ...(options.teachers ? { teachers: options.teachers } : {}),
      seed: options.seed,
    },
    ...(location ? { location } : {}),
    done: run.counts.done,
    status: run.status,
  };
}

export function createRunJournal(runs: RunRepository): RunJournal {
  return {
    async plan(job) {
      await runs.create(job.runId, job.options);
      if (job.location) await runs.setMessage(job.runId, { ...job.location });
    },
    async job(runId) {
      const run = await runs.get(runId);
      return run ? jobOf(run) : undefined;
    },
    async finished(runId) {
      return (await runs.examples(runId)).map(
        (e): FinishedExample => ({
          index: e.i,
          genre: e.genre,
          status: e.status,
          // An example stored before schema version 3 has no tally: its win counts, but not for best parameters.
          ...(e.winner !== undefined
            ? { winner: { teacherId: e.winner, finalQuality: e.q ?? 0, confidence: e.c ?? 0, storyQuality: e.sq ?? e.q ?? 0, ...(e.tally?.settings ? { settings: e.tally.settings } : {}) } }
            : {}),
          storySaved: e.storyId !== undefined,
          toFineTune: e.fineTune,
          outcomes: e.teachers.filter((t) => !t.skipped).map((t) => ({ teacherId: t.id, ok: t.ok, latencyMs: t.ms, ...(t.tq !== undefined ? { textQuality: t.tq } : {}) })),
          ...(e.tally ? { calls: e.tally.calls, ...(e.tally.jury ? { jury: e.tally.jury } : {}), ...(e.tally.skipped ? { skipped: e.tally.skipped } : {}) } : {}),
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
      // Runs started from Discord (they have a message to report on); a command-line run is resumed with `train --resume`.
      return (await runs.interrupted()).flatMap((run) => {
        const job = jobOf(run);
        return job?.location ? [job] : [];
      });
    },
  };
}
