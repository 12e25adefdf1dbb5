/**
 * A small seeded PRNG for planning prompts. `Math.random()` cannot be seeded, and a run must be
 * replayable: the same seed (with the same teacher replies) gives the same genres, prompts and
 * styles. Not for anything security-related — only for picking and shuffling.
 *
 * The seed string is hashed with cyrb128 (four 32-bit words, so similar seeds like "run-1" and
 * "run-2" still start far apart) into the state of sfc32 (a fast, well-tested 128-bit generator
 * that passes PractRand; plain 32-bit-state generators like mulberry32 cycle after 2^32 draws
 * and can only reach 2^32 starting points).
 */
import { randomBytes } from 'node:crypto';

export interface Random {
  /** Uniform float in [0, 1). A function property: it is handed around on its own (`random.next`). */
  next: () => number;
  /** Uniform integer in [0, maxExclusive). `maxExclusive` must be a positive integer. */
  int(maxExclusive: number): number;
  /** One uniformly chosen element. Throws on an empty array (there is nothing to return). */
  pick<T>(items: readonly T[]): T;
  /** A new array holding `items` in uniformly random order (Fisher–Yates); `items` is untouched. */
  shuffle<T>(items: readonly T[]): T[];
}

/** What `createRandom` returns: a Random that also reports its seed. */
export interface SeededRandom extends Random {
  /** The seed this generator started from, so a run without an explicit seed can still be replayed. */
  readonly seed: string;
}

/** cyrb128: a fast 128-bit string hash, used only to spread a seed string over sfc32's state. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** sfc32 (Small Fast Counter): returns uint32 values; the counter `d` guarantees a period of at least 2^32. */
function sfc32(seedWords: [number, number, number, number]): () => number {
  let [a, b, c, d] = seedWords;
  const step = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // The first outputs still carry visible structure of the hash words; discard a few to mix them.
  for (let i = 0; i < 15; i++) step();
  return step;
}

/**
 * A generator seeded from `seed`, or from 128 bits of crypto randomness when no seed is given
 * (then `random.seed` reports the generated seed so the run can be reproduced later).
 */
export function createRandom(seed?: string): SeededRandom {
  const actualSeed = seed ?? randomBytes(16).toString('hex');
  const nextUint32 = sfc32(cyrb128(actualSeed));

  const next = (): number => nextUint32() / 4294967296;

  const int = (maxExclusive: number): number => {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`int(maxExclusive) needs a positive integer, got ${maxExclusive}`);
    }
    // floor(next() * n) is biased by at most n / 2^32, far below anything a planner of
    // at most a few hundred items can notice; rejection sampling would buy nothing here.
    return Math.floor(next() * maxExclusive);
  };

  const pick = <T>(items: readonly T[]): T => {
    if (items.length === 0) throw new RangeError('pick() from an empty array');
    return items[int(items.length)] as T;
  };

  const shuffle = <T>(items: readonly T[]): T[] => {
    const out = items.slice();
    // Fisher–Yates from the end: every permutation is equally likely (given a uniform `int`).
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(i + 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  };

  return { next, int, pick, shuffle, seed: actualSeed };
}
