/**
 * Fits the story model (storyScore.ts): ridge regression of the human overall rating on the
 * standardised signals, with each signal held to its expected direction — a weight that comes out
 * with the wrong sign is set to 0 and the rest refitted, so the model never rewards, say, looping.
 */
import { STORY_SIGNAL_NAMES, type StoryModel, type StorySignalName, type StorySignals } from '../trainer/storyScore.ts';

/** +1: more is better; −1: more is worse. */
export const SIGNAL_DIRECTION: Record<StorySignalName, 1 | -1> = {
  length: 1,
  completeness: 1,
  repetition: -1,
  vocabulary: 1,
  relevance: 1,
  agreement: 1,
};

export interface Sample {
  signals: StorySignals;
  human: number;
}

/** Solves A x = b (A square, small) by Gaussian elimination with partial pivoting. */
export function solveLinear(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs((m[r] as number[])[col] as number) > Math.abs((m[pivot] as number[])[col] as number)) pivot = r;
    [m[col], m[pivot]] = [m[pivot] as number[], m[col] as number[]];
    const p = (m[col] as number[])[col] as number;
    if (Math.abs(p) < 1e-12) throw new Error('solveLinear: singular system');
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = ((m[r] as number[])[col] as number) / p;
      for (let k = col; k <= n; k++) (m[r] as number[])[k] = ((m[r] as number[])[k] as number) - f * ((m[col] as number[])[k] as number);
    }
  }
  return m.map((row, i) => (row[n] as number) / (row[i] as number));
}

const meanOf = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export function fitStoryModel(samples: readonly Sample[], lambda = 1): StoryModel {
  if (samples.length < 2) throw new Error('fitStoryModel: need at least two samples');
  const stats = Object.fromEntries(
    STORY_SIGNAL_NAMES.map((name) => {
      const values = samples.map((s) => s.signals[name]).filter((v): v is number => v !== undefined);
      const mean = values.length ? meanOf(values) : 0;
      const sd = values.length ? Math.sqrt(meanOf(values.map((v) => (v - mean) ** 2))) : 0;
      return [name, { mean, sd }];
    }),
  ) as Record<StorySignalName, { mean: number; sd: number }>;
  const z = (s: Sample, name: StorySignalName) => {
    const v = s.signals[name];
    const { mean, sd } = stats[name];
    return v === undefined || sd === 0 ? 0 : (v - mean) / sd;
  };
  const intercept = meanOf(samples.map((s) => s.human));
  let active = STORY_SIGNAL_NAMES.filter((name) => stats[name].sd > 0);
  let weights: number[] = [];
  for (;;) {
    const x = samples.map((s) => active.map((name) => z(s, name)));
    const y = samples.map((s) => s.human - intercept);
    const ata = active.map((_, i) => active.map((__, j) => x.reduce((sum, row) => sum + (row[i] as number) * (row[j] as number), 0) + (i === j ? lambda : 0)));
    const aty = active.map((_, i) => x.reduce((sum, row, r) => sum + (row[i] as number) * (y[r] as number), 0));
    weights = active.length === 0 ? [] : solveLinear(ata, aty);
    const wrong = active.filter((name, i) => Math.sign(weights[i] as number) === -SIGNAL_DIRECTION[name]);
    if (wrong.length === 0) break;
    active = active.filter((name) => !wrong.includes(name));
  }
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  return {
    intercept: round(intercept),
    signals: Object.fromEntries(
      STORY_SIGNAL_NAMES.map((name) => {
        const i = active.indexOf(name);
        return [name, { mean: round(stats[name].mean), sd: round(stats[name].sd), weight: i < 0 ? 0 : round(weights[i] as number) }];
      }),
    ) as StoryModel['signals'],
  };
}
