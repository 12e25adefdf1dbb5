/**
 * Per-user memory: stories of final quality ≥ 7.0 (when the user turned memory on), retrievable by
 * a text query, top-k by the database's own full-text ranking: SQLite FTS5 `bm25()` (porter
 * stemming, prompt weighted above genre above text), PostgreSQL `tsvector` + `ts_rank` (english
 * configuration, same weights) weighted by each term's rarity over a bounded candidate set. Nothing is indexed in the process, so every process sees every
 * entry at once.
 */
import { sql, type Selectable } from 'kysely';
import { isGenre, type Genre } from '../trainer/genres.ts';
import type { StoreContext } from './context.ts';
import { StorageError } from './errors.ts';
import { checkId } from './ids.ts';
import type { MemoryTable } from './schema.ts';

export interface MemoryEntry {
  v: 1;
  /** Position in the user's memory (ascending, never reused). */
  seq: number;
  userId: string;
  runId: string;
  genre: Genre;
  prompt: string;
  text: string;
  quality: number;
  teacherId: string;
  storyId?: string;
  createdAt: number;
}

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
  /** Relevance; higher is better, comparable only within one search. */
  score: number;
  /** Query terms found in the entry. */
  terms: string[];
}

const STOP_WORDS = new Set(
  'a an and are as at be but by for from had has have he her his i in is it its of on or she that the their them they this to was were with you your'.split(' '),
);

const MAX_TERMS = 32;

/** PostgreSQL: matches of one term read at most (its document frequency is counted up to here). */
const POSTGRES_TERM_CAP = 200;
/** PostgreSQL: candidates ranked per term (and for all terms together). */
const POSTGRES_CANDIDATES = 40;

/** The words of a query, lower-cased, without stop words: only letters and digits reach SQL. */
export function queryTerms(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => w.length >= 2 && !STOP_WORDS.has(w)))].slice(0, MAX_TERMS);
}

type MemoryRow = Selectable<Omit<MemoryTable, 'id'> & { id: number }>;

export class MemoryRepository {
  constructor(private readonly context: StoreContext) {}

  private toEntry(row: MemoryRow): MemoryEntry | undefined {
    if (!isGenre(row.genre)) {
      this.context.issues.report('memory', String(row.id), `unknown genre ${JSON.stringify(row.genre)}`);
      return undefined;
    }
    return {
      v: 1,
      seq: row.id,
      userId: row.user_id,
      runId: row.run_id,
      genre: row.genre,
      prompt: row.prompt,
      text: row.text,
      quality: row.quality,
      teacherId: row.teacher_id,
      ...(row.story_id !== null ? { storyId: row.story_id } : {}),
      createdAt: row.created_at,
    };
  }

  async add(input: NewMemory): Promise<MemoryEntry> {
    checkId('user id', input.userId);
    if (input.text.trim() === '') throw new StorageError('A memory entry needs a text.', 'INVALID_INPUT');
    const values = {
      user_id: input.userId,
      run_id: input.runId,
      story_id: input.storyId ?? null,
      genre: input.genre,
      prompt: input.prompt,
      text: input.text,
      quality: input.quality,
      teacher_id: input.teacherId,
      created_at: input.createdAt ?? Date.now(),
    };
    const row = await this.context.write((db) => db.insertInto('memory').values(values).returning('id').executeTakeFirstOrThrow());
    return this.toEntry({ ...values, id: row.id }) as MemoryEntry;
  }

  /** The k entries most relevant to `query`, best first. */
  async search(userId: string, query: string, k = 5): Promise<MemoryHit[]> {
    checkId('user id', userId);
    const limit = Math.max(1, Math.min(100, Math.floor(k)));
    const terms = queryTerms(query);
    if (terms.length === 0) return [];
    const rows = this.context.dialect === 'sqlite' ? await this.searchSqlite(userId, terms, limit) : await this.searchPostgres(userId, terms, limit);
    const hits: MemoryHit[] = [];
    for (const row of rows) {
      const entry = this.toEntry(row);
      if (!entry) continue;
      const haystack = `${entry.prompt} ${entry.text} ${entry.genre}`.toLowerCase();
      hits.push({ entry, score: Number(row.score), terms: terms.filter((t) => haystack.includes(t.length > 4 ? t.slice(0, -1) : t)) });
    }
    return hits;
  }

