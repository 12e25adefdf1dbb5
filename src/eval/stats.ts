/** Agreement and selection statistics of the evaluation: Kendall τ-b and pick-one-per-prompt figures. */

/** Kendall τ-b between two equally long series (ties in either series handled); 0 when undefined. */
export function kendallTauB(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error('kendallTauB: series of different lengths');
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const a = Math.sign((x[i] as number) - (x[j] as number));
      const b = Math.sign((y[i] as number) - (y[j] as number));
      if (a === 0 && b === 0) continue;
      if (a === 0) tiesX += 1;
      else if (b === 0) tiesY += 1;
      else if (a === b) concordant += 1;
      else discordant += 1;
    }
  }
  const denominator = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  return denominator === 0 ? 0 : (concordant - discordant) / denominator;
}

/** One prompt's candidates: their human ratings, and which one(s) a method picked. */
export interface PromptPick {
  human: readonly number[];
  /** Indices the method picked; several = a tie the method cannot break, counted at their mean. */
  picked: readonly number[];
}

export interface SelectionFigures {
  /** Mean human rating of the picked stories. */
  picked: number;
  random: number;
  oracle: number;
  /** (picked − random) / (oracle − random): 0 is chance, 1 always the best story. */
  gain: number;
  /** Share of prompts whose pick is among the 3 best candidates (fewer than 3 rated strictly higher). */
  top3: number;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export function selectionFigures(picks: readonly PromptPick[]): SelectionFigures {
  if (picks.length === 0) throw new Error('selectionFigures: no prompts');
  const picked = mean(picks.map((p) => mean(p.picked.map((i) => p.human[i] as number))));
  const random = mean(picks.map((p) => mean(p.human)));
  const oracle = mean(picks.map((p) => Math.max(...p.human)));
  const top3 = mean(
    picks.map((p) => mean(p.picked.map((i) => (p.human.filter((h) => h > (p.human[i] as number)).length < 3 ? 1 : 0)))),
  );
  return { picked, random, oracle, gain: oracle === random ? 0 : (picked - random) / (oracle - random), top3 };
}

/** Indices of the highest scores (all of them when tied). */
export function argmaxAll(scores: readonly number[]): number[] {
  const best = Math.max(...scores);
  return scores.flatMap((s, i) => (s === best ? [i] : []));
}

/**
 * 95 % bootstrap interval of the normalised gain over prompts: `resamples` draws of as many
 * prompts, with replacement, from a seeded generator (so the figures are re-made exactly).
 */
export function gainInterval(picks: readonly PromptPick[], next: () => number, resamples = 2000): { low: number; high: number } {
  const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const lift = picks.map((p) => mean(p.picked.map((i) => p.human[i] as number)) - mean(p.human));
  const room = picks.map((p) => Math.max(...p.human) - mean(p.human));
  const gains: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let up = 0;
    let span = 0;
    for (let k = 0; k < picks.length; k++) {
      const i = Math.floor(next() * picks.length);
      up += lift[i] as number;
      span += room[i] as number;
    }
    gains.push(span === 0 ? 0 : up / span);
  }
  gains.sort((a, b) => a - b);
  return { low: gains[Math.floor(0.025 * (resamples - 1))] as number, high: gains[Math.ceil(0.975 * (resamples - 1))] as number };
}
