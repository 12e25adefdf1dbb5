/** The 25 genres of the product spec, in display order. Exactly 25: one Discord select menu holds them all. */
export const GENRES = [
  'Adventure',
  'Biography',
  'Comedy',
  'Contemporary',
  'Crime',
  'Drama',
  'Dystopian',
  'Epic',
  'Fairy Tale',
  'Fantasy',
  'Historical Fiction',
  'Horror',
  'Literary Fiction',
  'Memoir',
  'Mystery',
  'Mythology',
  'Paranormal',
  'Poetry',
  'Romance',
  'Science Fiction',
  'Short Story',
  'Thriller',
  'Urban Fantasy',
  'Western',
  'Young Adult',
] as const;

export type Genre = (typeof GENRES)[number];

const byLowerName = new Map<string, Genre>(GENRES.map((g) => [g.toLowerCase(), g]));

/** Case- and space-insensitive lookup (`science fiction`, ` Fairy tale `); undefined when unknown. */
export function parseGenre(input: string): Genre | undefined {
  return byLowerName.get(input.trim().replace(/\s+/g, ' ').toLowerCase());
}

export function isGenre(value: string): value is Genre {
  return (GENRES as readonly string[]).includes(value);
}

/** Most genres one list may name: all 25, as the Discord select menu allows. */
export const MAX_GENRE_SELECTION = GENRES.length;

/** Common short names that are not genres themselves but clearly mean one. Used only for suggestions. */
const ALIASES: Record<string, Genre> = {
  scifi: 'Science Fiction',
  'sci fi': 'Science Fiction',
  sf: 'Science Fiction',
  ya: 'Young Adult',
  teen: 'Young Adult',
  historical: 'Historical Fiction',
  history: 'Historical Fiction',
  literary: 'Literary Fiction',
  myth: 'Mythology',
  myths: 'Mythology',
  fairytale: 'Fairy Tale',
  'fairy tales': 'Fairy Tale',
  poem: 'Poetry',
  poems: 'Poetry',
  funny: 'Comedy',
  humor: 'Comedy',
  humour: 'Comedy',
  love: 'Romance',
  ghost: 'Paranormal',
  ghosts: 'Paranormal',
  supernatural: 'Paranormal',
  detective: 'Mystery',
  whodunit: 'Mystery',
  suspense: 'Thriller',
  autobiography: 'Memoir',
  cowboy: 'Western',
  dystopia: 'Dystopian',
  scary: 'Horror',
};

/** Plain Levenshtein distance; inputs are short (genre names), so O(n·m) is nothing. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The known genre closest to an unknown name, for "did you mean" hints: an alias (`sci-fi`,
 * `YA`), then a prefix (`hist` → Historical Fiction), then a substring (`fiction`), then the
 * smallest edit distance, ignoring case, spaces and punctuation. Always returns a genre; ties go
 * to display order.
 */
export function closestGenre(input: string): Genre {
  const words = input.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim().slice(0, 64);
  const compact = words.replace(/ /g, '');
  const alias = ALIASES[words] ?? ALIASES[compact];
  if (alias) return alias;
  if (compact.length >= 3) {
    const prefixed = GENRES.find((g) => g.toLowerCase().replace(/ /g, '').startsWith(compact));
    if (prefixed) return prefixed;
  }
  if (compact.length >= 4) {
    const containing = GENRES.find((g) => g.toLowerCase().replace(/ /g, '').includes(compact));
    if (containing) return containing;
  }
  let best: Genre = GENRES[0];
  let bestDistance = Infinity;
  for (const genre of GENRES) {
    const distance = editDistance(compact, genre.toLowerCase().replace(/ /g, ''));
    if (distance < bestDistance) {
      best = genre;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Parses a comma-separated genre list (`horror, Science fiction,POETRY`) as typed in a slash
 * command or CLI flag. Matching is case- and space-insensitive, and `-`/`_` count as spaces
 * (`science-fiction`, `young_adult`, handy in shells); duplicates are dropped (first
 * occurrence keeps its place); empty entries are ignored, so `''` means "no selection" (the
 * planner then balances over all 25). Every unknown name is reported at once, each with the
 * closest known genre, so the user can fix the whole list in one go.
 */
export function parseGenreList(csv: string): { genres: Genre[] } | { error: string } {
  const entries = csv
    .split(',')
    .map((entry) => entry.trim().replace(/\s+/g, ' '))
    .filter((entry) => entry.length > 0);
  if (entries.length > MAX_GENRE_SELECTION) {
    return { error: `Too many genres: ${entries.length} given, at most ${MAX_GENRE_SELECTION}.` };
  }
  const genres: Genre[] = [];
  const unknown: string[] = [];
  for (const entry of entries) {
    const genre = parseGenre(entry.replace(/[-_]+/g, ' '));
    if (!genre) {
      // Echo at most 40 characters of what the user typed, so one pasted paragraph cannot flood the reply.
      const shown = entry.length > 40 ? `${entry.slice(0, 39)}…` : entry;
      unknown.push(`"${shown}" (did you mean ${closestGenre(entry)}?)`);
    } else if (!genres.includes(genre)) {
      genres.push(genre);
    }
  }
  if (unknown.length > 0) {
    return { error: `Unknown genre${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.` };
  }
  return { genres };
}
