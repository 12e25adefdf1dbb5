/**
 * The fine-tuning collection of each user: every example of final quality ≥ 7.0 as (system,
 * prompt, story) with its quality, genre, winning teacher and settings, plus the losing
 * candidates (teacher, text, text quality) for later preference pairs. Exported as chat-format
 * JSON lines. A fine-tune round is due every FINE_TUNE_EVERY examples.
 */
import { FINE_TUNE_EVERY } from '../trainer/types.ts';
import type { Genre } from '../trainer/genres.ts';
import type { GenerationSettings } from '../teachers/types.ts';
import { checkId, keys } from './keys.ts';
import type { Kv } from './kv.ts';
import { fineTuneCodec, type FineTuneExample, type RejectedCandidate } from './records.ts';
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
  genre: Genre;
  teacherId: string;
  settings: GenerationSettings;
  rejected?: RejectedCandidate[];
  createdAt?: number;
}

export interface FineTuneProgress {
  total: number;
  every: number;
  /** Examples still needed before the next round is due (0 right when one is due). */
  untilNext: number;
  /** True when `total` is a positive multiple of `every`. */
  due: boolean;
}

export interface ChatLine {
  messages: [{ role: 'system'; content: string }, { role: 'user'; content: string }, { role: 'assistant'; content: string }];
  metadata?: {
    quality: number;
    text_quality: number;
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

export class FineTuneRepository {
  private readonly log: SeqLog<FineTuneExample>;

  constructor(kv: Kv) {
    this.log = new SeqLog(
      kv,
      { meta: keys.fineTuneMeta, entry: keys.fineTuneExample, lock: (userId) => `lock:${keys.fineTuneMeta(userId)}` },
      fineTuneCodec,
    );
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

  async progress(userId: string): Promise<FineTuneProgress> {
    const total = await this.count(userId);
    const rest = total % FINE_TUNE_EVERY;
    return { total, every: FINE_TUNE_EVERY, untilNext: rest === 0 && total > 0 ? 0 : FINE_TUNE_EVERY - rest, due: total > 0 && rest === 0 };
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
  }
}
