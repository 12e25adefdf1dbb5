import { describe, expect, it } from 'vitest';
import { cosineSimilarity, similarityMatrix, termsOf, tfidfVectors } from '../src/trainer/similarity.ts';

/** Smoothed IDF of the spec, written out independently. */
const idf = (n: number, df: number) => Math.log((1 + n) / (1 + df)) + 1;

describe('termsOf', () => {
  it('gives lower-cased unigrams then bigrams, punctuation stripped', () => {
    expect(termsOf('The Cat, sat!')).toEqual(['the', 'cat', 'sat', 'the cat', 'cat sat']);
    expect(termsOf('Alone')).toEqual(['alone']);
    expect(termsOf(' ...! ')).toEqual([]);
  });
});

describe('tfidfVectors', () => {
  it('weights raw term counts by the smoothed IDF of the set', () => {
    const [a, b] = tfidfVectors(['red red fox', 'blue fox']);
    // N = 2; "fox" is in both (df 2), the rest in one (df 1).
    expect(a?.get('red')).toBeCloseTo(2 * idf(2, 1), 12);
    expect(a?.get('fox')).toBeCloseTo(1 * idf(2, 2), 12);
    expect(a?.get('red red')).toBeCloseTo(idf(2, 1), 12);
    expect(a?.get('red fox')).toBeCloseTo(idf(2, 1), 12);
    expect(a?.size).toBe(4);
    expect(b?.get('fox')).toBeCloseTo(1, 12); // ln(3/3) + 1
    expect(b?.get('blue fox')).toBeCloseTo(idf(2, 1), 12);
  });

  it('gives an empty vector for a text without words', () => {
    expect(tfidfVectors(['', '!!'])[1]?.size).toBe(0);
  });
});

describe('cosineSimilarity', () => {
  it('is the normalised dot product, 0 for an empty vector', () => {
    const a = new Map([['x', 3], ['y', 4]]);
    const b = new Map([['x', 1]]);
    expect(cosineSimilarity(a, b)).toBeCloseTo(3 / 5, 12);
    expect(cosineSimilarity(b, a)).toBeCloseTo(3 / 5, 12);
    expect(cosineSimilarity(a, new Map())).toBe(0);
    expect(cosineSimilarity(a, new Map([['z', 1]]))).toBe(0);
  });
});

describe('similarityMatrix', () => {
  it('matches a hand computation: shared unigram, distinct bigrams', () => {
    // "a b" vs "a c": shared "a" (df 2 → idf 1); b, c, "a b", "a c" each df 1 → idf k.
    const k = idf(2, 1);
    const m = similarityMatrix(['a b', 'a c']);
    expect(m[0]?.[1]).toBeCloseTo(1 / (1 + 2 * k * k), 12);
  });

  it('bigrams separate texts with the same words in another order', () => {
    // Same three unigrams (idf 1), two bigrams each, none shared: cos = 3 / (3 + 2k²).
    const k = idf(2, 1);
    const s = similarityMatrix(['dog bites man', 'man bites dog'])[0]?.[1] ?? NaN;
    expect(s).toBeCloseTo(3 / (3 + 2 * k * k), 12);
    expect(s).toBeLessThan(1);
  });

  it('ignores case and punctuation; identical texts score 1, disjoint texts 0', () => {
    const m = similarityMatrix(['The Cat!', 'the cat', 'a dog']);
    expect(m[0]?.[1]).toBeCloseTo(1, 12);
    expect(m[0]?.[2]).toBe(0);
    expect(m[1]?.[2]).toBe(0);
  });

  it('is symmetric with a diagonal of 1, and all-0 rows and columns for texts without words', () => {
    const texts = ['the sea was calm', '', 'the sea was wild tonight', '  ?! ', 'a calm sea'];
    const m = similarityMatrix(texts);
    expect(m).toHaveLength(texts.length);
    for (let i = 0; i < texts.length; i++) {
      expect(m[i]).toHaveLength(texts.length);
      const empty = i === 1 || i === 3;
      expect(m[i]?.[i]).toBe(empty ? 0 : 1);
      for (let j = 0; j < texts.length; j++) {
        expect(m[i]?.[j]).toBe(m[j]?.[i]);
        if (empty) expect(m[i]?.[j]).toBe(0);
        expect(m[i]?.[j]).toBeGreaterThanOrEqual(0);
        expect(m[i]?.[j]).toBeLessThanOrEqual(1);
      }
    }
    expect(m[0]?.[2]).toBeGreaterThan(m[0]?.[4] ?? 1); // shares "the sea was" (with bigrams)
  });

  it('computes IDF over the given set only: a word everyone uses weighs less', () => {
    // "storm" is in every text of the first set, so the pair's shared word counts less than in the second.
    const withCommon = similarityMatrix(['storm night', 'storm day', 'storm dawn'])[0]?.[1] ?? NaN;
    const withRare = similarityMatrix(['storm night', 'storm day', 'calm dawn'])[0]?.[1] ?? NaN;
    expect(withCommon).toBeLessThan(withRare);
    const k = idf(3, 1);
    expect(withCommon).toBeCloseTo(1 / (1 + 2 * k * k), 12); // idf(storm) = ln(4/4) + 1 = 1
    const s = idf(3, 2);
    expect(withRare).toBeCloseTo((s * s) / (s * s + 2 * k * k), 12);
  });

  it('handles an empty set and a single text', () => {
    expect(similarityMatrix([])).toEqual([]);
    expect(similarityMatrix(['hello'])).toEqual([[1]]);
    expect(similarityMatrix([''])).toEqual([[0]]);
  });
});
