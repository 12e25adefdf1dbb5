/**
 * Training runs: options, status, running counts, a compact record of every finished example
 * (each under its own key, written as the example finishes), the final result and the Discord
 * message the run reports to. Runs still queued or running when the process stopped are marked
 * interrupted at the next start.
 */
import type { RunOptions, RunStatus, TrainingResult } from '../trainer/types.ts';
import type { TeacherInfo } from '../teachers/types.ts';
import { CachedRecords } from './cache.ts';
import { StorageError } from './errors.ts';
import { checkId, keys } from './keys.ts';
import type { Kv } from './kv.ts';
import {
  decodeRead,
  idListCodec,
  runCodec,
  runExampleCodec,
  type IdList,
  type RunCounts,
  type RunExample,
  type RunMessageInput,
  type RunRecord,
} from './records.ts';

export type { RunExample, RunMessage, RunMessageInput, RunRecord, RunCounts } from './records.ts';

/** init of an update that only runs after the record was found. */
function missingRun(runId: string): () => never {
  return () => {
    throw new StorageError(`Run ${runId} vanished while being updated.`, 'IO');
  };
}

const OPEN: readonly RunStatus[] = ['queued', 'running'];

const emptyCounts = (): RunCounts => ({ done: 0, successful: 0, failed: 0, storiesSaved: 0, fineTuneAdded: 0, memoryAdded: 0, qualitySum: 0 });
const emptyList = (): IdList => ({ v: 1, ids: [] });

