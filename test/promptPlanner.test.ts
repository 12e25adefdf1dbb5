import { describe, it, expect } from 'vitest';
import { GENRES, type Genre } from '../src/trainer/genres.ts';
import { createPromptPlanner, type PlannedExample } from '../src/trainer/promptPlanner.ts';
import { promptsFor } from '../src/trainer/prompts.ts';
import { createRandom } from '../src/trainer/random.ts';
import { STYLES } from '../src/trainer/styles.ts';

function plan(genres: Genre[], count: number, seed: string): PlannedExample[] {
  const planner = createPromptPlanner({ genres, random: createRandom(seed) });
  return Array.from({ length: count }, () => planner.next());
}

const summary = (examples: PlannedExample[]) => examples.map((e) => `${e.genre}|${e.prompt.id}|${e.style.id}`);
const pairKey = (e: PlannedExample) => `${e.prompt.id}|${e.style.id}`;
const SEEDS = ['alpha', 'beta', 'seed-3', ''];

describe('createRandom', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = createRandom('zega');
    const b = createRandom('zega');
    const c = createRandom('zegb');
    const xs = Array.from({ length: 100 }, () => a.next());
    expect(Array.from({ length: 100 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.next())).not.toEqual(xs);
    expect(a.seed).toBe('zega');
  });

  it('draws next() in [0, 1) and int(n) in [0, n), covering the range', () => {
    const random = createRandom('ranges');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = random.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      const n = random.int(7);
      expect(Number.isInteger(n) && n >= 0 && n < 7).toBe(true);
      seen.add(n);
    }
    expect(seen.size).toBe(7);
    expect(random.int(1)).toBe(0);
    expect(() => random.int(0)).toThrow(RangeError);
    expect(() => random.int(2.5)).toThrow(RangeError);
  });

  it('picks from and shuffles arrays without mutating them', () => {
    const random = createRandom('arrays');
    const items = ['a', 'b', 'c', 'd', 'e'] as const;
    expect(items).toContain(random.pick(items));
    expect(() => random.pick([])).toThrow(RangeError);
    const shuffled = random.shuffle(items);
    expect(shuffled).not.toBe(items);
    expect([...shuffled].sort()).toEqual([...items]);
    expect(items).toEqual(['a', 'b', 'c', 'd', 'e']);
    const orders = new Set(Array.from({ length: 200 }, () => random.shuffle(items).join('')));
    expect(orders.size).toBeGreaterThan(50);
  });

  it('seeds itself from crypto randomness when no seed is given, and reports a replayable seed', () => {
    const a = createRandom();
    const b = createRandom();
    expect(a.seed).not.toBe(b.seed);
    const replay = createRandom(a.seed);
    expect(Array.from({ length: 10 }, () => replay.next())).toEqual(Array.from({ length: 10 }, () => a.next()));
  });
});

