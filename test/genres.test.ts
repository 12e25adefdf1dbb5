import { describe, it, expect } from 'vitest';
import { GENRES, closestGenre, parseGenreList } from '../src/trainer/genres.ts';

function error(csv: string): string {
  const result = parseGenreList(csv);
  if (!('error' in result)) throw new Error(`expected an error for ${JSON.stringify(csv)}, got ${JSON.stringify(result)}`);
  return result.error;
}

describe('parseGenreList', () => {
  it('treats an empty or blank list as no selection', () => {
    expect(parseGenreList('')).toEqual({ genres: [] });
    expect(parseGenreList('   ')).toEqual({ genres: [] });
    expect(parseGenreList(' , ,, ')).toEqual({ genres: [] });
  });

  it('matches case-insensitively and ignores extra spaces', () => {
    expect(parseGenreList('horror, Science fiction,POETRY')).toEqual({ genres: ['Horror', 'Science Fiction', 'Poetry'] });
    expect(parseGenreList('  fairy    TALE ,young adult  ')).toEqual({ genres: ['Fairy Tale', 'Young Adult'] });
    expect(parseGenreList('science-fiction,young_adult')).toEqual({ genres: ['Science Fiction', 'Young Adult'] });
  });

  it('drops duplicates, keeping first-occurrence order', () => {
    expect(parseGenreList('Horror, poetry, HORROR,horror , Poetry')).toEqual({ genres: ['Horror', 'Poetry'] });
  });

  it('accepts all 25 genres', () => {
    expect(parseGenreList(GENRES.join(','))).toEqual({ genres: [...GENRES] });
    expect(parseGenreList(GENRES.map((g) => g.toUpperCase()).join(' , '))).toEqual({ genres: [...GENRES] });
  });

  it('rejects more than 25 entries', () => {
    expect(error([...GENRES, 'Horror'].join(','))).toMatch(/too many genres.*26.*25/i);
  });

  it('names the unknown genre and suggests the closest known one', () => {
    const message = error('Horror, horor');
    expect(message).toContain('"horor"');
    expect(message).toContain('did you mean Horror?');
    expect(error('sci-fi')).toContain('did you mean Science Fiction?');
    expect(error('Romanse')).toContain('did you mean Romance?');
    expect(error('hist')).toContain('did you mean Historical Fiction?');
    expect(error('ya')).toContain('did you mean Young Adult?');
    expect(error('fairytale')).toContain('did you mean Fairy Tale?');
  });

  it('reports every unknown name at once', () => {
    const message = error('mistery, Fantasy, westen');
    expect(message).toMatch(/^Unknown genres:/);
    expect(message).toContain('"mistery" (did you mean Mystery?)');
    expect(message).toContain('"westen" (did you mean Western?)');
    expect(message).not.toContain('Fantasy"');
  });

  it('truncates a very long unknown name in the error', () => {
    const message = error('x'.repeat(500));
    expect(message.length).toBeLessThan(120);
    expect(message).toContain('…');
  });
});

describe('closestGenre', () => {
  it('returns a genre for any input', () => {
    for (const input of ['', 'zzz', '123', 'Mythos', 'paranormal romance']) expect(GENRES).toContain(closestGenre(input));
    expect(closestGenre('Thriler')).toBe('Thriller');
    expect(closestGenre('urban')).toBe('Urban Fantasy');
  });
});
