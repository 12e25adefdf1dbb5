/**
 * The story score (0–10): a small linear model of what people think of a story, computed locally
 * from a few signals that mean the same thing for any writer (see docs/scoring.md, "Story
 * score"). It was fitted on the human ratings of the HANNA dev split (`npm run eval -- hanna`
 * re-makes the fit and its cross-validated figures) and sits beside the seed's text quality,
 * which stays exactly as specified (scoring.ts).
 *
 * The model predicts the human "overall" rating (1–5) and shows it on 0–10:
 *   predicted = intercept + Σ weight × (signal − mean) / sd
 *   story quality = clamp(10 × (predicted − 1) / 4, 0, 10), to two decimals.
 * A signal that cannot be measured (no prompt given, no other candidate) sits at its mean, so
 * it neither helps nor hurts. Pure and deterministic.
 */
import { codePointCount, tokenizeWords } from './scoring.ts';
import { numberWords, similarityMatrix } from './similarity.ts';
import { wordRarity } from './wordFrequency.ts';

export const STORY_SIGNAL_NAMES = ['length', 'completeness', 'repetition', 'vocabulary', 'relevance', 'agreement'] as const;
export type StorySignalName = (typeof STORY_SIGNAL_NAMES)[number];

/** Measured signals of one story; `undefined` when it cannot be measured. */
export type StorySignals = Record<StorySignalName, number | undefined>;

export interface SignalWeight {
  /** Mean and standard deviation of the signal over the dev split's generated stories. */
  mean: number;
  sd: number;
  /** Human-overall points (1–5 scale) per standard deviation of the signal. */
  weight: number;
}

export interface StoryModel {
  /** Predicted human overall (1–5) of a story whose signals all sit at their means. */
  intercept: number;
  signals: Record<StorySignalName, SignalWeight>;
}

/**
 * Fitted by `npm run eval -- hanna --fit` on all 48 prompts of the dev split (480 generated
 * stories): ridge regression on standardised signals, each signal kept to its expected direction
 * (a signal whose fitted weight has the wrong sign gets weight 0). Figures in docs/scoring.md.
 */
export const STORY_MODEL: StoryModel = {
  intercept: 2.4336,
  signals: {
    length: { mean: 5.2887, sd: 0.5327, weight: 0.1158 },
    completeness: { mean: 0.3354, sd: 0.4721, weight: 0 },
    repetition: { mean: 0.057, sd: 0.1278, weight: -0.0387 },
    vocabulary: { mean: 3.9501, sd: 0.3164, weight: 0.0406 },
    relevance: { mean: 0.1212, sd: 0.1572, weight: 0.0804 },
    agreement: { mean: 0.1532, sd: 0.0429, weight: 0.0843 },
  },
};

/** Words beyond this add nothing to the length signal: a longer story is not a better one. */
export const LENGTH_CAP_WORDS = 1000;

/** Letters of a word compared for relevance, so "soldiers" meets "soldier" and "remembering" meets "remember". */
const STEM_LETTERS = 5;

/** Function words, which say nothing about whether a story answers its prompt. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  ('a about after again all also am an and any are as at be because been before being but by can could did do does ' +
    'doing down during each few for from further had has have having he her here hers herself him himself his how i if ' +
    'in into is it its itself just me more most my myself no nor not now of off on once only or other our ours out over ' +
    'own same she should so some such than that the their theirs them themselves then there these they this those ' +
    'through to too under until up very was we were what when where which while who whom why will with would you your ' +
    'yours yourself write story tale poem about')
    .split(' '),
);

/** Ends on a sentence end, optionally followed by closing quotes, brackets or markdown emphasis. */
const SENTENCE_TERMINATORS = '.!?…';
const CLOSERS = '"”»\'’)]*_';

/**
 * Whether the text, without trailing whitespace, ends on a sentence end and closers. Read from the
 * end: the regular expression `[.!?…]["”»'’)\]*_]*$` it replaces tried every position of the text.
 */
function endsComplete(text: string): boolean {
  const trimmed = text.trimEnd();
  let i = trimmed.length - 1;
  while (i >= 0 && CLOSERS.includes(trimmed.charAt(i))) i--;
  return i >= 0 && SENTENCE_TERMINATORS.includes(trimmed.charAt(i));
}

