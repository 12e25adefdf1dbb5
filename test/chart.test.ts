import { createCanvas, GlobalFonts, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { CHART_FILE_NAME, CHART_HEIGHT, CHART_WIDTH, chartFontFamily, renderResultsChart } from '../src/discord/chart.ts';
import { resultsMessage } from '../src/discord/embeds/results.ts';
import { GENRES, type Genre } from '../src/trainer/genres.ts';
import type { TrainingResult } from '../src/trainer/types.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the IHDR chunk, which a valid PNG has first, right after the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(png.readUInt32BE(8)).toBe(13); // IHDR data length
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function result(models: Record<string, { wins: number; quality: number }>, genres: Partial<Record<Genre, number>>): TrainingResult {
  const model_performance: TrainingResult['model_performance'] = {};
  for (const [id, m] of Object.entries(models)) {
    model_performance[id] = { wins: m.wins, average_quality: m.quality, calls: 10, failures: 0, average_latency_ms: 500 };
  }
  return {
    run_id: 'run-1',
    user_id: '123456789012345678',
    status: 'done',
    requested: 40,
    successful: 38,
    failed: 2,
    stories_saved: 9,
    average_story_quality: 6.1,
    model_performance,
    average_quality: 8.31,
    genre_distribution: genres,
    training_stats: {
      duration_ms: 192_000,
      calls: 280,
      tokens: { input: 1, output: 2 },
      fine_tune_examples_collected: 30,
      fine_tune_examples_total: 137,
      until_next_fine_tune: 13,
      fine_tune_every: 50,
    },
    best_params: { per_teacher: {}, per_genre: {} },
  };
}

const SEVEN = {
  'gemini-2.5-flash': { wins: 9, quality: 8.4 },
  'gemini-2.5-flash-lite': { wins: 4, quality: 7.9 },
  'groq-llama-3.3-70b': { wins: 11, quality: 8.9 },
  'groq-llama-3.1-8b': { wins: 3, quality: 7.2 },
  'hf-qwen2.5-7b': { wins: 5, quality: 8.1 },
  'hf-mistral-7b': { wins: 2, quality: 7.5 },
  'ollama-llama3.2': { wins: 0, quality: 0 },
};

describe('renderResultsChart', () => {
  it('is a PNG of the declared size', async () => {
    const png = await renderResultsChart(result(SEVEN, { Horror: 10, Comedy: 8, Poetry: 20 }));
    expect(pngSize(png)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
    expect([CHART_WIDTH, CHART_HEIGHT]).toEqual([900, 500]);
  });

  it('draws 20 teachers with 100-character ids and all 25 genres, and an empty result, at the same size', async () => {
    const many = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`teacher-${i}-`.padEnd(100, 'x'), { wins: (i * 7) % 9, quality: 7 + (i % 4) * 0.7 }]),
    );
    const genres = Object.fromEntries(GENRES.map((g, i) => [g, 1 + ((i * 5) % 7)]));
    expect(pngSize(await renderResultsChart(result(many, genres)))).toEqual({ width: 900, height: 500 });
    expect(pngSize(await renderResultsChart(result({}, {})))).toEqual({ width: 900, height: 500 });
  });

  it('draws its labels with the bundled font', async () => {
    const family = chartFontFamily();
    expect(family).toBe('Zega Sans');
    expect(GlobalFonts.families.map((f) => f.family)).toContain(family);
    // Two results that differ only in one model's name: if no text were drawn, the images would be equal.
    const a = await renderResultsChart(result({ alpha: { wins: 3, quality: 8 } }, { Horror: 3 }));
    const b = await renderResultsChart(result({ omega: { wins: 3, quality: 8 } }, { Horror: 3 }));
    expect(a.equals(b)).toBe(false);
    // And the same input draws the same picture.
    expect(a.equals(await renderResultsChart(result({ alpha: { wins: 3, quality: 8 } }, { Horror: 3 })))).toBe(true);
  });

  it('draws the bars from the data', async () => {
    // Pixels of each bar colour (the legend has one 10×10 swatch of each).
    const count = async (png: Buffer) => {
      const image = await loadImage(png);
      const canvas = createCanvas(image.width, image.height);
      const ctx = canvas.getContext('2d');
      ctx.drawImage(image, 0, 0);
      const { data } = ctx.getImageData(0, 0, image.width, image.height);
      const colours = { wins: [0x58, 0x65, 0xf2], quality: [0xfe, 0xe7, 0x5c], genre: [0x57, 0xf2, 0x87] };
      const out = { wins: 0, quality: 0, genre: 0 };
      for (let i = 0; i < data.length; i += 4) {
        for (const [name, [r, g, b]] of Object.entries(colours) as [keyof typeof out, number[]][]) {
          if (data[i] === r && data[i + 1] === g && data[i + 2] === b) out[name] += 1;
        }
      }
      return out;
    };
    const none = await count(await renderResultsChart(result({ alpha: { wins: 0, quality: 0 } }, {})));
    expect(none).toEqual({ wins: 100, quality: 100, genre: 100 });
    const some = await count(await renderResultsChart(result({ alpha: { wins: 1, quality: 5 }, beta: { wins: 4, quality: 10 } }, { Horror: 2, Poetry: 4 })));
    expect(some.wins).toBeGreaterThan(2000);
    expect(some.quality).toBeGreaterThan(1000);
    expect(some.genre).toBeGreaterThan(2000);
  });

  it('has a file name the results embed accepts', () => {
    const message = resultsMessage({
      ownerId: '123456789012345678',
      runToken: 'tok',
      result: result(SEVEN, {}),
      teachers: [],
      fineTuneTotal: 0,
      chartFileName: CHART_FILE_NAME,
    });
    expect(message.embeds[0]?.image?.url).toBe(`attachment://${CHART_FILE_NAME}`);
  });
});
