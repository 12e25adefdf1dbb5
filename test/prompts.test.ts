import { describe, it, expect } from 'vitest';
import { GENRES } from '../src/trainer/genres.ts';
import { PROMPTS, PROMPTS_PER_GENRE, genreSlug, promptById, promptsFor } from '../src/trainer/prompts.ts';
import { STYLES, styleById } from '../src/trainer/styles.ts';

describe('story prompts', () => {
  it('has 250 prompts, 10 for each of the 25 genres', () => {
    expect(GENRES).toHaveLength(25);
    expect(PROMPTS).toHaveLength(250);
    for (const genre of GENRES) {
      expect(promptsFor(genre), genre).toHaveLength(PROMPTS_PER_GENRE);
      expect(promptsFor(genre).every((p) => p.genre === genre)).toBe(true);
    }
    expect(new Set(PROMPTS.map((p) => p.genre))).toEqual(new Set(GENRES));
  });

  it('gives every prompt a unique id of genre slug plus 2-digit index', () => {
    expect(new Set(PROMPTS.map((p) => p.id)).size).toBe(PROMPTS.length);
    for (const genre of GENRES) {
      expect(promptsFor(genre).map((p) => p.id)).toEqual(
        Array.from({ length: 10 }, (_, i) => `${genreSlug(genre)}-${String(i + 1).padStart(2, '0')}`),
      );
    }
    expect(promptsFor('Fairy Tale')[6]?.id).toBe('fairy-tale-07');
    expect(promptsFor('Science Fiction')[9]?.id).toBe('science-fiction-10');
    for (const p of PROMPTS) expect(p.id).toMatch(/^[a-z]+(-[a-z]+)*-(0[1-9]|10)$/);
  });

  it('has unique texts of 60–220 characters, one or two sentences each', () => {
    const normalized = PROMPTS.map((p) => p.text.toLowerCase().replace(/\W+/g, ' ').trim());
    expect(new Set(normalized).size).toBe(PROMPTS.length);
    for (const p of PROMPTS) {
      expect(p.text.length, p.id).toBeGreaterThanOrEqual(60);
      expect(p.text.length, p.id).toBeLessThanOrEqual(220);
      expect(p.text, p.id).toMatch(/[.?!]$/);
      expect(p.text, p.id).toBe(p.text.trim());
      // Sentence ends, not counting "a.m." style abbreviations.
      const sentences = p.text.replace(/\b[ap]\.m\./g, 'am').split(/[.?!](?:\s|$)/).filter((s) => s.trim());
      expect(sentences.length, p.id).toBeLessThanOrEqual(2);
    }
  });

  it('suits prompts to their genre where the form matters', () => {
    for (const p of promptsFor('Poetry')) expect(p.text, p.id).toMatch(/\bpoem\b/i);
    for (const p of promptsFor('Memoir')) expect(p.text, p.id).toMatch(/first[- ]person/i);
    for (const p of promptsFor('Biography')) expect(p.text, p.id).toMatch(/biograph|life/i);
    for (const p of promptsFor('Mythology')) expect(p.text, p.id).toMatch(/\bmyth/i);
    for (const p of promptsFor('Fairy Tale')) expect(p.text, p.id).toMatch(/fairy tale/i);
  });

  it('looks prompts up by id', () => {
    const first = PROMPTS[0];
    expect(first).toBeDefined();
    expect(promptById(first?.id ?? '')).toBe(first);
    expect(promptById('fantasy-03')?.genre).toBe('Fantasy');
    expect(promptById('fantasy-11')).toBeUndefined();
    expect(promptById('')).toBeUndefined();
  });
});

describe('style modifiers', () => {
  it('has at least 12 styles with unique kebab-case ids and unique texts', () => {
    expect(STYLES.length).toBeGreaterThanOrEqual(12);
    expect(new Set(STYLES.map((s) => s.id)).size).toBe(STYLES.length);
    expect(new Set(STYLES.map((s) => s.text.toLowerCase())).size).toBe(STYLES.length);
    for (const s of STYLES) {
      expect(s.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      // Completes "Write it <text>.": lower case start, no final punctuation.
      expect(s.text).toMatch(/^[a-z]/);
      expect(s.text).not.toMatch(/[.!?]$/);
      expect(styleById(s.id)).toBe(s);
    }
  });
});