function optionsRecord(options: RunOptions): RunRecord['options'] {
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

/** What one finished example adds to its run's counts. */
export interface ExampleCountsDelta {
  successful: boolean;
  quality?: number;
  storySaved: boolean;
  fineTune: boolean;
  memory: boolean;
}

export class RunRepository {
  private readonly runs: CachedRecords<RunRecord>;
  private readonly lists: CachedRecords<IdList>;

  constructor(private readonly kv: Kv) {
    this.runs = new CachedRecords(kv, runCodec, 200);
    this.lists = new CachedRecords(kv, idListCodec, 1000);
  }

  private newRecord(runId: string, options: RunOptions, teachers: TeacherInfo[], status: RunStatus, now: number): RunRecord {
    return {
      v: 1,
      id: runId,
      userId: options.userId,
      ...(options.guildId !== undefined ? { guildId: options.guildId } : {}),
      options: optionsRecord(options),
      teachers: teachers.map(({ id, provider, model, defaults }) => ({ id, provider, model, defaults: { ...defaults } })),
      status,
      counts: emptyCounts(),
      createdAt: now,
      ...(status === 'running' ? { startedAt: now } : {}),
      updatedAt: now,
    };
  }

  private async track(runId: string, userId: string): Promise<void> {
    await this.lists.update(keys.userRuns(userId), emptyList, (list) => {
      if (!list.ids.includes(runId)) list.ids.push(runId);
    });
    await this.lists.update(keys.activeRuns(), emptyList, (list) => {
      if (!list.ids.includes(runId)) list.ids.push(runId);
    });
  }

  private async untrack(runId: string): Promise<void> {
    await this.lists.update(keys.activeRuns(), emptyList, (list) => {
      list.ids = list.ids.filter((id) => id !== runId);
    });
  }

  /** Records a run waiting for its turn (status `queued`). */
  async create(runId: string, options: RunOptions, teachers: TeacherInfo[] = []): Promise<RunRecord> {
    checkId('run id', runId);
    checkId('user id', options.userId);
    const now = Date.now();
    const record = await this.runs.update(
      keys.run(runId),
      () => this.newRecord(runId, options, teachers, 'queued', now),
      () => undefined,
    );
    await this.track(runId, options.userId);
    return record;
  }

  /** Marks the run running (creating it if it was never queued). */
  async start(runId: string, options: RunOptions, teachers: TeacherInfo[]): Promise<RunRecord> {
    checkId('run id', runId);
    checkId('user id', options.userId);
    const now = Date.now();
    const record = await this.runs.update(
      keys.run(runId),
      () => this.newRecord(runId, options, teachers, 'running', now),
      (run) => {
        run.status = 'running';
        run.startedAt ??= now;
        if (teachers.length > 0) run.teachers = this.newRecord(runId, options, teachers, 'running', now).teachers;
        run.updatedAt = now;
      },
    );
    await this.track(runId, options.userId);
    return record;
  }

  /** The run, or undefined; with `userId`, also undefined when the run is someone else's. */
  async get(runId: string, userId?: string): Promise<RunRecord | undefined> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(runId)) return undefined;
    const run = await this.runs.read(keys.run(runId));
    if (!run || (userId !== undefined && run.userId !== userId)) return undefined;
    return structuredClone(run);
  }

  /** The user's runs, newest first. */
  async list(userId: string, options: { limit?: number; offset?: number } = {}): Promise<RunRecord[]> {
    const list = await this.lists.read(keys.userRuns(userId));
    const ids = [...(list?.ids ?? [])].reverse().slice(options.offset ?? 0, (options.offset ?? 0) + (options.limit ?? 20));
    const out: RunRecord[] = [];
    for (const id of ids) {
      const run = await this.get(id, userId);
      if (run) out.push(run);
    }
    return out;
  }

  async latest(userId: string): Promise<RunRecord | undefined> {
    return (await this.list(userId, { limit: 1 }))[0];
  }

  /** Remembers the Discord message that shows the run's progress. */
  async setMessage(runId: string, message: RunMessageInput): Promise<RunRecord | undefined> {
    if (!(await this.runs.read(keys.run(runId)))) return undefined;
    const now = Date.now();
    const run = await this.runs.update(keys.run(runId), missingRun(runId), (r) => {
      r.message = { ...message, updatedAt: now };
      r.updatedAt = now;
    });
    return structuredClone(run);
  }

  async setStatus(runId: string, status: RunStatus, error?: string): Promise<RunRecord | undefined> {
    if (!(await this.runs.read(keys.run(runId)))) return undefined;
    const now = Date.now();
    const run = await this.runs.update(keys.run(runId), missingRun(runId), (r) => {
      r.status = status;
      if (error !== undefined) r.error = error;
      if (!OPEN.includes(status)) r.finishedAt ??= now;
      r.updatedAt = now;
    });
    if (!OPEN.includes(status)) await this.untrack(runId);
    return structuredClone(run);
  }

  /** Stores the final status and result. */
  async finish(runId: string, status: RunStatus, result: TrainingResult): Promise<void> {
    const now = Date.now();
    await this.runs.update(
      keys.run(runId),
      () => this.newRecord(runId, { userId: result.user_id, examples: result.requested, genres: [], save: false, memory: false, voting: 'consensus' }, [], status, now),
      (r) => {
        r.status = status;
        r.result = structuredClone(result);
        r.finishedAt = now;
        r.updatedAt = now;
      },
    );
    await this.untrack(runId);
  }

  /** The compact record of example `index`, if it was stored. */
  async example(runId: string, index: number): Promise<RunExample | undefined> {
    const key = keys.runExample(runId, index);
    const decoded = decodeRead(this.kv, key, await this.kv.get(key), runExampleCodec);
    return decoded.state === 'ok' ? decoded.value : undefined;
  }

  /** Every stored example of the run, in index order (unreadable ones skipped and reported). */
  async examples(runId: string): Promise<RunExample[]> {
    const run = await this.runs.read(keys.run(runId));
    if (!run) return [];
    const total = Math.max(run.options.examples, run.counts.done);
    const exampleKeys = Array.from({ length: total }, (_, i) => keys.runExample(runId, i));
    const reads = await this.kv.getMany(exampleKeys);
    const out: RunExample[] = [];
    reads.forEach((read, i) => {
      const decoded = decodeRead(this.kv, exampleKeys[i] as string, read, runExampleCodec);
      if (decoded.state === 'ok') out.push(decoded.value);
    });
    return out;
  }

  /**
   * Writes one finished example, then adds it to the run's counts. Creates a minimal run record
   * if the run was never started through this store.
   */
  async addExample(runId: string, userId: string, example: RunExample, delta: ExampleCountsDelta): Promise<void> {
    await this.kv.set(keys.runExample(runId, example.i), example);
    const now = Date.now();
    await this.runs.update(
      keys.run(runId),
      () => this.newRecord(runId, { userId, examples: 0, genres: [], save: false, memory: false, voting: 'consensus' }, [], 'running', now),
      (r) => {
        r.counts.done += 1;
        if (delta.successful) {
          r.counts.successful += 1;
          r.counts.qualitySum += delta.quality ?? 0;
        } else r.counts.failed += 1;
        if (delta.storySaved) r.counts.storiesSaved += 1;
        if (delta.fineTune) r.counts.fineTuneAdded += 1;
        if (delta.memory) r.counts.memoryAdded += 1;
        r.updatedAt = now;
      },
    );
  }

  /** Marks runs left queued or running by a stopped process as interrupted; returns their ids. */
  async markInterrupted(): Promise<string[]> {
    const active = await this.lists.read(keys.activeRuns());
    const marked: string[] = [];
    for (const runId of active?.ids ?? []) {
      const run = await this.runs.read(keys.run(runId));
      if (!run || !OPEN.includes(run.status)) continue;
      await this.setStatus(runId, 'interrupted', 'The bot stopped while this run was in progress.');
      marked.push(runId);
    }
    const seen = active?.ids ?? [];
    if (seen.length > 0) {
      await this.lists.update(keys.activeRuns(), emptyList, (list) => {
        list.ids = list.ids.filter((id) => !seen.includes(id));
      });
    }
    return marked;
  }

  clearCache(): void {
    this.runs.clear();
    this.lists.clear();
  }
}
