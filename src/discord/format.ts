/** Small text formatters shared by the Discord embeds. Pure: no clock, no I/O. */

/** `▰▰▰▱▱▱…` of `width` cells, `fraction` (clamped to 0..1, NaN as 0) of them filled, rounded down except at 100 %. */
export function progressBar(fraction: number, width = 20): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = f >= 1 ? width : Math.floor(f * width);
  return '▰'.repeat(filled) + '▱'.repeat(width - filled);
}

/** `part / whole` as a whole percentage (`"42%"`); `"0%"` when whole is 0. */
export function percent(part: number, whole: number, digits = 0): string {
  if (!(whole > 0) || !Number.isFinite(part)) return `${(0).toFixed(digits)}%`;
  return `${((part / whole) * 100).toFixed(digits)}%`;
}

/**
 * A duration for people: `"45s"`, `"3m 12s"`, `"1h 05m"`, `"2d 03h"`. Rounded to whole seconds;
 * negative or non-finite input reads `"0s"`.
 */
export function formatDuration(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.round(ms / 1000) : 0;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m ${pad(total % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${pad(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d ${pad(hours % 24)}h`;
}

/** A quality score with two decimals (`"8.42"`); `"–"` when not a number. */
export function formatQuality(quality: number): string {
  return Number.isFinite(quality) ? quality.toFixed(2) : '–';
}

/**
 * Quality at which each star is earned. Only examples at or above 7.0 (the fine-tuning threshold)
 * earn any star; the 3 points from 7 to 10 are split into 4 equal steps of 0.75:
 *
 * | average quality | stars |
 * | --------------- | ----- |
 * | below 7.00      | 0     |
 * | 7.00 – 7.74     | 1     |
 * | 7.75 – 8.49     | 2     |
 * | 8.50 – 9.24     | 3     |
 * | 9.25 – 9.99     | 4     |
 * | 10.00           | 5     |
 */
export const STAR_THRESHOLDS = [7.0, 7.75, 8.5, 9.25, 10.0] as const;

/** How many of 5 stars an average quality (0–10) earns; see STAR_THRESHOLDS. */
export function starCount(quality: number): number {
  if (!Number.isFinite(quality)) return 0;
  // A hair of tolerance so 8.4999999 from float averaging still counts as 8.5.
  return STAR_THRESHOLDS.filter((threshold) => quality + 1e-9 >= threshold).length;
}

/** `★★★☆☆`: always 5 characters, filled per `starCount`. */
export function starRating(quality: number): string {
  const n = starCount(quality);
  return '★'.repeat(n) + '☆'.repeat(5 - n);
}

/** Discord timestamp markup, rendered in each reader's own time zone; `style` R is "3 minutes ago". */
export function discordTimestamp(at: number | Date, style: 't' | 'T' | 'd' | 'D' | 'f' | 'F' | 'R' = 'R'): string {
  const ms = at instanceof Date ? at.getTime() : at;
  return `<t:${Math.floor(ms / 1000)}:${style}>`;
}

/** `<t:unix:R>`: "in 5 minutes", "2 days ago". */
export function relativeTime(at: number | Date): string {
  return discordTimestamp(at, 'R');
}

/** `"1 example"`, `"3 examples"`; `plural` defaults to `singular + "s"`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** Thousands separated by commas (`12,345`), whatever the locale. */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
