/**
 * Decides what each training example asks for: a genre, one of that genre's prompts and a style
 * modifier. Two guarantees, both so a run teaches the model as much as its length allows:
 *
 * - Genres are dealt from shuffled decks: each round uses every selected genre (all 25 when the
 *   selection is empty) exactly once, in random order. So at every point of a run the genre
 *   counts differ by at most 1 — a 30-example run over 25 genres never gives one genre 3.
 * - Each genre walks its own cycle of all 10 × STYLES.length (prompt, style) pairs. The cycle is
 *   made of laps; every lap uses each of the genre's 10 prompts once, so prompts never repeat
 *   before all 10 have been used, and across the laps each prompt meets every style exactly
 *   once, so no pair repeats before the whole cycle is spent. Within a lap the 10 prompts get
 *   10 different styles (when there are at least 10 styles).
 *
 * All randomness comes from the injected Random, drawn in a fixed order, so a seed replays a run.
 */
import { GENRES, isGenre, type Genre } from './genres.ts';
import { promptsFor, type StoryPrompt } from './prompts.ts';
import type { Random } from './random.ts';
import { STYLES, type StyleModifier } from './styles.ts';

export interface PlannedExample {
  genre: Genre;
  prompt: StoryPrompt;
  style: StyleModifier;
  /** The full user prompt sent to teachers: the prompt text plus the style instruction. */
  text: string;
}

export interface PromptPlannerOptions {
  /** The user's selection; empty means balanced over all 25. Duplicates are ignored. */
  genres: readonly Genre[];
  random: Random;
}

export interface PromptPlanner {
  /** The next example of the run; never runs out (decks and cycles are reshuffled when spent). */
  next(): PlannedExample;
}

/** The user message for one example, e.g. "Write a poem about … Write it in present tense." */
export function exampleText(prompt: StoryPrompt, style: StyleModifier): string {
  return `${prompt.text} Write it ${style.text}.`;
}

interface Pair {
  prompt: StoryPrompt;
  style: StyleModifier;
}

/** Indices 0..n-1. */
function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * One full cycle of a genre's (prompt, style) pairs, as laps over its prompts.
 *
 * It is a Latin-rectangle construction: prompt `p` gets a distinct offset, and in lap `k` it
 * takes style `(offset[p] + k) mod S`. Over the S laps each prompt sees every style once (so
 * every pair appears exactly once), and within a lap distinct offsets mean distinct styles.
 * Styles, offsets, lap order and the prompt order inside each lap are all shuffled.
 */
function buildCycle(prompts: readonly StoryPrompt[], random: Random, previousPrompt: StoryPrompt | undefined): Pair[] {
  const styles = random.shuffle(STYLES);
  const S = styles.length;
  // Distinct offsets need S >= prompts; with fewer styles offsets repeat, which only costs the
  // within-lap spread — the every-pair-once property holds for any S.
  const offsets = random.shuffle(range(Math.max(S, prompts.length))).slice(0, prompts.length);
  const cycle: Pair[] = [];
  let last = previousPrompt;
  for (const lap of random.shuffle(range(S))) {
    const order = random.shuffle(range(prompts.length));
    // Don't let a lap open with the prompt the previous lap (or cycle) ended on: a swap keeps
    // the lap a permutation, so no guarantee is lost.
    if (order.length > 1 && prompts[order[0] as number] === last) {
      [order[0], order[order.length - 1]] = [order[order.length - 1] as number, order[0] as number];
    }
    for (const p of order) {
      const prompt = prompts[p] as StoryPrompt;
      const style = styles[((offsets[p] as number) + lap) % S] as StyleModifier;
      cycle.push({ prompt, style });
    }
    last = cycle[cycle.length - 1]?.prompt;
  }
  return cycle;
}

export function createPromptPlanner(options: PromptPlannerOptions): PromptPlanner {
  const { random } = options;
  for (const genre of options.genres) {
    if (!isGenre(genre)) throw new TypeError(`Unknown genre: ${String(genre)}`);
  }
  const selected: readonly Genre[] = options.genres.length > 0 ? [...new Set(options.genres)] : GENRES;
  if (STYLES.length === 0) throw new Error('No style modifiers defined');

  let deck: Genre[] = [];
  let lastGenre: Genre | undefined;
  const nextGenre = (): Genre => {
    if (deck.length === 0) {
      deck = random.shuffle(selected);
      // Avoid the same genre twice in a row across a round boundary; swapping within the new
      // round keeps every genre exactly once per round, so balance is untouched.
      if (deck.length > 1 && deck[0] === lastGenre) {
        const j = 1 + random.int(deck.length - 1);
        [deck[0], deck[j]] = [deck[j] as Genre, deck[0] as Genre];
      }
    }
    const genre = deck.shift() as Genre;
    lastGenre = genre;
    return genre;
  };

  const cycles = new Map<Genre, { pairs: Pair[]; position: number }>();
  const nextPair = (genre: Genre): Pair => {
    let state = cycles.get(genre);
    if (!state || state.position >= state.pairs.length) {
      const prompts = promptsFor(genre);
      if (prompts.length === 0) throw new Error(`No prompts for genre ${genre}`);
      state = { pairs: buildCycle(prompts, random, state?.pairs[state.pairs.length - 1]?.prompt), position: 0 };
      cycles.set(genre, state);
    }
    const pair = state.pairs[state.position] as Pair;
    state.position++;
    return pair;
  };

  return {
    next(): PlannedExample {
      const genre = nextGenre();
      const { prompt, style } = nextPair(genre);
      return { genre, prompt, style, text: exampleText(prompt, style) };
    },
  };
}