describe('createPromptPlanner', () => {
  it('gives the same sequence for the same seed and a different one for a different seed', () => {
    const first = plan([], 250, 'run-42');
    expect(plan([], 250, 'run-42')).toEqual(first);
    expect(summary(plan([], 250, 'run-43'))).not.toEqual(summary(first));
    expect(summary(plan(['Horror', 'Poetry'], 50, 'x'))).toEqual(summary(plan(['Horror', 'Poetry'], 50, 'x')));
    expect(summary(plan(['Horror', 'Poetry'], 50, 'x'))).not.toEqual(summary(plan(['Horror', 'Poetry'], 50, 'y')));
  });

  it('sends the prompt text followed by the style instruction', () => {
    for (const e of plan([], 30, 'text')) {
      expect(e.text).toBe(`${e.prompt.text} Write it ${e.style.text}.`);
      expect(e.prompt.genre).toBe(e.genre);
      expect(STYLES).toContain(e.style);
    }
  });

  it('balances all 25 genres when none are selected: exactly 10 each over 250, never more than 1 apart', () => {
    for (const seed of SEEDS) {
      const counts = new Map<Genre, number>(GENRES.map((g) => [g, 0]));
      for (const e of plan([], 250, seed)) {
        counts.set(e.genre, (counts.get(e.genre) ?? 0) + 1);
        const values = [...counts.values()];
        expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
      }
      expect([...counts.values()]).toEqual(Array(25).fill(10));
    }
  });

  it('uses only and evenly the selected genres', () => {
    const selected: Genre[] = ['Western', 'Memoir', 'Epic'];
    const counts = new Map<Genre, number>();
    for (const e of plan(selected, 100, 'three')) {
      expect(selected).toContain(e.genre);
      counts.set(e.genre, (counts.get(e.genre) ?? 0) + 1);
      const values = selected.map((g) => counts.get(g) ?? 0);
      expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
    }
  });

  it('ignores duplicate genres in the selection and rejects unknown ones', () => {
    const examples = plan(['Horror', 'Horror', 'Poetry'], 100, 'dupes');
    expect(examples.filter((e) => e.genre === 'Horror')).toHaveLength(50);
    expect(() => createPromptPlanner({ genres: ['Cyberpunk' as Genre], random: createRandom('x') })).toThrow(/Cyberpunk/);
  });

  it('never repeats a (prompt, style) pair in 250 examples over Horror and Poetry, and cycles prompts in tens', () => {
    // 125 examples per genre fit in one cycle of 10 × STYLES.length pairs.
    expect(10 * STYLES.length).toBeGreaterThanOrEqual(125);
    for (const seed of SEEDS) {
      const examples = plan(['Horror', 'Poetry'], 250, seed);
      expect(new Set(examples.map(pairKey)).size).toBe(250);
      for (const genre of ['Horror', 'Poetry'] as const) {
        const own = examples.filter((e) => e.genre === genre);
        expect(own).toHaveLength(125);
        expect(new Set(own.slice(0, 10).map((e) => e.prompt.id)).size).toBe(10);
        // Every lap of 10 uses all 10 prompts, and (with ≥ 10 styles) 10 different styles.
        for (let start = 0; start + 10 <= own.length; start += 10) {
          const lap = own.slice(start, start + 10);
          expect(new Set(lap.map((e) => e.prompt.id)).size).toBe(10);
          expect(new Set(lap.map((e) => e.style.id)).size).toBe(10);
        }
        // No prompt twice in a row, even across laps.
        for (let i = 1; i < own.length; i++) expect(own[i]?.prompt.id).not.toBe(own[i - 1]?.prompt.id);
      }
    }
  });

  it('uses every (prompt, style) pair of a genre exactly once per cycle, then starts a new cycle', () => {
    const cycle = 10 * STYLES.length;
    const examples = plan(['Fantasy'], 2 * cycle + 10, 'one-genre');
    const firstCycle = examples.slice(0, cycle);
    const secondCycle = examples.slice(cycle, 2 * cycle);
    const allPairs = promptsFor('Fantasy').flatMap((p) => STYLES.map((s) => `${p.id}|${s.id}`));
    expect(new Set(firstCycle.map(pairKey))).toEqual(new Set(allPairs));
    expect(new Set(secondCycle.map(pairKey))).toEqual(new Set(allPairs));
    expect(secondCycle.map(pairKey)).not.toEqual(firstCycle.map(pairKey));
    for (let start = 0; start < examples.length; start += 10) {
      expect(new Set(examples.slice(start, start + 10).map((e) => e.prompt.id)).size).toBe(10);
    }
  });

  it('spreads styles: over all 25 genres, 250 examples use every style', () => {
    const counts = new Map<string, number>();
    for (const e of plan([], 250, 'styles')) counts.set(e.style.id, (counts.get(e.style.id) ?? 0) + 1);
    expect(counts.size).toBe(STYLES.length);
  });
});
