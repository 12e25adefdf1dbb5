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