/** Share of word trigrams that repeat an earlier trigram of the same text: 0 fresh, near 1 a loop. */
export function repetitionOf(words: readonly string[]): number {
  if (words.length < 3) return 0;
  // Words numbered, a trigram as one number in base `distinct`: no string per trigram (every
  // candidate of a run goes through here). Exact while distinct³ stays a safe integer.
  const numbers = new Map<string, number>();
  const ids = numberWords(words, numbers);
  const distinct = numbers.size;
  if (distinct ** 3 > Number.MAX_SAFE_INTEGER) return repetitionByText(words);
  const seen = new Set<number>();
  let repeats = 0;
  for (let i = 0; i + 2 < words.length; i++) {
    const key = ((ids[i] as number) * distinct + (ids[i + 1] as number)) * distinct + (ids[i + 2] as number);
    if (seen.has(key)) repeats += 1;
    else seen.add(key);
  }
  return repeats / (words.length - 2);
}

/** `repetitionOf` with the trigrams spelled out, for a text of more distinct words than numbers can pair. */
function repetitionByText(words: readonly string[]): number {
  const seen = new Set<string>();
  let repeats = 0;
  for (let i = 0; i + 2 < words.length; i++) {
    const key = `${words[i]} ${words[i + 1]} ${words[i + 2]}`;
    if (seen.has(key)) repeats += 1;
    else seen.add(key);
  }
  return repeats / (words.length - 2);
}

/** Mean letters per word: a plain proxy of vocabulary (and of the "complexity" people rate). */
export function vocabularyOf(words: readonly string[]): number {
  let letters = 0;
  for (const word of words) letters += codePointCount(word);
  return words.length === 0 ? 0 : letters / words.length;
}

const stem = (word: string) => word.slice(0, STEM_LETTERS);

/** Content words of a prompt (no function words, at least 3 characters), each once. */
export function promptContentWords(prompt: string): string[] {
  return [...new Set(tokenizeWords(prompt).filter((w) => w.length >= 3 && !STOP_WORDS.has(w)))];
}

/**
 * How much a prompt word counts for relevance: its rarity in English (wordFrequency.ts) to the
 * 4th power, so the words that say what the prompt is about ("lighthouse", "memories") decide,
 * and the ones any story uses ("day", "people") barely count. The power was measured on the dev
 * split: agreement with people rises with it up to about 4 and is flat beyond (docs/scoring.md).
 */
/** See promptWordWeight. */
export const RARITY_POWER = 4;

export function promptWordWeight(word: string): number {
  return wordRarity(word) ** RARITY_POWER;
}

/**
 * Rarity-weighted share of the prompt's content words that the story uses (compared on their
 * first letters): Σ weight of the words found ÷ Σ weight of all of them. Undefined without any.
 */
export function relevanceOf(words: readonly string[], prompt: string | undefined): number | undefined {
  return relevanceTo(words, promptTermsOf(prompt));
}

/** A prompt's content words as relevance compares them: stem and weight, read once per prompt. */
interface PromptTerm {
  stem: string;
  weight: number;
}

function promptTermsOf(prompt: string | undefined): PromptTerm[] {
  return prompt === undefined ? [] : promptContentWords(prompt).map((word) => ({ stem: stem(word), weight: promptWordWeight(word) }));
}

function relevanceTo(words: readonly string[], terms: readonly PromptTerm[]): number | undefined {
  if (terms.length === 0) return undefined;
  let found = 0;
  let total = 0;
  for (const term of terms) {
    total += term.weight;
    if (words.some((word) => hasStem(word, term.stem))) found += term.weight;
  }
  return found / total;
}

/** stem(word) === s, without slicing every word of the story (a prompt has only a few terms). */
function hasStem(word: string, s: string): boolean {
  return s.length === STEM_LETTERS ? word.startsWith(s) : word === s;
}

export interface SignalContext {
  /** The writing prompt the story answers (its subject, without style instructions). */
  prompt?: string;
  /** Mean similarity of this story to the other candidates of its example. */
  agreement?: number;
}

/** A contraction split off by a tokenizer: "did n't", "the captain 's", "they 're". */
const SPLIT_CONTRACTION_RE = /(\p{L})\s+(n['’]t|['’](?:s|re|ll|ve|d|m))(?![\p{L}\p{N}])/giu;

/**
 * Words of a story for its signals, with contractions a tokenizer split off joined again
 * ("did n't" → "didn't"), so a detokenisation quirk (common in benchmark data, rare in an LLM's
 * output) counts neither as extra short words nor as fewer letters per word.
 */
