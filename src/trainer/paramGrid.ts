/**
 * Parameter exploration: every call draws its settings from a small grid around the teacher's
 * defaults, so the statistics can tell which settings actually win instead of assuming them.
 *
 * Grid (3 × 3 × 2 = 18 points per teacher):
 * - temperature: default − 0.2, default, default + 0.2 (clamped to 0–2)
 * - top_p: default − 0.05, default, default + 0.05 (clamped to 0.05–1)
 * - max tokens: 75 % of the default, the default (shorter budgets test concise stories)
 * Points that collapse after clamping are kept once.
 */
import type { GenerationSettings } from '../teachers/types.ts';

const round2 = (n: number) => Math.round(n * 100) / 100;
const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
const unique = (values: number[]) => [...new Set(values)];

export function settingsGrid(defaults: GenerationSettings): GenerationSettings[] {
  const temperatures = unique([-0.2, 0, 0.2].map((d) => round2(clamp(defaults.temperature + d, 0, 2))));
  const topPs = unique([-0.05, 0, 0.05].map((d) => round2(clamp(defaults.topP + d, 0.05, 1))));
  const maxTokens = unique([Math.max(16, Math.round(defaults.maxTokens * 0.75)), defaults.maxTokens]);
  return temperatures.flatMap((temperature) =>
    topPs.flatMap((topP) => maxTokens.map((tokens) => ({ temperature, topP, maxTokens: tokens }))),
  );
}

/** Grids by teacher defaults (each teacher's defaults object lives as long as the teacher). */
const grids = new WeakMap<GenerationSettings, GenerationSettings[]>();

/** Draws one grid point; `random` returns [0, 1) and comes from the run's seeded generator. */
export function drawSettings(defaults: GenerationSettings, random: () => number): GenerationSettings {
  let grid = grids.get(defaults);
  if (!grid) grids.set(defaults, (grid = settingsGrid(defaults)));
  return grid[Math.floor(random() * grid.length)] ?? defaults;
}

/** A stable key for grouping statistics by settings. */
export function settingsKey(settings: GenerationSettings): string {
  return `t=${settings.temperature}|p=${settings.topP}|max=${settings.maxTokens}`;
}
