/**
 * The best parameters of one user, from the winners stored in their fine-tuning collection: per
 * scope (all genres, and each genre) the teacher and the generation settings whose wins have the
 * highest average final quality, in the product's shape (best_model, ensemble_confidence,
 * model_scores, generation_params, samples). Pure: no I/O, no clock.
 *
 * The rules (docs/fine-tuning.md repeats them):
 *
 * - Trust: a teacher, or a setting of that teacher, is only eligible once it has won at least
 *   `max(minWins, ceil(minShare × wins in scope))` times (default max(3, 10 %)), so one lucky
 *   9.3 does not beat a steady 8.6 over forty wins. When nothing reaches that floor yet (little
 *   data), the floor drops to the largest count present, so the most proven ones are compared.
 * - Among the eligible: highest average final quality; ties go to more wins, then the id (or the
 *   settings key), so the same data always gives the same answer.
 * - ensemble_confidence: the average confidence of the best model's wins in the scope. Stored
 *   examples keep final and text quality, and final = 0.7 × text + 3 × confidence (scoring.ts),
 *   so the confidence is recovered exactly (to rounding) from the two.
 * - model_scores: each teacher's average text quality over every candidate it wrote in the scope,
 *   won or lost (the stored losing candidates keep their text quality), so teachers are compared
 *   on one scale whether or not they won.
 * - samples: how many wins the chosen settings rest on.
 */
import type { FineTuneExample } from '../storage/index.ts';
import type { GenerationSettings } from '../teachers/types.ts';
import { CONFIDENCE_WEIGHT, TEXT_QUALITY_WEIGHT } from '../trainer/scoring.ts';
import type { Genre } from '../trainer/genres.ts';
import type { BestParams } from '../trainer/types.ts';

/** One stored winner, reduced to what the choice needs. */
export interface WinnerSample {
  teacherId: string;
  genre: Genre;
  settings: GenerationSettings;
  /** Final quality of the win. */
  quality: number;
  confidence: number;
  /** Text quality of every candidate of the example, the winner's included. */
  scores: readonly { teacherId: string; textQuality: number }[];
}

export interface BestParamsOptions {
  /** Wins needed before a teacher or setting is trusted. Default 3. */
  minWins?: number;
  /** Share of the scope's wins (of the teacher's wins, for settings) needed too. Default 0.1. */
  minShare?: number;
}

/** BestParams plus the average final quality of the wins with the chosen settings. */
export type PersonalBestParams = BestParams & { average_quality: number };

export interface UserBestParams {
  /** Over all the user's winners; undefined with no winner. */
  overall?: PersonalBestParams;
  perGenre: Partial<Record<Genre, PersonalBestParams>>;
}

export const DEFAULT_MIN_WINS = 3;
export const DEFAULT_MIN_SHARE = 0.1;

