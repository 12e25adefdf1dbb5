/**
 * The `--teachers auto` bandit on its own: warm-up, choosing per genre, exploring, and starting
 * from earlier runs' records (capped, so a run's own examples overturn them).
 */
import { describe, expect, it } from 'vitest';
import { HISTORY_CAP, TeacherChooser, type TeacherHistory } from '../src/trainer/teacherChoice.ts';
import { createRandom } from '../src/trainer/random.ts';
import type { Genre } from '../src/trainer/genres.ts';
import type { ExampleRecord } from '../src/trainer/types.ts';

const TEACHERS = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => ({ id }));
const ids = (list: { id: string }[]) => list.map((t) => t.id);

/** One finished example in which every teacher in `asked` answered and `winner` won. */
function example(genre: Genre, asked: string[], winner: string): ExampleRecord {
  return {
    runId: 'r',
    userId: 'u',
    index: 0,
    genre,
    promptId: 'p',
    prompt: 'Write.',
    style: '',
    status: 'ok',
    outcomes: asked.map((teacherId) => ({ teacherId, ok: true, latencyMs: 10, settings: { temperature: 0.8, topP: 0.9, maxTokens: 600 }, text: 'A story.', textQuality: 8 })),
    winner: { teacherId: winner, text: 'A story.', settings: { temperature: 0.8, topP: 0.9, maxTokens: 600 }, textQuality: 8, confidence: 0.5, finalQuality: 8, votes: {} },
    toFineTune: true,
    toMemory: true,
    saveStory: false,
    finishedAt: 0,
  } as ExampleRecord;
}

describe('TeacherChooser', () => {
  it('asks everyone during the warm-up, then the best of each genre, still exploring now and then', () => {
    const chooser = new TeacherChooser({ pick: 3, warmupExamples: 10, explore: 0.2 });
    const random = createRandom('warm-up');
    // Ten examples of warm-up, two per turn.
    for (let i = 0; i < 5; i++) {
      expect(ids(chooser.choose('Horror', TEACHERS, random))).toEqual(ids(TEACHERS));
      chooser.record(example('Horror', ids(TEACHERS), i % 2 === 0 ? 'b' : 'd'));
      chooser.record(example('Comedy', ids(TEACHERS), 'g'));
    }
    let explored = 0;
    for (let i = 0; i < 100; i++) {
      const horror = ids(chooser.choose('Horror', TEACHERS, random));
      expect(horror).toEqual(expect.arrayContaining(['b', 'd']));
      expect(horror.length).toBeLessThanOrEqual(4);
      if (horror.length === 4) explored += 1;
      expect(ids(chooser.choose('Comedy', TEACHERS, random))).toContain('g');
    }
    expect(explored).toBeGreaterThan(5);
    expect(chooser.saved).toBeGreaterThan(0);
  });

  it('seeded with enough history skips the warm-up and picks each genre’s recorded winners', () => {
    const chooser = new TeacherChooser({ pick: 3, warmupExamples: 10, explore: 0 });
    const history: TeacherHistory[] = ids(TEACHERS).flatMap((teacherId) => [
      { teacherId, genre: 'Horror', asked: 50, wins: teacherId === 'c' ? 30 : teacherId === 'e' ? 15 : 0 },
      { teacherId, genre: 'Romance', asked: 50, wins: teacherId === 'a' ? 40 : 0 },
    ]);
    chooser.seed(history, ids(TEACHERS));
    const random = createRandom('seeded');
    expect(ids(chooser.choose('Horror', TEACHERS, random))).toEqual(expect.arrayContaining(['c', 'e']));
    expect(ids(chooser.choose('Horror', TEACHERS, random))).toHaveLength(3);
    expect(ids(chooser.choose('Romance', TEACHERS, random))).toContain('a');
  });

  it('keeps the warm-up when a teacher has too little history (a new roster entry is tried first)', () => {
    const chooser = new TeacherChooser({ pick: 3, warmupExamples: 10, explore: 0 });
    chooser.seed(ids(TEACHERS).filter((id) => id !== 'g').map((teacherId) => ({ teacherId, genre: 'Horror', asked: 100, wins: teacherId === 'a' ? 100 : 0 })), ids(TEACHERS));
    expect(ids(chooser.choose('Horror', TEACHERS, createRandom('new')))).toEqual(ids(TEACHERS));
  });

  it('weighs history as at most HISTORY_CAP examples, so the run’s own examples overturn a stale record', () => {
    const chooser = new TeacherChooser({ pick: 1, warmupExamples: 10, explore: 0 });
    chooser.seed(ids(TEACHERS).map((teacherId) => ({ teacherId, genre: 'Horror', asked: 10_000, wins: teacherId === 'a' ? 10_000 : 0 })), ids(TEACHERS));
    const random = createRandom('stale');
    expect(ids(chooser.choose('Horror', TEACHERS, random))).toEqual(['a']);
    // Now 'a' loses every example it is in, and 'f' (asked to explore, say) wins every one.
    for (let i = 0; i < HISTORY_CAP * 2; i++) chooser.record(example('Horror', ['a', 'f'], 'f'));
    expect(ids(chooser.choose('Horror', TEACHERS, random))).toEqual(['f']);
  });
});
