/**
 * Training runs (`runs`): the plan (options: seed, genres, example count, voting, save, memory),
 * the teacher roster, status, running counts, the final result and the Discord message the run
 * reports to; and every finished example (`run_examples`), unique per (run, index), so a run can
 * be resumed from the indexes it has not finished.
 *
 * A running run belongs to the process that runs it (`owner`) and carries a heartbeat; a run whose
 * heartbeat went stale (its process died) is marked interrupted by the next process that opens the
 * store, and one still open when its process closes the store is marked interrupted at once.
 */
import type { Kysely, Selectable } from 'kysely';
import type { JuryCount, RunOptions, RunStatus, TeacherCalls, TrainingResult } from '../trainer/types.ts';
import type { GenerationSettings, TeacherInfo } from '../teachers/types.ts';
import { isGenre, type Genre } from '../trainer/genres.ts';
import type { StoreContext } from './context.ts';
import { parseJson } from './context.ts';
import { checkId, isId } from './ids.ts';
import type { Database, RunExamplesTable, RunsTable } from './schema.ts';

export interface RunCounts {
  done: number;
  successful: number;
  failed: number;
  storiesSaved: number;
  fineTuneAdded: number;
  memoryAdded: number;
  qualitySum: number;
}

/** Where the run reports on Discord; extra fields the bot adds (thread id, ...) are kept as given. */
export interface RunMessage {
  channelId: string;
  messageId: string;
  guildId?: string;
  threadId?: string;
  interactionId?: string;
  updatedAt?: number;
  [extra: string]: unknown;
}

/** What callers pass to setMessage (the store adds `updatedAt`). */
export interface RunMessageInput {
  channelId: string;
  messageId: string;
  guildId?: string;
  threadId?: string;
  interactionId?: string;
  [extra: string]: unknown;
}

export interface RunRecord {
  v: 1;
  id: string;
  userId: string;
  guildId?: string;
  /** The plan: everything needed to run (or resume) it again. */
  options: RunOptions;
  teachers: TeacherInfo[];
  status: RunStatus;
  counts: RunCounts;
  /** The TrainingResult when the run finished. */
  result?: TrainingResult;
  message?: RunMessage;
  error?: string;
  owner?: string;
  heartbeatAt?: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  updatedAt: number;
}

/** One candidate's part in a stored example. */
export interface RunExampleTeacher {
  id: string;
  ok: boolean;
  ms: number;
  tq?: number;
  /** Human-aligned story quality, once judged. */
  sq?: number;
  fail?: string;
  /** Not asked (no quota left). */
  skipped?: boolean;
}

/** The compact record of one finished example. */
export interface RunExample {
  v: 1;
  i: number;
  genre: Genre;
  promptId: string;
  status: 'ok' | 'failed';
  /** Winner's teacher id, final quality, text quality, confidence, story quality. */
  winner?: string;
  q?: number;
  tq?: number;
  c?: number;
  sq?: number;
  storyId?: string;
  fineTune: boolean;
  memory: boolean;
  teachers: RunExampleTeacher[];
  reasons?: string[];
  finishedAt: number;
  /** What the example adds to its run's result beyond the above (absent for examples an older Zega stored). */
  tally?: ExampleTally;
}

/** The winner's generation settings, each teacher's calls and tokens, the jury's ballots, who was skipped. */
export interface ExampleTally {
  settings?: GenerationSettings;
  calls: TeacherCalls[];
  jury?: JuryCount;
  /** Teachers not asked for lack of quota. */
  skipped?: string[];
}

/** A user's run in a list: status and progress. */
export interface RunSummary {
  id: string;
  status: RunStatus;
  examples: number;
  done: number;
  successful: number;
  failed: number;
  createdAt: number;
  finishedAt?: number;
  error?: string;
}

const OPEN: readonly RunStatus[] = ['queued', 'running'];
const STATUSES: readonly RunStatus[] = ['queued', 'running', 'done', 'cancelled', 'interrupted', 'failed'];