const round2 = (n: number) => Math.round(n * 100) / 100;
const mean = (values: readonly number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

/** The same key the statistics use: two decimals of temperature and top-p, whole max tokens. */
export function settingsKey(s: GenerationSettings): string {
  return `${s.temperature.toFixed(2)}|${s.topP.toFixed(2)}|${Math.round(s.maxTokens)}`;
}

/** The ensemble confidence of a stored win, recovered from final = 0.7 × text + 0.3 × 10 × confidence. */
export function confidenceOf(finalQuality: number, textQuality: number): number {
  const raw = (finalQuality - TEXT_QUALITY_WEIGHT * textQuality) / (10 * CONFIDENCE_WEIGHT);
  if (!Number.isFinite(raw)) return 0;
  return round2(Math.min(1, Math.max(0, raw)));
}

export function sampleFromExample(example: FineTuneExample): WinnerSample {
  return {
    teacherId: example.teacherId,
    genre: example.genre,
    settings: example.settings,
    quality: example.quality,
    confidence: confidenceOf(example.quality, example.textQuality),
    scores: [{ teacherId: example.teacherId, textQuality: example.textQuality }, ...example.rejected.map((r) => ({ teacherId: r.teacherId, textQuality: r.textQuality }))],
  };
}

interface Group {
  key: string;
  samples: WinnerSample[];
  average: number;
}

function groupBy(samples: readonly WinnerSample[], keyOf: (s: WinnerSample) => string): Group[] {
  const map = new Map<string, WinnerSample[]>();
  for (const s of samples) {
    const key = keyOf(s);
    const list = map.get(key);
    if (list) list.push(s);
    else map.set(key, [s]);
  }
  return [...map].map(([key, list]) => ({ key, samples: list, average: mean(list.map((s) => s.quality)) }));
}

/** Wins a group needs to be eligible, among `groups` sharing `total` wins. */
export function trustFloor(counts: readonly number[], options: BestParamsOptions = {}): number {
  if (counts.length === 0) return 0;
  const total = counts.reduce((a, b) => a + b, 0);
  const wanted = Math.max(options.minWins ?? DEFAULT_MIN_WINS, Math.ceil((options.minShare ?? DEFAULT_MIN_SHARE) * total));
  return Math.min(wanted, Math.max(...counts));
}

/** The eligible group with the highest average; ties to more wins, then the key. */
function pick(groups: readonly Group[], options: BestParamsOptions): Group | undefined {
  const floor = trustFloor(
    groups.map((g) => g.samples.length),
    options,
  );
  let best: Group | undefined;
  for (const g of groups) {
    if (g.samples.length < floor) continue;
    if (
      !best ||
      g.average > best.average + 1e-9 ||
      (Math.abs(g.average - best.average) <= 1e-9 && (g.samples.length > best.samples.length || (g.samples.length === best.samples.length && g.key < best.key)))
    ) {
      best = g;
    }
  }
  return best;
}

/** Average text quality of each teacher's candidates in `samples`, rounded to two decimals. */
export function modelScores(samples: readonly WinnerSample[]): Record<string, number> {
  const sums = new Map<string, number[]>();
  for (const s of samples) {
    for (const c of s.scores) {
      const list = sums.get(c.teacherId);
      if (list) list.push(c.textQuality);
      else sums.set(c.teacherId, [c.textQuality]);
    }
  }
  return Object.fromEntries([...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([id, list]) => [id, round2(mean(list))]));
}

/** Best model and settings of one scope (all of `samples`); undefined when there is no winner. */
export function computeBestParams(samples: readonly WinnerSample[], options: BestParamsOptions = {}): PersonalBestParams | undefined {
  const teacher = pick(
    groupBy(samples, (s) => s.teacherId),
    options,
  );
  if (!teacher) return undefined;
  const setting = pick(
    groupBy(teacher.samples, (s) => settingsKey(s.settings)),
    options,
  );
  const chosen = setting?.samples[0]?.settings;
  if (!setting || !chosen) return undefined;
  return {
    best_model: teacher.key,
    ensemble_confidence: round2(mean(teacher.samples.map((s) => s.confidence))),
    model_scores: modelScores(samples),
    generation_params: { temperature: chosen.temperature, top_p: chosen.topP, max_tokens: chosen.maxTokens },
    samples: setting.samples.length,
    average_quality: round2(setting.average),
  };
}

/** Overall and per-genre best parameters of one user's winners. */
export function computeUserBestParams(samples: readonly WinnerSample[], options: BestParamsOptions = {}): UserBestParams {
  const perGenre: Partial<Record<Genre, PersonalBestParams>> = {};
  for (const group of groupBy(samples, (s) => s.genre)) {
    const params = computeBestParams(group.samples, options);
    if (params) perGenre[group.key as Genre] = params;
  }
  const overall = computeBestParams(samples, options);
  return { ...(overall ? { overall } : {}), perGenre };
}

/** generation_params in the provider-neutral names the teachers take. */
export function toSettings(params: Pick<BestParams, 'generation_params'>): GenerationSettings {
  const p = params.generation_params;
  return { temperature: p.temperature, topP: p.top_p, maxTokens: p.max_tokens };
}
