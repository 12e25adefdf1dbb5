/**
 * Memory search ranking, the same expectations on SQLite (FTS5 bm25) and PostgreSQL (ts_rank
 * weighted by each term's rarity over a bounded candidate set): a rare word outweighs a word every
 * entry has, more query words found rank higher, the prompt counts above the text, the user's own
 * entries only — also when a word matches more entries than PostgreSQL reads per term.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore, type NewMemory, type ZegaStore } from '../src/storage/index.ts';
import { describeBackends } from './helpers/storageBackends.ts';

const FILLER = ['copper', 'kettle', 'garden', 'harbor', 'winter', 'bridge', 'market', 'orchard', 'violin', 'candle'];

function entry(userId: string, prompt: string, text: string): NewMemory {
  return { userId, runId: 'run-1', genre: 'Fantasy', prompt, text, quality: 8, teacherId: 'groq-llama' };
}

/** A text of filler words, a different mix per entry. */
function filler(i: number, words = 12): string {
  return Array.from({ length: words }, (_, w) => FILLER[(i * 7 + w * 3) % FILLER.length]).join(' ');
}

describeBackends('memory search ranking', (backend) => {
  let store: ZegaStore;
  beforeEach(async () => {
    store = await openStore(await backend.fresh());
  });
  afterEach(async () => {
    await store.close();
  });

  it('a rare word outweighs a common one, even against entries that repeat the common word', async () => {
    // More entries with the common word than PostgreSQL reads per term (200).
    for (let i = 0; i < 260; i++) {
      const repeats = i % 5 === 0 ? 'lighthouse lighthouse lighthouse ' : 'lighthouse ';
      await store.memory.add(entry('u1', `A tale of the ${FILLER[i % FILLER.length]}`, `${repeats}${filler(i)}`));
    }
    const rare = await store.memory.add(entry('u1', 'A tale of the harbor', `The zeppelin drifted over the ${filler(999, 6)}.`));
    const both = await store.memory.add(entry('u1', 'A tale of the market', `A lighthouse and a zeppelin ${filler(998, 6)}.`));
    await store.memory.add(entry('u2', 'Zeppelin zeppelin', 'zeppelin lighthouse zeppelin'));

    const hits = await store.memory.search('u1', 'lighthouse zeppelin', 5);
    expect(hits.map((h) => h.entry.seq).slice(0, 2)).toEqual([both.seq, rare.seq]);
    expect(hits).toHaveLength(5);
    expect(hits.every((h) => h.entry.userId === 'u1')).toBe(true);
    // Best first.
    expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
    expect(hits[0]?.terms).toEqual(['lighthouse', 'zeppelin']);
  });

  it('finds entries of a common word beyond the per-term cap, and only the user’s own', async () => {
    for (let i = 0; i < 230; i++) await store.memory.add(entry('u1', `Story ${i}`, `lantern ${filler(i)}`));
    for (let i = 0; i < 20; i++) await store.memory.add(entry('u2', `Story ${i}`, `lantern ${filler(i)}`));
    const hits = await store.memory.search('u1', 'lantern', 20);
    expect(hits).toHaveLength(20);
    expect(new Set(hits.map((h) => h.entry.seq)).size).toBe(20);
    expect(hits.every((h) => h.entry.userId === 'u1')).toBe(true);
    expect(await store.memory.search('u3', 'lantern', 5)).toEqual([]);
  });

  it('more query words found rank higher; the prompt counts above the text', async () => {
    const one = await store.memory.add(entry('u1', 'An evening walk', `The clock struck nine. ${filler(1)}`));
    const two = await store.memory.add(entry('u1', 'An evening walk', `The clock and its gears struck nine. ${filler(2)}`));
    const inText = await store.memory.add(entry('u1', 'A quiet morning', `She wound the pendulum slowly. ${filler(3)}`));
    const inPrompt = await store.memory.add(entry('u1', 'The pendulum', `She wound it slowly. ${filler(4)}`));
    for (let i = 0; i < 10; i++) await store.memory.add(entry('u1', 'Unrelated', filler(10 + i)));

    expect((await store.memory.search('u1', 'clock gears', 5)).map((h) => h.entry.seq)).toEqual([two.seq, one.seq]);
    expect((await store.memory.search('u1', 'pendulum', 5)).map((h) => h.entry.seq)).toEqual([inPrompt.seq, inText.seq]);
    expect(await store.memory.search('u1', 'nothing matches this', 5)).toEqual([]);
    // Words PostgreSQL's english configuration drops (and nothing else) find nothing, without an error.
    expect(await store.memory.search('u1', 'would should', 5)).toEqual([]);
    expect((await store.memory.search('u1', 'would pendulum', 5)).map((h) => h.entry.seq)).toEqual([inPrompt.seq, inText.seq]);
  });
});