  private async searchSqlite(userId: string, terms: string[], limit: number): Promise<(MemoryRow & { score: number })[]> {
    // Column filters keep the user id apart from the words: `user_id : "u" AND {prompt text genre} : (...)`.
    // The top k are chosen inside FTS5 (rank = the weighted bm25 set at migration), then joined.
    const match = `user_id : "${userId}" AND {prompt text genre} : (${terms.map((t) => `"${t}"`).join(' OR ')})`;
    const result = await sql<MemoryRow & { score: number }>`
      select m.id, m.user_id, m.run_id, m.story_id, m.genre, m.prompt, m.text, m.quality, m.teacher_id, m.created_at, -f.rank as score
      from (select rowid, rank from memory_fts where memory_fts match ${match} order by rank limit ${limit}) f
      join memory m on m.id = f.rowid
      where m.user_id = ${userId}
      order by f.rank, m.id desc`.execute(this.context.db);
    return result.rows;
  }

  /**
   * PostgreSQL: ranking every match of a common word would read (and de-TOAST) thousands of
   * tsvectors per search, so only a bounded candidate set is ranked, found through the GIN index:
   *  - per query term, its first POSTGRES_TERM_CAP matches of this user: how many there are is the
   *    term's (capped) document frequency, and the first POSTGRES_CANDIDATES of them are candidates
   *    (a rare term's matches are all candidates);
   *  - the first POSTGRES_CANDIDATES entries holding every term.
   * Candidates are ranked like bm25: Σ over terms of idf × ts_rank (prompt above genre above text),
   * idf = ln(1 + cap / (df + ½)), so a rare word counts for more than a word every entry has.
   * The lateral join hides each term from the planner, which then picks the GIN bitmap scan rather
   * than a sequential scan that stops after the LIMIT (it de-TOASTs every row it looks at).
   */
  private async searchPostgres(userId: string, terms: string[], limit: number): Promise<(MemoryRow & { score: number })[]> {
    const sources = [...terms, terms.join(' ')];
    const result = await sql<MemoryRow & { score: number }>`
      with hits as materialized (
        select t.i, c.id, row_number() over (partition by t.i) as r
        from unnest(${sources}::text[]) with ordinality t(term, i)
        cross join lateral (
          select id from memory
          where user_id = ${userId} and search @@ plainto_tsquery('english', t.term)
          limit case when t.i <= ${terms.length}::int then ${POSTGRES_TERM_CAP}::int else ${POSTGRES_CANDIDATES}::int end
        ) c
      ),
      idf as materialized (
        select t.term, ln(1 + ${POSTGRES_TERM_CAP}::float8 / (count(h.id) + 0.5)) as weight
        from unnest(${terms}::text[]) with ordinality t(term, i) left join hits h on h.i = t.i
        group by t.i, t.term
      ),
      candidates as (select distinct id from hits where r <= ${POSTGRES_CANDIDATES}::int)
      select m.id, m.user_id, m.run_id, m.story_id, m.genre, m.prompt, m.text, m.quality, m.teacher_id, m.created_at,
             (select sum(idf.weight * ts_rank('{0.1, 0.4, 0.6, 1.0}', m.search, plainto_tsquery('english', idf.term))) from idf) as score
      from candidates join memory m on m.id = candidates.id
      where m.user_id = ${userId}
      order by score desc, m.id desc
      limit ${limit}`.execute(this.context.db);
    return result.rows;
  }

  async count(userId: string): Promise<number> {
    checkId('user id', userId);
    const row = await this.context.db.selectFrom('memory').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Forgets every memory entry of the user; returns how many were removed. */
  async clear(userId: string): Promise<number> {
    checkId('user id', userId);
    const result = await this.context.write((db) => db.deleteFrom('memory').where('user_id', '=', userId).executeTakeFirst());
    return Number(result.numDeletedRows);
  }
}
