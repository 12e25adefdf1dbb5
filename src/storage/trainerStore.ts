/**
 * The trainer's view of storage (TrainerStore, see src/trainer/types.ts), built on the
 * repositories. `recordExample` persists one finished example everywhere it belongs — the run's
 * example row and counts, model statistics, the story library, the fine-tuning dataset, memory —
 * in ONE transaction: all of it is stored, or none of it (and the error reaches the trainer, which
 * stops the run). It is idempotent per (run, example index): a repeated call returns what the
 * first stored.
 *
 * Runs started here belong to this process (`owner`) and get a heartbeat while they run, so
 * another process can tell a live run from one whose process died.
 */
import { sql } from 'kysely';
import type { ExamplePersisted, ExampleRecord, RunOptions, RunStatus, TrainerStore, TrainingResult } from '../trainer/types.ts';
import type { TeacherInfo } from '../teachers/types.ts';
import { bind, type StoreContext } from './context.ts';
import { FineTuneRepository, type RejectedCandidate } from './fineTune.ts';
import { MemoryRepository } from './memory.ts';
import { FOLD_AT, ModelStatsRepository } from './modelStats.ts';
import { newProcessOwner } from './processOwner.ts';
import { RunRepository, type RunExample } from './runs.ts';
import { StoryRepository } from './stories.ts';

/** Settings of a call that was never made (a skipped teacher). */
const NO_SETTINGS = { temperature: 0, topP: 0, maxTokens: 0 };

/** Every successful candidate except the winner, best first. */
export function losingCandidates(record: ExampleRecord): RejectedCandidate[] {
  const winner = record.winner?.teacherId;
  return record.outcomes
    .filter((o) => o.ok && typeof o.text === 'string' && o.text.trim() !== '' && o.teacherId !== winner)
    .map((o) => ({ teacherId: o.teacherId, text: o.text as string, textQuality: o.textQuality ?? 0, ...(o.storyQuality !== undefined ? { storyQuality: o.storyQuality } : {}) }))
    .sort((a, b) => b.textQuality - a.textQuality);
}

export function compactExample(record: ExampleRecord, storyId: string | undefined, fineTune: boolean, memory: boolean): RunExample {
  const w = record.winner;
  return {
    v: 1,
    i: record.index,
    genre: record.genre,
    promptId: record.promptId,
    status: record.status,
    ...(w ? { winner: w.teacherId, q: w.finalQuality, tq: w.textQuality, c: w.confidence, ...(w.storyQuality !== undefined ? { sq: w.storyQuality } : {}) } : {}),
    ...(storyId ? { storyId } : {}),
    fineTune,
    memory,
    teachers: record.outcomes.map((o) => ({
      id: o.teacherId,
      ok: o.ok,
      ms: Math.round(o.latencyMs),
      ...(o.textQuality !== undefined ? { tq: o.textQuality } : {}),
      ...(o.storyQuality !== undefined ? { sq: o.storyQuality } : {}),
      ...(o.failure ? { fail: o.failure.kind } : {}),
      ...(o.skipped ? { skipped: true } : {}),
    })),
    ...(record.failureReasons?.length ? { reasons: [...record.failureReasons] } : {}),
    finishedAt: record.finishedAt,
    tally: {
      ...(w ? { settings: { ...w.settings } } : {}),
      calls: record.calls ?? [],
      ...(record.jury ? { jury: { ...record.jury } } : {}),
      ...(record.skipped?.length ? { skipped: [...record.skipped] } : {}),
    },
  };
}

export interface TrainerStoreHandle extends TrainerStore {
  /** Runs this process is running now (heartbeat, interrupted on close). */
  readonly live: ReadonlySet<string>;
  readonly owner: string;
}

/**
 * The guild of each run this process records examples for (null: none), known from `startRun`,
 * so an example does not read its run's row for it. A run's guild never changes.
 */
type RunGuilds = Map<string, string | null>;

