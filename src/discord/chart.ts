/**
 * The PNG attached to a run's results: wins per model (with each model's average quality) on the
 * left, the genre distribution on the right. Drawn in-process with @napi-rs/canvas (Skia, a
 * prebuilt binary shipped inside its npm package), no browser and no network.
 *
 * Text uses DejaVu Sans from the `dejavu-fonts-ttf` package, registered once under its own family
 * name, so labels render the same on a machine without any system font. If that package is
 * missing, system DejaVu Sans (or any installed family) is used instead.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import { GENRES } from '../trainer/genres.ts';
import type { TrainingResult } from '../trainer/types.ts';

export const CHART_WIDTH = 900;
export const CHART_HEIGHT = 500;
/** The name to attach the chart under; `resultsMessage({ chartFileName })` points the embed at it. */
export const CHART_FILE_NAME = 'zega-results.png';

const FAMILY = 'Zega Sans';

let fontFamily: string | undefined;

/** The font family the chart draws with, registering the bundled DejaVu Sans on first use. */
export function chartFontFamily(): string {
  if (fontFamily !== undefined) return fontFamily;
  try {
    const require = createRequire(import.meta.url);
    const dir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
    const regular = GlobalFonts.registerFromPath(join(dir, 'DejaVuSans.ttf'), FAMILY);
    GlobalFonts.registerFromPath(join(dir, 'DejaVuSans-Bold.ttf'), FAMILY);
    if (regular) fontFamily = FAMILY;
  } catch {
    // Package not installed: fall back to what the system has.
  }
  if (fontFamily === undefined) {
    const families = GlobalFonts.families.map((f) => f.family);
    fontFamily = families.find((f) => f === 'DejaVu Sans') ?? families.find((f) => /sans/i.test(f)) ?? families[0] ?? 'sans-serif';
  }
  return fontFamily;
}

const THEME = {
  background: '#2b2d31',
  panel: '#313338',
  grid: '#3f4147',
  text: '#f2f3f5',
  muted: '#b5bac1',
  wins: '#5865f2',
  quality: '#fee75c',
  genre: '#57f287',
};

interface Bar {
  label: string;
  value: number;
  /** Optional second value drawn as a thinner bar under the first (average quality, 0–10). */
  second?: number;
  note: string;
}

/** `text` cut with "…" so it fits `width` pixels in the current font. */
function fitText(ctx: SKRSContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  const chars = Array.from(text);
  while (chars.length > 1 && ctx.measureText(`${chars.join('')}…`).width > width) chars.pop();
  return `${chars.join('')}…`;
}

function drawPanel(
  ctx: SKRSContext2D,
  box: { x: number; y: number; w: number; h: number },
  title: string,
  bars: Bar[],
  colors: { main: string; second?: string },
  font: string,
  empty: string,
): void {
  ctx.fillStyle = THEME.panel;
  ctx.beginPath();
  ctx.roundRect(box.x, box.y, box.w, box.h, 10);
  ctx.fill();

  ctx.fillStyle = THEME.text;
  ctx.font = `bold 17px "${font}"`;
  ctx.textBaseline = 'top';
  ctx.fillText(title, box.x + 14, box.y + 12);

  const top = box.y + 44;
  const bottom = box.y + box.h - 12;
  if (bars.length === 0) {
    ctx.fillStyle = THEME.muted;
    ctx.font = `14px "${font}"`;
    ctx.fillText(empty, box.x + 14, top + 6);
    return;
  }
  const slot = Math.min(40, (bottom - top) / bars.length);
  const labelWidth = Math.round(box.w * 0.34);
  const noteWidth = 86;
  const barX = box.x + 14 + labelWidth + 8;
  const barMax = box.x + box.w - 14 - noteWidth - barX;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const fontSize = Math.max(9, Math.min(14, Math.floor(slot * 0.62)));
  const mainHeight = Math.max(3, Math.round(slot * (colors.second ? 0.46 : 0.62)));
  const secondHeight = colors.second ? Math.max(2, Math.round(slot * 0.18)) : 0;

  bars.forEach((bar, i) => {
    const y = top + i * slot;
    const mid = y + slot / 2;
    ctx.font = `${fontSize}px "${font}"`;
    ctx.textBaseline = 'middle';
    ctx.fillStyle = THEME.text;
    ctx.textAlign = 'right';
    ctx.fillText(fitText(ctx, bar.label, labelWidth), box.x + 14 + labelWidth, mid);
    ctx.textAlign = 'left';

    // Track, then the value bar.
    const barTop = mid - (mainHeight + (secondHeight ? secondHeight + 2 : 0)) / 2;
    ctx.fillStyle = THEME.grid;
    ctx.fillRect(barX, barTop, barMax, mainHeight);
    ctx.fillStyle = colors.main;
    ctx.fillRect(barX, barTop, bar.value > 0 ? Math.max(2, (bar.value / max) * barMax) : 0, mainHeight);
    if (colors.second && bar.second !== undefined) {
      ctx.fillStyle = colors.second;
      ctx.fillRect(barX, barTop + mainHeight + 2, (Math.min(10, Math.max(0, bar.second)) / 10) * barMax, secondHeight);
    }
    ctx.fillStyle = THEME.muted;
    ctx.fillText(fitText(ctx, bar.note, noteWidth - 6), barX + barMax + 8, mid);
  });
}

