/**
 * The fine-tuning collection of each user: every example of final quality ≥ 7.0 as (system,
 * prompt, story) with its quality, genre, winning teacher and settings, plus the losing
 * candidates (teacher, text, text quality) for later preference pairs. Exported as chat-format
 * JSON lines. The countdown to fine-tune rounds lives in src/personal.
 *
 * Also the user's fine-tune rounds (`ftr:*`, see src/personal/fineTuneRounds.ts): one record per
 * round with the dataset's figures, the best parameters and what the personal model build did.
 */
import { z } from 'zod';
import type { Genre } from '../trainer/genres.ts';
import type { GenerationSettings } from '../teachers/types.ts';
import { checkId, keys } from './keys.ts';
import type { Kv } from './kv.ts';
import { fineTuneCodec, genreSchema, makeCodec, type FineTuneExample, type RejectedCandidate } from './records.ts';
import { SeqLog } from './seqLog.ts';

export type { FineTuneExample, RejectedCandidate } from './records.ts';

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
export const fineTuneRoundCodec = makeCodec('fine-tune round', 1, fineTuneRoundSchema);

export class FineTuneRepository {
  private readonly log: SeqLog<FineTuneExample>;
  private readonly roundLog: SeqLog<FineTuneRound>;

  constructor(kv: Kv) {
    this.log = new SeqLog(
      kv,
      { meta: keys.fineTuneMeta, entry: keys.fineTuneExample, lock: (userId) => `lock:${keys.fineTuneMeta(userId)}` },
      fineTuneCodec,
    );
    this.roundLog = new SeqLog(
      kv,
      { meta: keys.fineTuneRoundsMeta, entry: keys.fineTuneRound, lock: (userId) => `lock:${keys.fineTuneRoundsMeta(userId)}` },
      fineTuneRoundCodec,
    );
  }

  /** The user's examples in collection order, a chunk at a time (unreadable ones skipped and reported). */
  async *examples(userId: string, chunkSize = 200): AsyncGenerator<FineTuneExample[]> {
    checkId('user id', userId);
    yield* this.log.chunks(userId, undefined, chunkSize);
  }

  /** Records a finished round; its number is the next one of the user (given to `build`). */
  async addRound(userId: string, build: NewFineTuneRound | ((round: number) => NewFineTuneRound)): Promise<FineTuneRound> {
    checkId('user id', userId);
    const { entry } = await this.roundLog.append(userId, (seq) => ({ ...(typeof build === 'function' ? build(seq + 1) : build), v: 1, seq, userId, round: seq + 1 }));
    return entry;
  }

  /** Rounds recorded for the user. */
  async roundCount(userId: string): Promise<number> {
    checkId('user id', userId);
    return (await this.roundLog.meta(userId)).count;
  }

  /** The user's most recent readable round, if any. */
  async latestRound(userId: string): Promise<FineTuneRound | undefined> {
    checkId('user id', userId);
    const { next } = await this.roundLog.meta(userId);
    // An unreadable last row (reported by the log) falls back to the one before it.
    for (let seq = next - 1; seq >= 0 && seq >= next - 8; seq--) {
      const round = await this.roundLog.get(userId, seq);
      if (round) return round;
    }
    return undefined;
  }

  /** The user's rounds, newest first. */
  async rounds(userId: string, options: { limit?: number } = {}): Promise<FineTuneRound[]> {
    checkId('user id', userId);
    const { next } = await this.roundLog.meta(userId);
    const limit = Math.max(0, Math.min(options.limit ?? 25, next));
    const seqs = Array.from({ length: limit }, (_, i) => next - 1 - i);
    return (await this.roundLog.getMany(userId, seqs)).filter((r): r is FineTuneRound => r !== undefined);
  }

  /** Adds one example; returns it and the user's total after it. */
  async add(input: NewFineTuneExample): Promise<{ example: FineTuneExample; total: number }> {
    checkId('user id', input.userId);
    const { entry, meta } = await this.log.append(input.userId, (seq) => ({
      v: 1,
      seq,
      userId: input.userId,
      runId: input.runId,
      index: input.index,
      system: input.system,
      prompt: input.prompt,
      story: input.story,
      quality: input.quality,
      textQuality: input.textQuality,
      ...(input.storyQuality !== undefined ? { storyQuality: input.storyQuality } : {}),
      genre: input.genre,
      teacherId: input.teacherId,
      settings: { ...input.settings },
      rejected: [...(input.rejected ?? [])].sort((a, b) => b.textQuality - a.textQuality),
      createdAt: input.createdAt ?? Date.now(),
    }));
    return { example: entry, total: meta.count };
  }

  async count(userId: string): Promise<number> {
    checkId('user id', userId);
    return (await this.log.meta(userId)).count;
  }

  /** The user's examples in the order they were collected. */
  async list(userId: string, options: { offset?: number; limit?: number } = {}): Promise<FineTuneExample[]> {
    checkId('user id', userId);
    const offset = options.offset ?? 0;
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const out: FineTuneExample[] = [];
    let seen = 0;
    for await (const chunk of this.log.chunks(userId)) {
      for (const example of chunk) {
        if (seen++ < offset) continue;
        out.push(example);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  /** Chat-format JSON lines ({"messages":[system,user,assistant], "metadata":{...}}), chunk by chunk. */
  async *exportChunks(userId: string, options: { metadata?: boolean } = {}): AsyncGenerator<string> {
    checkId('user id', userId);
    for await (const chunk of this.log.chunks(userId)) {
      yield chunk.map((example) => `${JSON.stringify(toChatLine(example, options.metadata ?? true))}\n`).join('');
    }
  }

  async export(userId: string, options: { metadata?: boolean } = {}): Promise<string> {
    let out = '';
    for await (const chunk of this.exportChunks(userId, options)) out += chunk;
    return out;
  }

  clearCache(): void {
    this.log.clearCache();
    this.roundLog.clearCache();
  }
}
