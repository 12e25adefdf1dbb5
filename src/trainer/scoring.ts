/**
 * Text quality of one story, exactly as the product spec defines it (see docs/scoring.md):
 *
 *   base 7.0
 *   +1.0 if the trimmed text is 200–800 characters (code points), inclusive
 *   +0.5 if it has 3 or more sentences
 *   +0.5 if it has 2 or more descriptive words per 100 words
 *   +0.3 if it contains dialogue in double quotes (“…”, "…" or «…»)
 *   capped at 10.0 (the rules can reach at most 9.3, so the cap never bites today)
 *
 * Scores are computed in integer tenths so they are exact to one decimal (9.3, never 9.299999…).
 * The final quality of a winner mixes in the ensemble's confidence; see `finalQuality`.
 *
 * This module also owns the project's single word tokenizer (`tokenizeWords`), reused by the
 * lexical similarity in `similarity.ts`. Everything here is pure.
 */

// ---------------------------------------------------------------------------------------------
// Rule constants (points are also given in tenths internally, so sums are exact).
// ---------------------------------------------------------------------------------------------

export const BASE_QUALITY = 7.0;
export const QUALITY_CAP = 10.0;

/** Inclusive character range (code points of the trimmed text) that earns LENGTH_POINTS. */
export const LENGTH_MIN_CHARS = 200;
export const LENGTH_MAX_CHARS = 800;
export const LENGTH_POINTS = 1.0;

/** Sentences needed for SENTENCE_POINTS. */
export const MIN_SENTENCES = 3;
export const SENTENCE_POINTS = 0.5;

/** Descriptive words per 100 words needed for DESCRIPTIVE_POINTS (ratio ≥ threshold). */
export const MIN_DESCRIPTIVE_PER_100 = 2;
export const DESCRIPTIVE_POINTS = 0.5;

export const DIALOGUE_POINTS = 0.3;

/** Weights of `finalQuality`: textQuality × 0.7 + confidence × 10 × 0.3. */
export const TEXT_QUALITY_WEIGHT = 0.7;
export const CONFIDENCE_WEIGHT = 0.3;

const TENTHS = {
  base: 70,
  cap: 100,
  length: 10,
  sentences: 5,
  descriptive: 5,
  dialogue: 3,
} as const;

/** Highest score the rules can give: 7.0 + 1.0 + 0.5 + 0.5 + 0.3 = 9.3 (below the 10.0 cap). */
export const MAX_RULE_QUALITY =
  (TENTHS.base + TENTHS.length + TENTHS.sentences + TENTHS.descriptive + TENTHS.dialogue) / 10;

/** Caps a quality at QUALITY_CAP (10.0). */
export function capQuality(quality: number): number {
  return Math.min(QUALITY_CAP, quality);
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

/**
 * A word is a maximal run of letters, digits and combining marks (any script); an apostrophe
 * (' or ’) or hyphen directly between two such characters joins the parts into one word
 * ("don't", "well-known"). Everything else (spaces, punctuation, quotes, dashes at word edges,
 * emoji) separates words. Words are returned lower-cased, with ’ normalised to '.
 */
const WORD_RE = /[\p{L}\p{N}\p{M}]+(?:['’-][\p{L}\p{N}\p{M}]+)*/gu;

export function tokenizeWords(text: string): string[] {
  // `match` gives the words as plain strings (no match object per word): every candidate's text
  // goes through here, so the tokenizer's garbage is a good part of a run's.
  const words = text.match(WORD_RE) ?? [];
  for (let i = 0; i < words.length; i++) {
    const word = (words[i] as string).toLowerCase();
    words[i] = word.includes('’') ? word.replace(/’/g, "'") : word;
  }
  return words;
}

// ---------------------------------------------------------------------------------------------
// Characters and sentences
// ---------------------------------------------------------------------------------------------

/** Length of the trimmed text in Unicode code points ("😀" counts 1, "é" as one code point counts 1). */
export function characterCount(text: string): number {
  return codePointCount(text.trim());
}

/** Code points of a string, counted without building an array of them. */
export function codePointCount(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point written as two UTF-16 units.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count -= 1;
        i += 1;
      }
    }
  }
  return count;
}