/** The results chart as PNG bytes, CHART_WIDTH × CHART_HEIGHT. */
export async function renderResultsChart(result: TrainingResult): Promise<Buffer> {
  const font = chartFontFamily();
  const canvas = createCanvas(CHART_WIDTH, CHART_HEIGHT);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = THEME.background;
  ctx.fillRect(0, 0, CHART_WIDTH, CHART_HEIGHT);

  const done = result.successful + result.failed;
  ctx.fillStyle = THEME.text;
  ctx.textBaseline = 'top';
  ctx.font = `bold 20px "${font}"`;
  ctx.fillText('Zega training run', 20, 14);
  ctx.font = `14px "${font}"`;
  ctx.fillStyle = THEME.muted;
  const summary = `${result.successful}/${done} successful · average quality ${result.average_quality.toFixed(2)} · ${result.stories_saved} saved · ${result.status}`;
  ctx.fillText(fitText(ctx, summary, CHART_WIDTH - 40), 20, 42);

  const models: Bar[] = Object.entries(result.model_performance)
    .map(([id, p]) => ({ label: id, value: p.wins, second: p.wins > 0 ? p.average_quality : 0, quality: p.average_quality }))
    .sort((a, b) => b.value - a.value || b.quality - a.quality || (a.label < b.label ? -1 : 1))
    .map(({ label, value, second }) => ({
      label,
      value,
      second,
      note: `${value} · ${value > 0 ? second.toFixed(1) : '–'}`,
    }));
  const genres: Bar[] = GENRES.map((g) => ({ label: g, value: result.genre_distribution[g] ?? 0 }))
    .filter((g) => g.value > 0)
    .sort((a, b) => b.value - a.value)
    .map((g) => ({ ...g, note: String(g.value) }));

  const panelTop = 72;
  const panelHeight = CHART_HEIGHT - panelTop - 34;
  const gap = 16;
  const panelWidth = (CHART_WIDTH - 40 - gap) / 2;
  drawPanel(
    ctx,
    { x: 20, y: panelTop, w: panelWidth, h: panelHeight },
    'Wins per model',
    models,
    { main: THEME.wins, second: THEME.quality },
    font,
    'No teacher results',
  );
  drawPanel(ctx, { x: 20 + panelWidth + gap, y: panelTop, w: panelWidth, h: panelHeight }, 'Examples per genre', genres, { main: THEME.genre }, font, 'No examples');

  // Legend.
  ctx.textBaseline = 'middle';
  ctx.font = `12px "${font}"`;
  const legendY = CHART_HEIGHT - 17;
  const legend: [string, string][] = [
    [THEME.wins, 'wins'],
    [THEME.quality, 'average quality of wins (0–10)'],
    [THEME.genre, 'examples'],
  ];
  let x = 20;
  for (const [color, label] of legend) {
    ctx.fillStyle = color;
    ctx.fillRect(x, legendY - 5, 10, 10);
    ctx.fillStyle = THEME.muted;
    ctx.fillText(label, x + 15, legendY);
    x = Math.round(x + 15 + ctx.measureText(label).width + 22);
  }
  ctx.textAlign = 'right';
  ctx.fillText('labels: wins · avg quality', CHART_WIDTH - 20, legendY);

  return canvas.encode('png');
}
