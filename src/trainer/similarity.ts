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
 * One text's TF-IDF vector in the form the matrix uses: its distinct terms as small integers, in
 * the order a term Map of `tfidfVectors` holds them (unigrams in text order, then bigrams), with
 * their weights and the vector's norm.
 */
interface IndexedVector {
  terms: Int32Array;
  weights: Float64Array;
  norm: number;
}

/**
 * Each word as its number in `numbering`, a word not in it yet taking the next number: n-grams
 * become tuples of small integers instead of strings (every candidate of a run is counted so).
 */
export function numberWords(words: readonly string[], numbering: Map<string, number>): Int32Array {
  const ids = new Int32Array(words.length);
  for (let k = 0; k < words.length; k++) {
    const word = words[k] as string;
    let id = numbering.get(word);
    if (id === undefined) {
      id = numbering.size;
      numbering.set(word, id);
    }
    ids[k] = id;
  }
  return ids;
}

/**
 * The texts' TF-IDF vectors with terms numbered, not spelled: a word is numbered once for the
 * whole set, a bigram is a pair of word numbers. Same terms, counts, weights and order as
 * `tfidfVectors` — so the same floating-point sums — without a string per bigram and a Map per
 * text, which made the similarity matrix the largest source of a run's garbage.
 */
function indexedVectors(texts: readonly string[], words?: readonly (readonly string[])[]): { vectors: IndexedVector[]; termCount: number } {
  const wordIds = new Map<string, number>();
  const idsOf = texts.map((text, i) => numberWords(words?.[i] ?? tokenizeWords(text), wordIds));
  // Term numbers: a word's own number, then one per distinct bigram after all the words.
  const wordCount = wordIds.size;
  const bigramIds = new Map<number, number>();
  const termsOfText = idsOf.map((ids) => {
    const terms = new Int32Array(Math.max(0, 2 * ids.length - 1));
    terms.set(ids);
    for (let k = 0; k + 1 < ids.length; k++) {
      const key = (ids[k] as number) * wordCount + (ids[k + 1] as number);
      let id = bigramIds.get(key);
      if (id === undefined) {
        id = wordCount + bigramIds.size;
        bigramIds.set(key, id);
      }
      terms[ids.length + k] = id;
    }
    return terms;
  });
  const termCount = wordCount + bigramIds.size;
  // Counts of one text at a time in a shared array, cleared after use; df over the whole set.
  const counts = new Int32Array(termCount);
  const df = new Int32Array(termCount);
  const distinct = termsOfText.map((terms) => {
    const order: number[] = [];
    for (const t of terms) {
      if (counts[t] === 0) order.push(t);
      counts[t] = (counts[t] as number) + 1;
    }
    const tf = new Int32Array(order.length);
    order.forEach((t, k) => {
      tf[k] = counts[t] as number;
      counts[t] = 0;
      df[t] = (df[t] as number) + 1;
    });
    return { terms: Int32Array.from(order), tf };
  });
  const n = texts.length;
  const vectors = distinct.map(({ terms, tf }): IndexedVector => {
    const weights = new Float64Array(terms.length);
    let sum = 0;
    for (let k = 0; k < terms.length; k++) {
      const weight = (tf[k] as number) * (Math.log((1 + n) / (1 + (df[terms[k] as number] as number))) + 1);
      weights[k] = weight;
      sum += weight * weight;
    }
    return { terms, weights, norm: Math.sqrt(sum) };
  });
  return { vectors, termCount };
}

/**
 * `cosineWithNorms` of two indexed vectors: the larger is spread into `scratch` (all zeros, and
 * left so), the smaller is walked in its order — the order and the products of the Map version.
 */
function indexedCosine(a: IndexedVector, b: IndexedVector, scratch: Float64Array): number {
  if (a.terms.length === 0 || b.terms.length === 0) return 0;
  const small = a.terms.length <= b.terms.length ? a : b;
  const large = small === a ? b : a;
  for (let k = 0; k < large.terms.length; k++) scratch[large.terms[k] as number] = large.weights[k] as number;
  let dot = 0;
  for (let k = 0; k < small.terms.length; k++) dot += (small.weights[k] as number) * (scratch[small.terms[k] as number] as number);
  for (let k = 0; k < large.terms.length; k++) scratch[large.terms[k] as number] = 0;
  if (dot === 0) return 0;
  return Math.min(1, Math.max(0, dot / (a.norm * b.norm)));
}

/**
 * Pairwise similarity of the texts: a symmetric matrix where cell [i][j] is the cosine of the
 * TF-IDF vectors of texts i and j. The diagonal is 1 for a text with at least one word; a text
 * without words (empty, whitespace, punctuation only) has an all-0 row and column, diagonal included.
 */
export function similarityMatrix(texts: readonly string[], words?: readonly (readonly string[])[]): number[][] {
  const { vectors, termCount } = indexedVectors(texts, words);
  const scratch = new Float64Array(termCount);
  const n = texts.length;
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const vi = vectors[i] as IndexedVector;
    const rowI = matrix[i] as number[];
    rowI[i] = vi.terms.length > 0 ? 1 : 0;
    for (let j = i + 1; j < n; j++) {
      const s = indexedCosine(vi, vectors[j] as IndexedVector, scratch);
      rowI[j] = s;
      (matrix[j] as number[])[i] = s;
    }
  }
  return matrix;
}
