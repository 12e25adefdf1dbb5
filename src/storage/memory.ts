/**
 * Per-user memory: stories of final quality ≥ 7.0 (when the user turned memory on), retrievable by
 * a text query, top-k by BM25 relevance (MiniSearch's BM25+, in process, no network). Entries are
 * persisted one per key; the search index is built from them on a user's first search after a
 * start and kept in memory (least recently used users are dropped first), updated on every add.
 */
import MiniSearch from 'minisearch';
import type { Genre } from '../trainer/genres.ts';
import { StorageError } from './errors.ts';
import { checkId, keys } from './keys.ts';
import type { Kv } from './kv.ts';
import { memoryEntryCodec, type MemoryEntry } from './records.ts';
import { SeqLog } from './seqLog.ts';

export type { MemoryEntry } from './records.ts';

export interface NewMemory {
  userId: string;
  runId: string;
  genre: Genre;
  prompt: string;
  text: string;
  quality: number;
  teacherId: string;
  storyId?: string;
  createdAt?: number;
}

export interface MemoryHit {
  entry: MemoryEntry;
  /** BM25+ relevance; higher is better, comparable only within one search. */
  score: number;
  /** Query terms that matched. */
  terms: string[];
}

export interface MemoryRepositoryOptions {
  /** Documents kept in in-memory search indexes across users. Default 200,000. */
  cacheDocuments?: number;
}

interface Doc {
  id: number;
  text: string;
  prompt: string;
  genre: string;
}

const STOP_WORDS = new Set(
  'a an and are as at be but by for from had has have he her his i in is it its of on or she that the their them they this to was were with you your'.split(' '),
);

/** Harman's "S" stemmer: dragons → dragon, stories → story, so plurals find singulars. */
export function sStem(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies') && !/[ae]ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (word.endsWith('es') && !/[aeo]es$/.test(word)) return word.slice(0, -1);
  if (word.endsWith('s') && !/[us]s$/.test(word)) return word.slice(0, -1);
  return word;
}

function processTerm(term: string): string | null {
  const t = term.toLowerCase().replace(/['’]s$/, '');
  return t.length < 2 || STOP_WORDS.has(t) ? null : sStem(t);
}

function newIndex(): MiniSearch<Doc> {
  return new MiniSearch<Doc>({
    fields: ['text', 'prompt', 'genre'],
    storeFields: [],
    processTerm,
    searchOptions: {
      boost: { prompt: 1.5, genre: 1.2 },
      prefix: (term) => term.length >= 4,
      weights: { fuzzy: 0.45, prefix: 0.375 },
    },
  });
}

const toDoc = (entry: MemoryEntry): Doc => ({ id: entry.seq, text: entry.text, prompt: entry.prompt, genre: entry.genre });

export class MemoryRepository {
  private readonly log: SeqLog<MemoryEntry>;
  private readonly indexes = new Map<string, MiniSearch<Doc>>();
  private readonly budget: number;

  constructor(kv: Kv, options: MemoryRepositoryOptions = {}) {
    this.log = new SeqLog(kv, { meta: keys.memoryMeta, entry: keys.memoryEntry, lock: (userId) => `lock:${keys.memoryMeta(userId)}` }, memoryEntryCodec);
    this.budget = options.cacheDocuments ?? 200_000;
  }

  private remember(userId: string, index: MiniSearch<Doc>): void {
    this.indexes.delete(userId);
    this.indexes.set(userId, index);
    let total = 0;
    for (const other of this.indexes.values()) total += other.documentCount;
    for (const [otherId, other] of this.indexes) {
      if (total <= this.budget || otherId === userId) break;
      this.indexes.delete(otherId);
      total -= other.documentCount;
    }
  }

  /** The user's search index, built from stored entries on first use; under the user's lock. */
  private async indexLocked(userId: string): Promise<MiniSearch<Doc>> {
    const cached = this.indexes.get(userId);
    if (cached) return cached;
    const meta = await this.log.metaLocked(userId);
    const index = newIndex();
    for await (const chunk of this.log.chunks(userId, meta.next, 500)) index.addAll(chunk.map(toDoc));
    this.remember(userId, index);
    return index;
  }

  async add(input: NewMemory): Promise<MemoryEntry> {
    checkId('user id', input.userId);
    if (input.text.trim() === '') throw new StorageError('A memory entry needs a text.', 'INVALID_INPUT');
    const { entry } = await this.log.append(
      input.userId,
      (seq) => ({
        v: 1,
        seq,
        userId: input.userId,
        runId: input.runId,
        genre: input.genre,
        prompt: input.prompt,
        text: input.text,
        quality: input.quality,
        teacherId: input.teacherId,
        ...(input.storyId !== undefined ? { storyId: input.storyId } : {}),
        createdAt: input.createdAt ?? Date.now(),
      }),
      // Still under the lock: a loaded index learns the entry at once.
      (added) => this.indexes.get(input.userId)?.add(toDoc(added)),
    );
    return entry;
  }

  /** The k entries most relevant to `query` (BM25+ over text, prompt and genre), best first. */
  async search(userId: string, query: string, k = 5): Promise<MemoryHit[]> {
    checkId('user id', userId);
    const limit = Math.max(1, Math.min(100, Math.floor(k)));
    if (query.trim() === '') return [];
    const index = this.indexes.get(userId) ?? (await this.log.withLock(userId, () => this.indexLocked(userId)));
    this.remember(userId, index);
    const results = index.search(query).slice(0, limit);
    if (results.length === 0) return [];
    const entries = await this.log.getMany(
      userId,
      results.map((r) => r.id as number),
    );
    const hits: MemoryHit[] = [];
    results.forEach((result, i) => {
      const entry = entries[i];
      if (entry) hits.push({ entry, score: result.score, terms: result.queryTerms });
    });
    return hits;
  }

  async count(userId: string): Promise<number> {
    checkId('user id', userId);
    return (await this.log.meta(userId)).count;
  }

  /** Forgets every memory entry of the user; returns how many were removed. */
  async clear(userId: string): Promise<number> {
    checkId('user id', userId);
    return this.log.withLock(userId, async () => {
      const removed = await this.log.clearLocked(userId);
      this.indexes.delete(userId);
      return removed;
    });
  }

  clearCache(): void {
    this.indexes.clear();
    this.log.clearCache();
  }
}
