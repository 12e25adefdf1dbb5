/**
 * Lexical similarity between the candidate stories of one example (see docs/scoring.md):
 *
 * - terms: word unigrams and bigrams of each text, with words from `tokenizeWords` (lower-cased,
 *   punctuation stripped; apostrophes and hyphens inside a word are kept). Bigrams join
 *   consecutive words of the whole text, across sentence boundaries.
 * - weight of a term in a text: tf × idf, tf = raw count of the term in the text,
 *   idf = ln((1 + N) / (1 + df)) + 1, N = number of texts in the set, df = texts containing the term.
 *   IDF is computed over the candidate set of one example only, so words every candidate uses
 *   weigh less than words only some share (but never 0, thanks to the +1).
 * - similarity: cosine of the two weight vectors, in [0, 1].
 *
 * Pure and deterministic.
 */
import { tokenizeWords } from './scoring.ts';

/** Unigram and bigram terms of a text, in order, with repeats. Bigrams are "word1 word2". */
export function termsOf(text: string, words: readonly string[] = tokenizeWords(text)): string[] {
  const terms = [...words];
  for (let i = 0; i + 1 < words.length; i++) terms.push(`${words[i]} ${words[i + 1]}`);
  return terms;
}

/** TF-IDF vectors of a set of texts (one Map term → weight per text; empty Map for a text without words). */
export function tfidfVectors(texts: readonly string[], words?: readonly (readonly string[])[]): Map<string, number>[] {
  const counts = texts.map((text, i) => {
    const tf = new Map<string, number>();
    const count = (term: string) => tf.set(term, (tf.get(term) ?? 0) + 1);
    // The terms of `termsOf`, in its order, without building its array.
    const ws = words?.[i] ?? tokenizeWords(text);
    for (const word of ws) count(word);
    for (let j = 0; j + 1 < ws.length; j++) count(`${ws[j]} ${ws[j + 1]}`);
    return tf;
  });
  const df = new Map<string, number>();
  for (const tf of counts) for (const term of tf.keys()) df.set(term, (df.get(term) ?? 0) + 1);
  const n = texts.length;
  return counts.map((tf) => {
    const vector = new Map<string, number>();
    for (const [term, count] of tf) vector.set(term, count * (Math.log((1 + n) / (1 + (df.get(term) ?? 0))) + 1));
    return vector;
  });
}

/** Cosine similarity of two sparse vectors, clamped to [0, 1]; 0 when either is empty. */
export function cosineSimilarity(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  return cosineWithNorms(a, normOf(a), b, normOf(b));
}

/** Euclidean norm of a weight vector. */
function normOf(v: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const w of v.values()) sum += w * w;
  return Math.sqrt(sum);
}

/** The cosine with each vector's norm computed once, not once per pair (a matrix has n² pairs). */
function cosineWithNorms(a: ReadonlyMap<string, number>, normA: number, b: ReadonlyMap<string, number>, normB: number): number {
  if (a.size === 0 || b.size === 0) return 0;
  const small = a.size <= b.size ? a : b;
  const large = small === a ? b : a;
  let dot = 0;
  for (const [term, weight] of small) dot += weight * (large.get(term) ?? 0);
  if (dot === 0) return 0;
  return Math.min(1, Math.max(0, dot / (normA * normB)));
}

/**
 * Pairwise similarity of the texts: a symmetric matrix where cell [i][j] is the cosine of the
 * TF-IDF vectors of texts i and j. The diagonal is 1 for a text with at least one word; a text
 * without words (empty, whitespace, punctuation only) has an all-0 row and column, diagonal included.
 */
export function similarityMatrix(texts: readonly string[], words?: readonly (readonly string[])[]): number[][] {
  const vectors = tfidfVectors(texts, words);
  const norms = vectors.map(normOf);
  const n = texts.length;
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const vi = vectors[i] as Map<string, number>;
    const rowI = matrix[i] as number[];
    rowI[i] = vi.size > 0 ? 1 : 0;
    for (let j = i + 1; j < n; j++) {
      const s = cosineWithNorms(vi, norms[i] as number, vectors[j] as Map<string, number>, norms[j] as number);
      rowI[j] = s;
      (matrix[j] as number[])[i] = s;
    }
  }
  return matrix;
}