export function storyWords(text: string, tokenized?: readonly string[]): readonly string[] {
  // Most stories have no split contraction: then the words the caller already has are the same.
  if (tokenized && !HAS_SPLIT_CONTRACTION_RE.test(text)) return tokenized;
  return tokenizeWords(text.replace(SPLIT_CONTRACTION_RE, '$1$2'));
}

const HAS_SPLIT_CONTRACTION_RE = new RegExp(SPLIT_CONTRACTION_RE.source, 'iu');

export function storySignals(text: string, context: SignalContext = {}): StorySignals {
  return signalsOf(text, storyWords(text), promptTermsOf(context.prompt), context.agreement);
}

function signalsOf(text: string, words: readonly string[], promptTerms: readonly PromptTerm[], agreement: number | undefined): StorySignals {
  return {
    length: Math.log1p(Math.min(words.length, LENGTH_CAP_WORDS)),
    completeness: words.length > 0 && endsComplete(text) ? 1 : 0,
    repetition: repetitionOf(words),
    vocabulary: vocabularyOf(words),
    relevance: relevanceTo(words, promptTerms),
    agreement,
  };
}

/** Predicted human overall rating (1–5 scale, not clamped). */
export function predictedOverall(signals: StorySignals, model: StoryModel = STORY_MODEL): number {
  let predicted = model.intercept;
  for (const name of STORY_SIGNAL_NAMES) {
    const value = signals[name];
    const { mean, sd, weight } = model.signals[name];
    if (value === undefined || !Number.isFinite(value) || sd <= 0) continue;
    predicted += (weight * (value - mean)) / sd;
  }
  return predicted;
}

/** 1–5 human scale → 0–10, clamped, two decimals. */
export function overallToQuality(overall: number): number {
  const quality = Math.min(10, Math.max(0, (10 * (overall - 1)) / 4));
  return Math.round(quality * 100) / 100;
}

export interface StoryScoreBreakdown {
  signals: StorySignals;
  /** Contribution of each signal, in story-quality points (0–10 scale). */
  points: Record<StorySignalName, number>;
  storyQuality: number;
}

export function storyScoreBreakdown(text: string, context: SignalContext = {}, model: StoryModel = STORY_MODEL): StoryScoreBreakdown {
  const signals = storySignals(text, context);
  const points = Object.fromEntries(
    STORY_SIGNAL_NAMES.map((name) => {
      const value = signals[name];
      const { mean, sd, weight } = model.signals[name];
      const z = value === undefined || sd <= 0 ? 0 : (value - mean) / sd;
      return [name, Math.round(((10 * weight * z) / 4) * 100) / 100];
    }),
  ) as Record<StorySignalName, number>;
  return { signals, points, storyQuality: overallToQuality(predictedOverall(signals, model)) };
}

/** Story quality (0–10) of one story on its own: agreement is unknown, so it stays neutral. */
export function storyQuality(text: string, context: SignalContext = {}, model: StoryModel = STORY_MODEL): number {
  return overallToQuality(predictedOverall(storySignals(text, context), model));
}

/** Mean similarity of each text to the others (undefined for a lone text). */
export function agreementOf(similarity: readonly (readonly number[])[]): (number | undefined)[] {
  const n = similarity.length;
  return similarity.map((row, i) => (n < 2 ? undefined : row.reduce((sum, s, j) => (j === i ? sum : sum + s), 0) / (n - 1)));
}

/**
 * Story quality of every candidate of one example, agreement included. Pass the similarity
 * matrix when it is already computed (voting does), so it is computed once.
 */
export function candidateStoryQualities(
  texts: readonly string[],
  prompt?: string,
  similarity?: readonly (readonly number[])[],
  model: StoryModel = STORY_MODEL,
  /** Each text's `tokenizeWords`, when the caller has them (each candidate is tokenised once). */
  words?: readonly (readonly string[])[],
): number[] {
  const agreement = agreementOf(similarity ?? similarityMatrix(texts, words));
  // The prompt's terms are the same for every candidate: read once.
  const promptTerms = promptTermsOf(prompt);
  return texts.map((text, i) => overallToQuality(predictedOverall(signalsOf(text, storyWords(text, words?.[i]), promptTerms, agreement[i]), model)));
}