/** Persists one example in the given (transaction-bound) context; `statsRows` counts the pending statistics rows it appended. */
async function persistExample(context: StoreContext, record: ExampleRecord, system: string, guilds: RunGuilds): Promise<ExamplePersisted & { statsRows: number }> {
  const runs = new RunRepository(context);
  const fineTune = new FineTuneRepository(context);
  const done = await runs.example(record.runId, record.index);
  if (done) return { ...(done.storyId ? { storyId: done.storyId } : {}), fineTuneTotal: await fineTune.count(record.userId), statsRows: 0 };

  let guild = guilds.get(record.runId);
  if (guild === undefined) {
    guild = (await context.db.selectFrom('runs').select('guild_id').where('id', '=', record.runId).executeTakeFirst())?.guild_id ?? null;
    guilds.set(record.runId, guild);
  }
  const guildId = guild ?? undefined;
  const w = record.status === 'ok' ? record.winner : undefined;

  let storyId: string | undefined;
  if (w && record.saveStory) {
    const story = await new StoryRepository(context).save({
      userId: record.userId,
      ...(guildId ? { guildId } : {}),
      genre: record.genre,
      prompt: record.prompt,
      style: record.style,
      text: w.text,
      finalQuality: w.finalQuality,
      textQuality: w.textQuality,
      ...(w.storyQuality !== undefined ? { storyQuality: w.storyQuality } : {}),
      confidence: w.confidence,
      winner: { teacherId: w.teacherId, settings: w.settings },
      runId: record.runId,
      exampleIndex: record.index,
      autoGenerated: true,
      createdAt: record.finishedAt,
    }, { countInStats: false });
    storyId = story.id;
  }

  const statsRows = await new ModelStatsRepository(context).recordExample({
    userId: record.userId,
    ...(guildId ? { guildId } : {}),
    genre: record.genre,
    status: record.status,
    // Teachers the example skipped for lack of quota count as skipped, never as calls.
    outcomes: [...record.outcomes, ...(record.skipped ?? []).map((teacherId) => ({ teacherId, ok: false, skipped: true, latencyMs: 0, settings: NO_SETTINGS }))],
    ...(w ? { winner: { teacherId: w.teacherId, finalQuality: w.finalQuality, settings: w.settings, ...(w.storyQuality !== undefined ? { storyQuality: w.storyQuality } : {}) } } : {}),
    storySaved: storyId !== undefined,
    at: record.finishedAt,
  });

  const toFineTune = Boolean(w && record.toFineTune);
  let fineTuneTotal: number;
  if (w && toFineTune) {
    fineTuneTotal = await fineTune.addForTotal({
      userId: record.userId,
      runId: record.runId,
      index: record.index,
      ...(storyId ? { storyId } : {}),
      system,
      prompt: record.prompt,
      story: w.text,
      quality: w.finalQuality,
      textQuality: w.textQuality,
      ...(w.storyQuality !== undefined ? { storyQuality: w.storyQuality } : {}),
      genre: record.genre,
      teacherId: w.teacherId,
      settings: w.settings,
      rejected: losingCandidates(record),
      createdAt: record.finishedAt,
    });
  } else {
    fineTuneTotal = await fineTune.count(record.userId);
  }

  const toMemory = Boolean(w && record.toMemory);
  if (w && toMemory) {
    await new MemoryRepository(context).add({
      userId: record.userId,
      runId: record.runId,
      genre: record.genre,
      prompt: record.prompt,
      text: w.text,
      quality: w.finalQuality,
      teacherId: w.teacherId,
      ...(storyId ? { storyId } : {}),
      createdAt: record.finishedAt,
    });
  }

  await runs.addExample(record.runId, record.userId, compactExample(record, storyId, toFineTune, toMemory), {
    successful: record.status === 'ok',
    ...(w ? { quality: w.finalQuality } : {}),
    storySaved: storyId !== undefined,
    fineTune: toFineTune,
    memory: toMemory,
  });
  return { ...(storyId ? { storyId } : {}), fineTuneTotal, statsRows };
}

interface PendingExample {
  record: ExampleRecord;
  system: string;
  resolve(persisted: ExamplePersisted): void;
  reject(error: unknown): void;
}