function planOf(options: RunOptions): RunOptions {
  return {
    userId: options.userId,
    ...(options.guildId !== undefined ? { guildId: options.guildId } : {}),
    examples: options.examples,
    genres: [...options.genres],
    save: options.save,
    memory: options.memory,
    voting: options.voting,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
}

function newRow(runId: string, options: RunOptions, teachers: TeacherInfo[], status: RunStatus, now: number, owner?: string): RunsTable {
  return {
    id: runId,
    user_id: options.userId,
    guild_id: options.guildId ?? null,
    status,
    plan: JSON.stringify(planOf(options)),
    teachers: JSON.stringify(teachers.map(({ id, provider, model, defaults }) => ({ id, provider, model, defaults: { ...defaults } }))),
    examples: options.examples,
    seed: options.seed ?? null,
    voting: options.voting,
    done: 0,
    successful: 0,
    failed: 0,
    stories_saved: 0,
    fine_tune_added: 0,
    memory_added: 0,
    quality_sum: 0,
    result: null,
    message: null,
    error: null,
    owner: owner ?? null,
    heartbeat_at: now,
    created_at: now,
    started_at: status === 'running' ? now : null,
    finished_at: null,
    updated_at: now,
  };
}

/** What one finished example adds to its run's counts. */
export interface ExampleCountsDelta {
  successful: boolean;
  quality?: number;
  storySaved: boolean;
  fineTune: boolean;
  memory: boolean;
}

export class RunRepository {
  constructor(private readonly context: StoreContext) {}

  private toRecord(row: Selectable<RunsTable>): RunRecord {
    const key = row.id;
    const fallbackPlan: RunOptions = { userId: row.user_id, examples: row.examples, genres: [], save: false, memory: false, voting: row.voting === 'jury' ? 'jury' : 'consensus' };
    const status = (STATUSES as readonly string[]).includes(row.status) ? (row.status as RunStatus) : 'failed';
    const result = parseJson<TrainingResult | undefined>(this.context, 'runs.result', key, row.result, undefined);
    const message = parseJson<RunMessage | undefined>(this.context, 'runs.message', key, row.message, undefined);
    return {
      v: 1,
      id: row.id,
      userId: row.user_id,
      ...(row.guild_id !== null ? { guildId: row.guild_id } : {}),
      options: parseJson(this.context, 'runs.plan', key, row.plan, fallbackPlan),
      teachers: parseJson<TeacherInfo[]>(this.context, 'runs.teachers', key, row.teachers, []),
      status,
      counts: {
        done: row.done,
        successful: row.successful,
        failed: row.failed,
        storiesSaved: row.stories_saved,
        fineTuneAdded: row.fine_tune_added,
        memoryAdded: row.memory_added,
        qualitySum: row.quality_sum,
      },
      ...(result ? { result } : {}),
      ...(message ? { message } : {}),
      ...(row.error !== null ? { error: row.error } : {}),
      ...(row.owner !== null ? { owner: row.owner } : {}),
      ...(row.heartbeat_at !== null ? { heartbeatAt: row.heartbeat_at } : {}),
      createdAt: row.created_at,
      ...(row.started_at !== null ? { startedAt: row.started_at } : {}),
      ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
      updatedAt: row.updated_at,
    };
  }

  /** Records a run waiting for its turn (status `queued`); an existing run is left as it is. */
  async create(runId: string, options: RunOptions, teachers: TeacherInfo[] = []): Promise<RunRecord> {
    checkId('run id', runId);
    checkId('user id', options.userId);
    await this.context.write((db) => db.insertInto('runs').values(newRow(runId, options, teachers, 'queued', Date.now())).onConflict((oc) => oc.column('id').doNothing()).execute());
    return (await this.get(runId)) as RunRecord;
  }

  /** Marks the run running under `owner` (creating it with its plan if it was never queued). */
  async start(runId: string, options: RunOptions, teachers: TeacherInfo[], owner?: string): Promise<RunRecord> {
    checkId('run id', runId);
    checkId('user id', options.userId);
    const now = Date.now();
    await this.context.write(async (db) => {
      const row = newRow(runId, options, teachers, 'running', now, owner);
      await db
        .insertInto('runs')
        .values(row)
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            status: 'running',
            // A resumed run is running again: why it stopped last time no longer describes it.
            error: null,
            finished_at: null,
            started_at: eb.fn.coalesce('runs.started_at', eb.val(now)),
            owner: owner ?? null,
            heartbeat_at: now,
            updated_at: now,
            // What actually runs is the plan: the one given now.
            plan: row.plan,
            examples: row.examples,
            seed: row.seed,
            voting: row.voting,
            ...(teachers.length > 0 ? { teachers: row.teachers } : {}),
          })),
        )
        .execute();
    });
    return (await this.get(runId)) as RunRecord;
  }

  /** The run, or undefined; with `userId`, also undefined when the run is someone else's. */
  async get(runId: string, userId?: string): Promise<RunRecord | undefined> {
    if (!isId(runId)) return undefined;
    let q = this.context.db.selectFrom('runs').selectAll().where('id', '=', runId);
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    const row = await q.executeTakeFirst();
    return row ? this.toRecord(row) : undefined;
  }

  /** The user's runs, newest first. */
  async list(userId: string, options: { limit?: number; offset?: number; status?: RunStatus[] } = {}): Promise<RunRecord[]> {
    checkId('user id', userId);
    let q = this.context.db.selectFrom('runs').selectAll().where('user_id', '=', userId);
    if (options.status?.length) q = q.where('status', 'in', options.status);
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit ?? 20)
      .offset(options.offset ?? 0)
      .execute();
    return rows.map((row) => this.toRecord(row));
  }

  /** The user's runs with status and progress, newest first (no plans or results read). */
  async summaries(userId: string, options: { limit?: number; status?: RunStatus[] } = {}): Promise<RunSummary[]> {
    checkId('user id', userId);
    let q = this.context.db
      .selectFrom('runs')
      .select(['id', 'status', 'examples', 'done', 'successful', 'failed', 'created_at', 'finished_at', 'error'])
      .where('user_id', '=', userId);
    if (options.status?.length) q = q.where('status', 'in', options.status);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit ?? 20).execute();
    return rows.map((r) => ({
      id: r.id,
      status: r.status as RunStatus,
      examples: r.examples,
      done: r.done,
      successful: r.successful,
      failed: r.failed,
      createdAt: r.created_at,
      ...(r.finished_at !== null ? { finishedAt: r.finished_at } : {}),
      ...(r.error !== null ? { error: r.error } : {}),
    }));
  }

  async latest(userId: string): Promise<RunRecord | undefined> {
    return (await this.list(userId, { limit: 1 }))[0];
  }

  /** Remembers the Discord message that shows the run's progress. */
  async setMessage(runId: string, message: RunMessageInput): Promise<RunRecord | undefined> {
    if (!isId(runId)) return undefined;
    const now = Date.now();
    const result = await this.context.write((db) =>
      db.updateTable('runs').set({ message: JSON.stringify({ ...message, updatedAt: now }), updated_at: now }).where('id', '=', runId).executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0 ? this.get(runId) : undefined;
  }

  async setStatus(runId: string, status: RunStatus, error?: string): Promise<RunRecord | undefined> {
    if (!isId(runId)) return undefined;
    const now = Date.now();
    const closed = !OPEN.includes(status);
    const result = await this.context.write((db) =>
      db
        .updateTable('runs')
        .set((eb) => ({
          status,
          ...(error !== undefined ? { error } : {}),
          ...(closed ? { finished_at: eb.fn.coalesce('finished_at', eb.val(now)), owner: null } : {}),
          updated_at: now,
        }))
        .where('id', '=', runId)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) > 0 ? this.get(runId) : undefined;
  }

  /** Stores the final status and result (and why it failed, when it did). */
  async finish(runId: string, status: RunStatus, result: TrainingResult, error?: string): Promise<void> {
    checkId('run id', runId);
    const now = Date.now();
    await this.context.write(async (db) => {
      const exists = await db.selectFrom('runs').select('id').where('id', '=', runId).executeTakeFirst();
      if (!exists) {
        await db
          .insertInto('runs')
          .values(newRow(runId, { userId: result.user_id, examples: result.requested, genres: [], save: false, memory: false, voting: 'consensus' }, [], status, now))
          .execute();
      }
      await db
        .updateTable('runs')
        .set({ status, result: JSON.stringify(result), ...(error !== undefined ? { error } : {}), owner: null, finished_at: now, updated_at: now })
        .where('id', '=', runId)
        .execute();
    });
  }

  private toExample(row: Selectable<RunExamplesTable>): RunExample | undefined {
    if (!isGenre(row.genre) || (row.status !== 'ok' && row.status !== 'failed')) {
      this.context.issues.report('run_examples', `${row.run_id}#${row.idx}`, `unknown genre or status (${row.genre}, ${row.status})`);
      return undefined;
    }
    const reasons = parseJson<string[] | undefined>(this.context, 'run_examples.reasons', `${row.run_id}#${row.idx}`, row.reasons, undefined);
    const tally = parseJson<ExampleTally | undefined>(this.context, 'run_examples.tally', `${row.run_id}#${row.idx}`, row.tally, undefined);
    return {
      v: 1,
      i: row.idx,
      genre: row.genre,
      promptId: row.prompt_id,
      status: row.status,
      ...(row.winner_teacher_id !== null ? { winner: row.winner_teacher_id } : {}),
      ...(row.final_quality !== null ? { q: row.final_quality } : {}),
      ...(row.text_quality !== null ? { tq: row.text_quality } : {}),
      ...(row.confidence !== null ? { c: row.confidence } : {}),
      ...(row.story_quality !== null ? { sq: row.story_quality } : {}),
      ...(row.story_id !== null ? { storyId: row.story_id } : {}),
      fineTune: row.fine_tune === 1,
      memory: row.memory === 1,
      teachers: parseJson<RunExampleTeacher[]>(this.context, 'run_examples.candidates', `${row.run_id}#${row.idx}`, row.candidates, []),
      ...(reasons ? { reasons } : {}),
      finishedAt: row.finished_at,
      ...(tally && Array.isArray(tally.calls) ? { tally } : {}),
    };
  }

  /** The compact record of example `index`, if it was stored. */
  async example(runId: string, index: number): Promise<RunExample | undefined> {
    if (!isId(runId)) return undefined;
    const row = await this.context.db.selectFrom('run_examples').selectAll().where('run_id', '=', runId).where('idx', '=', index).executeTakeFirst();
    return row ? this.toExample(row) : undefined;
  }

  /** Every stored example of the run, in index order (an unreadable one is reported and left out). */
  async examples(runId: string): Promise<RunExample[]> {
    if (!isId(runId)) return [];
    const rows = await this.context.db.selectFrom('run_examples').selectAll().where('run_id', '=', runId).orderBy('idx').execute();
    return rows.map((row) => this.toExample(row)).filter((e): e is RunExample => e !== undefined);
  }

  /** Indexes of the run's finished examples, ascending: what a resumed run skips. */
  async finishedIndexes(runId: string): Promise<number[]> {
    if (!isId(runId)) return [];
    const rows = await this.context.db.selectFrom('run_examples').select('idx').where('run_id', '=', runId).orderBy('idx').execute();
    return rows.map((r) => r.idx);
  }

  /**
   * Writes one finished example and adds it to the run's counts, in one transaction; false (and
   * nothing changed) when that (run, index) was already stored. Creates a minimal run row if the
   * run was never started through this store.
   */
  async addExample(runId: string, userId: string, example: RunExample, delta: ExampleCountsDelta): Promise<boolean> {
    checkId('run id', runId);
    const now = Date.now();
    return this.context.write(async (db) => {
      await db
        .insertInto('runs')
        .values(newRow(runId, { userId, examples: 0, genres: [], save: false, memory: false, voting: 'consensus' }, [], 'running', now))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const inserted = await insertExample(db, runId, userId, example);
      if (!inserted) return false;
      await db
        .updateTable('runs')
        .set((eb) => ({
          done: eb('done', '+', 1),
          successful: eb('successful', '+', delta.successful ? 1 : 0),
          failed: eb('failed', '+', delta.successful ? 0 : 1),
          quality_sum: eb('quality_sum', '+', delta.successful ? (delta.quality ?? 0) : 0),
          stories_saved: eb('stories_saved', '+', delta.storySaved ? 1 : 0),
          fine_tune_added: eb('fine_tune_added', '+', delta.fineTune ? 1 : 0),
          memory_added: eb('memory_added', '+', delta.memory ? 1 : 0),
          heartbeat_at: now,
          updated_at: now,
        }))
        .where('id', '=', runId)
        .execute();
      return true;
    });
  }

  /** Says the owner's runs are alive. */
  async heartbeat(runIds: readonly string[], owner: string): Promise<void> {
    if (runIds.length === 0) return;
    const now = Date.now();
    await this.context.write((db) => db.updateTable('runs').set({ heartbeat_at: now }).where('id', 'in', [...runIds]).where('owner', '=', owner).execute());
  }

  /**
   * Marks runs left queued or running by a process that stopped as interrupted: those whose
   * heartbeat is older than `staleMs`, or (with `owner`) those of that owner. Returns their ids.
   */
  async markInterrupted(options: { staleMs?: number; owner?: string } = {}): Promise<string[]> {
    const now = Date.now();
    const staleBefore = now - (options.staleMs ?? 60_000);
    return this.context.write(async (db) => {
      let q = db.selectFrom('runs').select('id').where('status', 'in', [...OPEN]);
      q = options.owner !== undefined ? q.where('owner', '=', options.owner) : q.where((eb) => eb.or([eb('heartbeat_at', 'is', null), eb('heartbeat_at', '<', staleBefore)]));
      const ids = (await q.orderBy('created_at').execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      await db
        .updateTable('runs')
        .set((eb) => ({ status: 'interrupted', error: 'The process running it stopped before it finished.', finished_at: eb.fn.coalesce('finished_at', eb.val(now)), owner: null, updated_at: now }))
        .where('id', 'in', ids)
        .execute();
      return ids;
    });
  }

  /** The owners of runs still queued or running. */
  async openOwners(): Promise<string[]> {
    const rows = await this.context.db.selectFrom('runs').select('owner').distinct().where('status', 'in', [...OPEN]).where('owner', 'is not', null).execute();
    return rows.map((r) => r.owner as string);
  }

  /** Interrupted runs of every user, oldest first: what a starting bot resumes. */
  async interrupted(limit = 1000): Promise<RunRecord[]> {
    const rows = await this.context.db.selectFrom('runs').selectAll().where('status', '=', 'interrupted').orderBy('created_at').orderBy('id').limit(limit).execute();
    return rows.map((row) => this.toRecord(row));
  }

  /** Deletes the user's runs and their examples; returns how many runs went. */
  async forgetUser(userId: string): Promise<number> {
    checkId('user id', userId);
    return this.context.write(async (db) => {
      // Their examples go with them (foreign key, on delete cascade).
      const runs = await db.deleteFrom('runs').where('user_id', '=', userId).executeTakeFirst();
      return Number(runs.numDeletedRows);
    });
  }
}

async function insertExample(db: Kysely<Database>, runId: string, userId: string, e: RunExample): Promise<boolean> {
  const result = await db
    .insertInto('run_examples')
    .values({
      run_id: runId,
      idx: e.i,
      user_id: userId,
      genre: e.genre,
      prompt_id: e.promptId,
      status: e.status,
      winner_teacher_id: e.winner ?? null,
      final_quality: e.q ?? null,
      text_quality: e.tq ?? null,
      story_quality: e.sq ?? null,
      confidence: e.c ?? null,
      story_id: e.storyId ?? null,
      fine_tune: e.fineTune ? 1 : 0,
      memory: e.memory ? 1 : 0,
      candidates: JSON.stringify(e.teachers),
      reasons: e.reasons ? JSON.stringify(e.reasons) : null,
      finished_at: e.finishedAt,
      tally: e.tally ? JSON.stringify(e.tally) : null,
    })
    .onConflict((oc) => oc.columns(['run_id', 'idx']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}
