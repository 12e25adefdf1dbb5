/**
 * The fine-tuning dataset of each user (`fine_tune_examples`, with the losing candidates of each
 * example in `fine_tune_candidates`): every example of final quality ≥ 7.0 as (system, prompt,
 * story) with its quality, genre, winning teacher and settings. One row per (user, run, example index).
 * Exported as chat-format JSON lines. The countdown to fine-tune rounds lives in src/personal.
 *
 * Also the user's fine-tune rounds (`fine_tune_rounds`, see src/personal/fineTuneRounds.ts): one
 * row per round with the dataset's figures, the best parameters and what the personal model build
 * did, kept as JSON and validated when read.
 */
import { z } from 'zod';
import type { Kysely, Selectable } from 'kysely';
import { GENRES, isGenre, type Genre } from '../trainer/genres.ts';
import type { GenerationSettings } from '../teachers/types.ts';
import type { StoreContext } from './context.ts';
import { checkId } from './ids.ts';
import type { Database, FineTuneExamplesTable } from './schema.ts';

const genreSchema = z.enum(GENRES);

export interface RejectedCandidate {
  teacherId: string;
  text: string;
  textQuality: number;
  /** Human-aligned quality 0–10, once judged. */
  storyQuality?: number;
}

export interface FineTuneExample {
  v: 1;
  /** Position in the user's dataset (ascending, never reused). */
  seq: number;
  userId: string;
  runId: string;
  index: number;
  /** The library story this example also became, if any (deleting it removes this example). */
  storyId?: string;
  system: string;
  prompt: string;
  story: string;
  quality: number;
  textQuality: number;
  storyQuality?: number;
  genre: Genre;
  teacherId: string;
  settings: GenerationSettings;
  /** The losing candidates of the example, best first, for later preference pairs. */
  rejected: RejectedCandidate[];
  createdAt: number;
}

export interface NewFineTuneExample {
  userId: string;
  runId: string;
  index: number;
  system: string;
  prompt: string;
  story: string;
  quality: number;
  textQuality: number;
  storyQuality?: number;
  genre: Genre;
  teacherId: string;
  settings: GenerationSettings;
  rejected?: RejectedCandidate[];
  storyId?: string;
  createdAt?: number;
}

export interface ChatLine {
  messages: [{ role: 'system'; content: string }, { role: 'user'; content: string }, { role: 'assistant'; content: string }];
  metadata?: {
    quality: number;
    text_quality: number;
    /** The story score, beside the seed's qualities (absent on examples collected before it). */
    story_quality?: number;
    genre: Genre;
    teacher: string;
    settings: GenerationSettings;
    run_id: string;
    example_index: number;
    created_at: string;
  };
}