/**
 * Group commit: examples that finish while a commit is under way (or in the same turn of the
 * event loop) are written in the next transaction together, each inside its own savepoint — so
 * each example is still all-or-nothing (a failing one is rolled back alone and its caller gets the
 * error), and nobody hears "stored" before the commit. Pages that every example touches (counters,
 * indexes, full-text segments, the run row) are then written once per commit instead of once per
 * example.
 */
function exampleBatcher(context: StoreContext, guilds: RunGuilds, foldAt: number): (record: ExampleRecord, system: string) => Promise<ExamplePersisted> {
  let pending: PendingExample[] = [];
  /** Statistics rows this process appended since its last fold (any process's fold takes them all). */
  let unfolded = 0;

  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = [];
    const outcomes: ({ ok: true; value: ExamplePersisted } | { ok: false; error: unknown })[] = [];
    try {
      await context.write(async (trx) => {
        const bound = bind(context, trx);
        const persist = async (item: PendingExample) => {
          const { statsRows, ...persisted } = await persistExample(bound, item.record, item.system, guilds);
          unfolded += statsRows;
          return persisted;
        };
        // Alone in its transaction (the usual case at real provider latency), an example needs no
        // savepoint: a failure rolls back the transaction, which holds nothing else.
        if (batch.length === 1) outcomes.push({ ok: true, value: await persist(batch[0] as PendingExample) });
        else {
          for (const [i, item] of batch.entries()) {
            await sql.raw(`savepoint example_${i}`).execute(trx);
            try {
              outcomes.push({ ok: true, value: await persist(item) });
              await sql.raw(`release savepoint example_${i}`).execute(trx);
            } catch (error) {
              outcomes.push({ ok: false, error });
              await sql.raw(`rollback to savepoint example_${i}`).execute(trx);
              await sql.raw(`release savepoint example_${i}`).execute(trx);
            }
          }
        }
        // In the batch's transaction: a fold that cannot be written fails the batch, loudly.
        if (unfolded >= foldAt) {
          await new ModelStatsRepository(bind(context, trx)).fold();
          unfolded = 0;
        }
      });
    } catch (error) {
      // The commit itself failed: nothing of the batch is stored.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) item.resolve(outcome.value);
      else item.reject(outcome ? outcome.error : new Error('example not persisted'));
    });
  };

  let draining = false;
  const drain = async (): Promise<void> => {
    if (draining) return; // the loop below picks the new example up
    draining = true;
    try {
      // Let examples finishing in this turn of the event loop join the batch.
      await new Promise((resolve) => setImmediate(resolve));
      while (pending.length > 0) await flush();
    } finally {
      // Reached with nothing pending and no await in between, so no example is left waiting.
      draining = false;
    }
  };

  return (record, system) =>
    new Promise<ExamplePersisted>((resolve, reject) => {
      pending.push({ record, system, resolve, reject });
      void drain();
    });
}

export interface TrainerStoreOptions {
  /** Identifies this process's runs (heartbeat, interrupted on close). */
  owner?: string;
  /** Statistics rows appended before a fold (default `FOLD_AT`). */
  foldAt?: number;
}

export function createTrainerStore(context: StoreContext, options: TrainerStoreOptions = {}): TrainerStoreHandle {
  const owner = options.owner ?? newProcessOwner();
  const runs = new RunRepository(context);
  const live = new Set<string>();
  const guilds: RunGuilds = new Map();
  const record = exampleBatcher(context, guilds, options.foldAt ?? FOLD_AT);
  return {
    live,
    owner,
    async startRun(runId: string, options: RunOptions, teachers: TeacherInfo[]): Promise<void> {
      await runs.start(runId, options, teachers, owner);
      guilds.set(runId, options.guildId ?? null);
      live.add(runId);
    },

    async recordExample(example: ExampleRecord, system: string): Promise<ExamplePersisted> {
      return record(example, system);
    },

    async finishRun(runId: string, status: RunStatus, result: TrainingResult): Promise<void> {
      live.delete(runId);
      guilds.delete(runId);
      await runs.finish(runId, status, result, result.error);
    },

    async countFineTuneExamples(userId: string): Promise<number> {
      return new FineTuneRepository(context).count(userId);
    },

    teacherHistory: () => new ModelStatsRepository(context).teacherHistory(),
  };
}