/**
 * A sentence ends at a run of terminators (. ! ? …) optionally followed by closing quotes or
 * brackets (" ” » ' ’ ) ]), when that run is followed by whitespace or the end of the text. The
 * text between two ends (or after the last end) is a sentence only if it contains a letter.
 * So "3.14" does not end a sentence, "Wait… what?!" is two, and a final unterminated run with
 * letters counts. Naive on purpose: abbreviations ("Mr. Smith") split, and `"Run!" he said.`
 * is two sentences.
 */
const SENTENCE_END_RE = /[.!?…]+["”»'’)\]]*(?=\s|$)/u;
const LETTER_RE = /\p{L}/u;

export function countSentences(text: string): number {
  return text.split(SENTENCE_END_RE).filter((part) => LETTER_RE.test(part)).length;
}

// ---------------------------------------------------------------------------------------------
// Descriptive words
// ---------------------------------------------------------------------------------------------

/** Common adjectives and adverbs that the suffix rules below do not catch. Always descriptive. */
export const DESCRIPTIVE_WORDS: ReadonlySet<string> = new Set([
  // colour and light
  'red', 'blue', 'green', 'yellow', 'black', 'white', 'gray', 'grey', 'brown', 'pink', 'purple',
  'golden', 'silver', 'crimson', 'scarlet', 'violet', 'amber', 'pale', 'dark', 'bright', 'dim',
  'faint', 'vivid', 'shadowy', 'shiny', 'glowing',
  // size and shape
  'big', 'small', 'tiny', 'huge', 'vast', 'immense', 'little', 'large', 'tall', 'short', 'long',
  'wide', 'narrow', 'thin', 'thick', 'deep', 'shallow', 'round', 'flat', 'steep', 'slender',
  // touch, temperature, sound, taste, smell
  'soft', 'hard', 'rough', 'smooth', 'sharp', 'dull', 'cold', 'warm', 'hot', 'cool', 'icy',
  'frozen', 'damp', 'wet', 'dry', 'heavy', 'brittle', 'silent', 'quiet', 'loud', 'sweet',
  'bitter', 'sour', 'salty', 'fresh', 'stale', 'fragrant', 'musty',
  // adjectives in -y (there is no general -y rule: most -y words are nouns or function words)
  'misty', 'foggy', 'stormy', 'rainy', 'windy', 'cloudy', 'sunny', 'snowy', 'dusty', 'muddy',
  'sandy', 'rocky', 'smoky', 'silky', 'starry', 'hazy', 'gloomy', 'murky', 'chilly', 'frosty',
  'grassy', 'leafy', 'shaggy', 'creaky', 'rusty', 'dirty', 'empty', 'tidy', 'messy', 'glossy',
  'happy', 'angry', 'pretty', 'silly', 'crazy', 'lazy', 'busy', 'lucky', 'sleepy', 'hungry',
  'thirsty', 'merry', 'grumpy', 'moody', 'ugly', 'holy',
  // feeling and character
  'sad', 'afraid', 'calm', 'gentle', 'fierce', 'brave', 'proud', 'weary', 'eager', 'bold', 'shy',
  'cruel', 'wise', 'clever', 'tired', 'worried', 'scared', 'grim', 'stern', 'solemn', 'tender',
  'fond', 'glad',
  // age, state and quality
  'old', 'young', 'new', 'ancient', 'modern', 'strange', 'odd', 'weird', 'eerie', 'familiar',
  'handsome', 'elegant', 'fine', 'grand', 'broken', 'hidden', 'forgotten', 'wooden', 'rotten',
  'sudden', 'swift', 'fast', 'slow', 'rich', 'poor', 'clean', 'wild', 'tame', 'sacred', 'ruined',
  'abandoned', 'hollow', 'velvet', 'rare', 'epic', 'alone',
]);

/**
 * Words that look descriptive by suffix but usually are not (nouns, verbs, function words).
 * Only the suffix rules consult it; the list above always wins.
 */
export const NOT_DESCRIPTIVE_WORDS: ReadonlySet<string> = new Set([
  // -ly
  'only', 'family', 'early', 'reply', 'fly', 'belly', 'supply', 'apply', 'imply', 'comply',
  'multiply', 'rely', 'ally', 'rally', 'bully', 'jelly', 'holly', 'lily', 'folly', 'italy',
  'july', 'emily', 'molly', 'sally', 'kelly', 'billy', 'anomaly', 'assembly', 'butterfly',
  'dragonfly', 'firefly', 'monopoly', 'gully', 'tally', 'dolly', 'doily', 'homily',
  // -ful
  'handful', 'mouthful', 'spoonful', 'cupful', 'armful', 'bucketful', 'roomful',
  // -less
  'unless', 'bless', 'less', 'nevertheless', 'nonetheless',
  // -ive
  'drive', 'arrive', 'olive', 'strive', 'thrive', 'forgive', 'receive', 'perceive', 'deceive',
  'conceive', 'derive', 'deprive', 'survive', 'revive', 'archive', 'detective', 'motive',
  'contrive', 'connive', 'relive', 'outlive', 'executive', 'representative', 'relative', 'missive',
  'overdrive',
  // -ish
  'finish', 'publish', 'polish', 'punish', 'banish', 'vanish', 'cherish', 'perish', 'establish',
  'accomplish', 'astonish', 'diminish', 'relish', 'furnish', 'flourish', 'nourish', 'demolish',
  'abolish', 'radish', 'parish', 'anguish', 'relinquish', 'squish', 'garnish', 'tarnish',
  'admonish', 'replenish', 'embellish', 'extinguish', 'distinguish', 'blemish', 'lavish',
  'famish', 'ravish', 'brandish', 'burnish', 'impoverish', 'swedish', 'spanish',
  // -ic
  'music', 'topic', 'logic', 'panic', 'picnic', 'traffic', 'clinic', 'critic', 'mechanic',
  'republic', 'arithmetic', 'rhetoric', 'fabric', 'tunic', 'attic', 'relic', 'mimic', 'tonic',
  'garlic', 'lyric', 'magic', 'comic', 'cleric', 'medic', 'rubric', 'mosaic',
]);

/** Suffix rules: a word at least `minLength` characters long ending in `suffix` is descriptive. */
export const DESCRIPTIVE_SUFFIXES: readonly { suffix: string; minLength: number }[] = [
  { suffix: 'ly', minLength: 5 }, // adverbs: slowly, softly (and -ly adjectives: friendly)
  { suffix: 'ous', minLength: 6 }, // famous, dangerous
  { suffix: 'ful', minLength: 5 }, // awful, beautiful
  { suffix: 'less', minLength: 7 }, // endless, careless
  { suffix: 'ive', minLength: 6 }, // massive, pensive
  { suffix: 'ish', minLength: 6 }, // foolish, reddish
  { suffix: 'ical', minLength: 7 }, // magical, mythical
  { suffix: 'ic', minLength: 5 }, // tragic, heroic
];

/**
 * Whether one word (as `tokenizeWords` gives it) is descriptive: in DESCRIPTIVE_WORDS → yes; in
 * NOT_DESCRIPTIVE_WORDS → no; otherwise a suffix rule decides. A hyphenated word is judged by its
 * last part ("blood-red", "half-empty"); words with an apostrophe ("night's") or a digit never
 * count.
 */
export function isDescriptiveWord(word: string): boolean {
  const w = word.toLowerCase();
  if (DESCRIPTIVE_WORDS.has(w)) return true;
  if (NOT_DESCRIPTIVE_WORDS.has(w)) return false;
  if (w.includes('-') && !/['’]/.test(w)) return isDescriptiveWord(w.slice(w.lastIndexOf('-') + 1));
  // The suffix test first: most words end in none of them, and it is cheaper than the letters test.
  // A loop, not `some` with a callback: every word of every candidate comes through here.
  for (const { suffix, minLength } of DESCRIPTIVE_SUFFIXES) {
    if (w.length >= minLength && w.endsWith(suffix)) return LETTERS_ONLY_RE.test(w);
  }
  return false;
}

const LETTERS_ONLY_RE = /^\p{L}+$/u;

// ---------------------------------------------------------------------------------------------
// Dialogue
// ---------------------------------------------------------------------------------------------

/**
 * Dialogue is text between a matching pair of double quotes — "…", “…” or «…» — containing at
 * least one letter. Straight quotes pair up in order (1st with 2nd, 3rd with 4th…); a straight
 * quote never pairs with a curly one. Single quotes (' ‘ ’) do not count: they are also
 * apostrophes ("don't", "the captain's").
 */
const DIALOGUE_RES = [/"([^"]*)"/g, /“([^“”]*)”/g, /«([^«»]*)»/g];

export function hasQuotedDialogue(text: string): boolean {
  return DIALOGUE_RES.some((re) => [...text.matchAll(re)].some((m) => LETTER_RE.test(m[1] ?? '')));
}

// ---------------------------------------------------------------------------------------------
// Score
// ---------------------------------------------------------------------------------------------

export interface TextQualityBreakdown {
  /** Code points of the trimmed text. */
  characters: number;
  sentences: number;
  words: number;
  descriptiveWords: number;
  /** descriptiveWords × 100 / words (0 when there are no words). */
  descriptivePer100: number;
  hasDialogue: boolean;
  points: {
    base: number;
    length: number;
    sentences: number;
    descriptive: number;
    dialogue: number;
  };
  /** Sum of the points before the cap. */
  uncapped: number;
  /** The text quality: `uncapped` capped at 10.0. Same as `textQuality(text)`. */
  total: number;
}

/** `words` may be passed when the caller already tokenised the text (each candidate is tokenised once). */
export function textQualityBreakdown(text: string, words: readonly string[] = tokenizeWords(text)): TextQualityBreakdown {
  const characters = characterCount(text);
  const sentences = countSentences(text);
  const descriptiveWords = words.filter(isDescriptiveWord).length;
  const hasDialogue = hasQuotedDialogue(text);

  const lengthOk = characters >= LENGTH_MIN_CHARS && characters <= LENGTH_MAX_CHARS;
  // Integer comparison: descriptive × 100 / words ≥ 2  ⇔  descriptive × 100 ≥ 2 × words.
  const descriptiveOk = words.length > 0 && descriptiveWords * 100 >= MIN_DESCRIPTIVE_PER_100 * words.length;

  const tenths = {
    base: TENTHS.base,
    length: lengthOk ? TENTHS.length : 0,
    sentences: sentences >= MIN_SENTENCES ? TENTHS.sentences : 0,
    descriptive: descriptiveOk ? TENTHS.descriptive : 0,
    dialogue: hasDialogue ? TENTHS.dialogue : 0,
  };
  const uncappedTenths = tenths.base + tenths.length + tenths.sentences + tenths.descriptive + tenths.dialogue;

  return {
    characters,
    sentences,
    words: words.length,
    descriptiveWords,
    descriptivePer100: words.length === 0 ? 0 : (descriptiveWords * 100) / words.length,
    hasDialogue,
    points: {
      base: tenths.base / 10,
      length: tenths.length / 10,
      sentences: tenths.sentences / 10,
      descriptive: tenths.descriptive / 10,
      dialogue: tenths.dialogue / 10,
    },
    uncapped: uncappedTenths / 10,
    total: Math.min(TENTHS.cap, uncappedTenths) / 10,
  };
}

/** Text quality in [7.0, 10.0], exact to one decimal. */
export function textQuality(text: string, words?: readonly string[]): number {
  return textQualityBreakdown(text, words).total;
}

/**
 * Final quality of a winning story: textQuality × 0.7 + confidence × 10 × 0.3, rounded to two
 * decimals, half up (5.275 → 5.28), on the exact value — float noise in the multiplication is
 * removed first, so 7 × 0.7 + 0.125 × 3 gives 5.28, not 5.27.
 * @throws RangeError when textQuality is outside [0, 10] or confidence outside [0, 1].
 */
export function finalQuality(textQualityValue: number, confidence: number): number {
  if (!Number.isFinite(textQualityValue) || textQualityValue < 0 || textQualityValue > QUALITY_CAP) {
    throw new RangeError(`finalQuality: textQuality must be in [0, ${QUALITY_CAP}], got ${textQualityValue}`);
  }
  if (!Number.isFinite(confidence) || confidence < 0 || confidence > 1) {
    throw new RangeError(`finalQuality: confidence must be in [0, 1], got ${confidence}`);
  }
  // In hundredths: tq × 0.7 × 100 + confidence × 10 × 0.3 × 100.
  const hundredths = textQualityValue * TEXT_QUALITY_WEIGHT * 100 + confidence * 10 * CONFIDENCE_WEIGHT * 100;
  const denoised = Math.round(hundredths * 1e6) / 1e6;
  return Math.round(denoised) / 100;
}