export function toChatLine(example: FineTuneExample, metadata = true): ChatLine {
  return {
    messages: [
      { role: 'system', content: example.system },
      { role: 'user', content: example.prompt },
      { role: 'assistant', content: example.story },
    ],
    ...(metadata
      ? {
          metadata: {
            quality: example.quality,
            text_quality: example.textQuality,
            ...(example.storyQuality !== undefined ? { story_quality: example.storyQuality } : {}),
            genre: example.genre,
            teacher: example.teacherId,
            settings: example.settings,
            run_id: example.runId,
            example_index: example.index,
            created_at: new Date(example.createdAt).toISOString(),
          },
        }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Fine-tune rounds

/** Best parameters in the product's wire shape (BestParams), plus the average quality they rest on. */
export const storedBestParamsSchema = z.object({
  best_model: z.string(),
  ensemble_confidence: z.number(),
  model_scores: z.record(z.string(), z.number()),
  generation_params: z.object({ temperature: z.number(), top_p: z.number(), max_tokens: z.number() }),
  samples: z.number(),
  /** Average final quality of the wins with the chosen settings. */
  average_quality: z.number(),
});
export type StoredBestParams = z.infer<typeof storedBestParamsSchema>;

export const personalModelSchema = z.object({
  /** The Ollama model name, `zega-<user>-v<N>`. */
  model: z.string(),
  version: z.number().int().positive(),
  base: z.string(),
  createdAt: z.number(),
  /** The round that built it. */
  round: z.number().int().positive(),
  fewShots: z.number().int().nonnegative(),
});
export type PersonalModelRecord = z.infer<typeof personalModelSchema>;

export const fineTuneRoundSchema = z.object({
  v: z.literal(1),
  seq: z.number().int().nonnegative(),
  userId: z.string(),
  /** 1-based round number (seq + 1). */
  round: z.number().int().positive(),
  trigger: z.enum(['auto', 'manual']),
  /** The user's fine-tuning examples when the round ran. */
  examples: z.number().int().nonnegative(),
  startedAt: z.number(),
  finishedAt: z.number(),
  dataset: z.object({
    examples: z.number().int().nonnegative(),
    preferencePairs: z.number().int().nonnegative(),
    averageQuality: z.number(),
    genres: z.partialRecord(genreSchema, z.number()),
  }),
  bestParams: z.object({
    overall: storedBestParamsSchema.optional(),
    perGenre: z.partialRecord(genreSchema, storedBestParamsSchema),
  }),
  build: z.object({
    /** built: a new personal model exists; skipped: Ollama is not configured; failed: Ollama refused. */
    status: z.enum(['built', 'skipped', 'failed']),
    base: z.string(),
    model: z.string().optional(),
    version: z.number().int().positive().optional(),
    fewShots: z.number().int().nonnegative().optional(),
    /** The previous version, removed from Ollama once this one existed. */
    removed: z.string().optional(),
    /** Why nothing was built (skipped or failed), for the user. */
    reason: z.string().optional(),
  }),
  /** The personal model in effect after this round: this round's build, or the one before. */
  current: personalModelSchema.optional(),
  /** Highest version ever built (the next build is this + 1). */
  latestVersion: z.number().int().nonnegative(),
});
export type FineTuneRound = z.infer<typeof fineTuneRoundSchema>;
export type NewFineTuneRound = Omit<FineTuneRound, 'v' | 'seq' | 'userId' | 'round'>;

type ExampleRow = Selectable<FineTuneExamplesTable>;

function toExample(row: ExampleRow, rejected: RejectedCandidate[]): FineTuneExample {
  if (!isGenre(row.genre)) throw new Error(`unknown genre ${JSON.stringify(row.genre)}`);
  return {
    v: 1,
    seq: row.id,
    userId: row.user_id,
    runId: row.run_id,
    index: row.idx,
    ...(row.story_id !== null ? { storyId: row.story_id } : {}),
    system: row.system,
    prompt: row.prompt,
    story: row.story,
    quality: row.quality,
    textQuality: row.text_quality,
    ...(row.story_quality !== null ? { storyQuality: row.story_quality } : {}),
    genre: row.genre,
    teacherId: row.teacher_id,
    settings: { temperature: row.temperature, topP: row.top_p, maxTokens: row.max_tokens },
    rejected,
    createdAt: row.created_at,
  };
}

export class FineTuneRepository {
  constructor(private readonly context: StoreContext) {}

  /** Rows with their candidates; an unreadable row is reported and left out. */
  private async withCandidates(db: Kysely<Database>, rows: ExampleRow[]): Promise<FineTuneExample[]> {
    if (rows.length === 0) return [];
    const candidates = await db
      .selectFrom('fine_tune_candidates')
      .selectAll()
      .where('example_id', 'in', rows.map((r) => r.id))
      .orderBy('example_id')
      .orderBy('rank')
      .execute();
    const byExample = new Map<number, RejectedCandidate[]>();
    for (const c of candidates) {
      const list = byExample.get(c.example_id) ?? [];
      list.push({ teacherId: c.teacher_id, text: c.text, textQuality: c.text_quality, ...(c.story_quality !== null ? { storyQuality: c.story_quality } : {}) });
      byExample.set(c.example_id, list);
    }
    const out: FineTuneExample[] = [];
    for (const row of rows) {
      try {
        out.push(toExample(row, byExample.get(row.id) ?? []));
      } catch (error) {
        this.context.issues.report('fine_tune_examples', String(row.id), error instanceof Error ? error.message : String(error));
      }
    }
    return out;
  }

  /** The user's examples in collection order, a chunk at a time (unreadable ones reported and left out). */
  async *examples(userId: string, chunkSize = 200): AsyncGenerator<FineTuneExample[]> {
    checkId('user id', userId);
    let after = 0;
    for (;;) {
      const rows = await this.context.db.selectFrom('fine_tune_examples').selectAll().where('user_id', '=', userId).where('id', '>', after).orderBy('id').limit(chunkSize).execute();
      if (rows.length === 0) return;
      const chunk = await this.withCandidates(this.context.db, rows);
      if (chunk.length > 0) yield chunk;
      after = (rows[rows.length - 1] as ExampleRow).id;
    }
  }

  /**
   * Adds one example with its losing candidates (best first); one per (user, run, example index): a
   * repeated add returns the stored one. Returns it and the user's total after it.
   */
  async add(input: NewFineTuneExample): Promise<{ example: FineTuneExample; total: number }> {
    checkId('user id', input.userId);
    checkId('run id', input.runId);
    return this.context.write(async (db) => {
      await this.insert(db, input);
      const row = await db
        .selectFrom('fine_tune_examples')
        .selectAll()
        .where('user_id', '=', input.userId)
        .where('run_id', '=', input.runId)
        .where('idx', '=', input.index)
        .executeTakeFirstOrThrow();
      const [example] = await this.withCandidates(db, [row]);
      const total = await this.countIn(db, input.userId);
      return { example: example as FineTuneExample, total };
    });
  }

  /**
   * `add` for the trainer, which needs only the user's new total: the row and its candidates are
   * not read back (two queries per training example fewer).
   */
  async addForTotal(input: NewFineTuneExample): Promise<number> {
    checkId('user id', input.userId);
    checkId('run id', input.runId);
    return this.context.write(async (db) => {
      await this.insert(db, input);
      return this.countIn(db, input.userId);
    });
  }

  private async insert(db: Kysely<Database>, input: NewFineTuneExample): Promise<void> {
    const rejected = [...(input.rejected ?? [])].sort((a, b) => b.textQuality - a.textQuality);
    const inserted = await db
      .insertInto('fine_tune_examples')
      .values({
        user_id: input.userId,
        run_id: input.runId,
        idx: input.index,
        story_id: input.storyId ?? null,
        system: input.system,
        prompt: input.prompt,
        story: input.story,
        quality: input.quality,
        text_quality: input.textQuality,
        story_quality: input.storyQuality ?? null,
        genre: input.genre,
        teacher_id: input.teacherId,
        temperature: input.settings.temperature,
        top_p: input.settings.topP,
        max_tokens: Math.round(input.settings.maxTokens),
        created_at: input.createdAt ?? Date.now(),
      })
      .onConflict((oc) => oc.columns(['user_id', 'run_id', 'idx']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted && rejected.length > 0) {
      await db
        .insertInto('fine_tune_candidates')
        .values(rejected.map((r, rank) => ({ example_id: inserted.id, rank, teacher_id: r.teacherId, text: r.text, text_quality: r.textQuality, story_quality: r.storyQuality ?? null })))
        .execute();
    }
  }

  private async countIn(db: Kysely<Database>, userId: string): Promise<number> {
    const row = await db.selectFrom('fine_tune_examples').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async count(userId: string): Promise<number> {
    checkId('user id', userId);
    return this.countIn(this.context.db, userId);
  }

  /** The user's examples in the order they were collected. */
  async list(userId: string, options: { offset?: number; limit?: number } = {}): Promise<FineTuneExample[]> {
    checkId('user id', userId);
    let q = this.context.db.selectFrom('fine_tune_examples').selectAll().where('user_id', '=', userId).orderBy('id');
    if (options.limit !== undefined) q = q.limit(options.limit);
    if (options.offset) q = options.limit === undefined ? q.limit(Number.MAX_SAFE_INTEGER).offset(options.offset) : q.offset(options.offset);
    return this.withCandidates(this.context.db, await q.execute());
  }

  /** Chat-format JSON lines ({"messages":[system,user,assistant], "metadata":{...}}), chunk by chunk. */
  async *exportChunks(userId: string, options: { metadata?: boolean } = {}): AsyncGenerator<string> {
    for await (const chunk of this.examples(userId)) {
      yield chunk.map((example) => `${JSON.stringify(toChatLine(example, options.metadata ?? true))}\n`).join('');
    }
  }

  async export(userId: string, options: { metadata?: boolean } = {}): Promise<string> {
    let out = '';
    for await (const chunk of this.exportChunks(userId, options)) out += chunk;
    return out;
  }

  // -- fine-tune rounds ---------------------------------------------------------------------------

  private decodeRound(row: { user_id: string; round: number; data: string }): FineTuneRound | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(row.data);
    } catch {
      this.context.issues.report('fine_tune_rounds', `${row.user_id}#${row.round}`, 'not valid JSON');
      return undefined;
    }
    const parsed = fineTuneRoundSchema.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      this.context.issues.report('fine_tune_rounds', `${row.user_id}#${row.round}`, first ? `${first.path.join('.') || '(root)'} ${first.message}` : 'invalid');
      return undefined;
    }
    return parsed.data;
  }

  /** Records a finished round; its number is the next one of the user (given to `build`). */
  async addRound(userId: string, build: NewFineTuneRound | ((round: number) => NewFineTuneRound)): Promise<FineTuneRound> {
    checkId('user id', userId);
    return this.context.write(async (db) => {
      const last = await db.selectFrom('fine_tune_rounds').select((eb) => eb.fn.max('round').as('round')).where('user_id', '=', userId).executeTakeFirst();
      const round = Number(last?.round ?? 0) + 1;
      const record: FineTuneRound = { ...(typeof build === 'function' ? build(round) : build), v: 1, seq: round - 1, userId, round };
      const checked = fineTuneRoundSchema.parse(record);
      await db
        .insertInto('fine_tune_rounds')
        .values({ user_id: userId, round, data: JSON.stringify(checked), model: checked.current?.model ?? null, created_at: checked.finishedAt })
        .execute();
      return checked;
    });
  }

  /** Rounds recorded for the user. */
  async roundCount(userId: string): Promise<number> {
    checkId('user id', userId);
    const row = await this.context.db.selectFrom('fine_tune_rounds').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The user's most recent readable round, if any (an unreadable last one is reported). */
  async latestRound(userId: string): Promise<FineTuneRound | undefined> {
    return (await this.rounds(userId, { limit: 8 }))[0];
  }

  /** The user's rounds, newest first. */
  async rounds(userId: string, options: { limit?: number } = {}): Promise<FineTuneRound[]> {
    checkId('user id', userId);
    const rows = await this.context.db
      .selectFrom('fine_tune_rounds')
      .select(['user_id', 'round', 'data'])
      .where('user_id', '=', userId)
      .orderBy('round', 'desc')
      .limit(Math.max(0, options.limit ?? 25))
      .execute();
    return rows.map((row) => this.decodeRound(row)).filter((r): r is FineTuneRound => r !== undefined);
  }

  /** Every personal model name the user's rounds mention (for erasing them from Ollama). */
  async personalModels(userId: string): Promise<string[]> {
    checkId('user id', userId);
    const names = new Set<string>();
    for (const round of await this.rounds(userId, { limit: 10_000 })) {
      if (round.build.model) names.add(round.build.model);
      if (round.current?.model) names.add(round.current.model);
    }
    return [...names];
  }

  /** Deletes the user's dataset and rounds; returns how many rows of each went. */
  async forgetUser(userId: string): Promise<{ examples: number; rounds: number }> {
    checkId('user id', userId);
    return this.context.write(async (db) => {
      const examples = await db.deleteFrom('fine_tune_examples').where('user_id', '=', userId).executeTakeFirst();
      const rounds = await db.deleteFrom('fine_tune_rounds').where('user_id', '=', userId).executeTakeFirst();
      return { examples: Number(examples.numDeletedRows), rounds: Number(rounds.numDeletedRows) };
    });
  }
}
