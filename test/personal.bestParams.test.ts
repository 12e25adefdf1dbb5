/** Best parameters from stored winners: trust floor, averages, confidence, model scores, per genre. */
import { describe, expect, it } from 'vitest';
import {
  computeBestParams,
  computeUserBestParams,
  confidenceOf,
  sampleFromExample,
  trustFloor,
  type WinnerSample,
} from '../src/personal/bestParams.ts';
import type { FineTuneExample } from '../src/storage/index.ts';
import { finalQuality } from '../src/trainer/scoring.ts';
import type { Genre } from '../src/trainer/genres.ts';

const S1 = { temperature: 0.9, topP: 0.95, maxTokens: 600 };
const S2 = { temperature: 0.7, topP: 0.9, maxTokens: 800 };
const S3 = { temperature: 1.1, topP: 1, maxTokens: 400 };

function win(teacherId: string, quality: number, settings = S1, genre: Genre = 'Horror', confidence = 0.5, losers: [string, number][] = []): WinnerSample {
  return { teacherId, genre, settings, quality, confidence, scores: [{ teacherId, textQuality: 8.5 }, ...losers.map(([id, tq]) => ({ teacherId: id, textQuality: tq }))] };
}

describe('trustFloor', () => {
  it('is max(3, 10 % of the wins), but never above the largest count present', () => {
    expect(trustFloor([])).toBe(0);
    expect(trustFloor([1, 1])).toBe(1);
    expect(trustFloor([2, 5])).toBe(3);
    expect(trustFloor([40, 2])).toBe(5);
    expect(trustFloor([100, 50, 50])).toBe(20);
    expect(trustFloor([4, 4], { minWins: 5 })).toBe(4);
  });
});

describe('confidenceOf', () => {
  it('recovers the confidence a final quality was computed with', () => {
    for (const [tq, c] of [
      [8.5, 0.5],
      [9.3, 1],
      [7, 0],
      [8.1, 0.333],
    ] as const) {
      expect(confidenceOf(finalQuality(tq, c), tq)).toBeCloseTo(c, 2);
    }
    expect(confidenceOf(5, 9)).toBe(0);
    expect(confidenceOf(Number.NaN, 8)).toBe(0);
  });
});

describe('computeBestParams', () => {
  it('prefers a steady record over a lucky single win, then the higher average among the trusted', () => {
    const samples = [
      win('lucky', 9.9),
      ...Array.from({ length: 4 }, () => win('steady', 8.6)),
      ...Array.from({ length: 3 }, () => win('solid', 8.8)),
    ];
    const best = computeBestParams(samples)!;
    expect(best.best_model).toBe('solid');
    expect(best.samples).toBe(3);
    expect(best.average_quality).toBe(8.8);
  });

  it('picks the settings of the best model whose wins average highest, once trusted', () => {
    const samples = [
      ...[8.0, 8.2, 8.4].map((q) => win('a', q, S1)),
      ...[8.9, 8.9, 8.9].map((q) => win('a', q, S2)),
      win('a', 9.5, S3),
    ];
    const best = computeBestParams(samples)!;
    expect(best.best_model).toBe('a');
    expect(best.generation_params).toEqual({ temperature: 0.7, top_p: 0.9, max_tokens: 800 });
    expect(best.samples).toBe(3);
    expect(best.average_quality).toBe(8.9);
  });

  it('breaks ties by more wins, then by id, so the answer never depends on input order', () => {
    const samples = [win('b', 8.5), win('b', 8.5), win('b', 8.5), win('a', 8.5), win('a', 8.5), win('a', 8.5)];
    expect(computeBestParams(samples)!.best_model).toBe('a');
    expect(computeBestParams([...samples].reverse())!.best_model).toBe('a');
    const more = [...samples, win('b', 8.5)];
    expect(computeBestParams(more)!.best_model).toBe('b');
  });

  it('reports the best model’s mean confidence and every teacher’s mean candidate text quality', () => {
    const samples = [
      win('a', 8.5, S1, 'Horror', 0.4, [['b', 7.5], ['c', 8.0]]),
      win('a', 8.5, S1, 'Horror', 0.6, [['b', 8.5]]),
      win('a', 8.5, S1, 'Horror', 0.8, []),
    ];
    const best = computeBestParams(samples)!;
    expect(best.ensemble_confidence).toBe(0.6);
    expect(best.model_scores).toEqual({ a: 8.5, b: 8, c: 8 });
  });

  it('gives nothing without winners', () => {
    expect(computeBestParams([])).toBeUndefined();
    expect(computeUserBestParams([])).toEqual({ perGenre: {} });
  });
});

describe('computeUserBestParams', () => {
  it('computes overall and per genre, each on its own winners', () => {
    const samples = [
      ...Array.from({ length: 3 }, () => win('groq', 8.9, S2, 'Horror')),
      ...Array.from({ length: 5 }, () => win('gemini', 8.4, S1, 'Comedy')),
    ];
    const best = computeUserBestParams(samples);
    expect(best.overall?.best_model).toBe('groq');
    expect(best.perGenre.Horror?.best_model).toBe('groq');
    expect(best.perGenre.Comedy?.best_model).toBe('gemini');
    expect(best.perGenre.Comedy?.generation_params).toEqual({ temperature: 0.9, top_p: 0.95, max_tokens: 600 });
    expect(Object.keys(best.perGenre).sort()).toEqual(['Comedy', 'Horror']);
  });

  it('reads stored fine-tuning examples (winner and losing candidates)', () => {
    const example: FineTuneExample = {
      v: 1,
      seq: 0,
      userId: 'u',
      runId: 'r',
      index: 0,
      system: 's',
      prompt: 'p',
      story: 'story',
      quality: finalQuality(8.6, 2 / 3),
      textQuality: 8.6,
      genre: 'Mystery',
      teacherId: 'groq-llama-3.3-70b',
      settings: S2,
      rejected: [{ teacherId: 'hf-mistral-7b', text: 'x', textQuality: 7.8 }],
      createdAt: 0,
    };
    const sample = sampleFromExample(example);
    expect(sample).toEqual({
      teacherId: 'groq-llama-3.3-70b',
      genre: 'Mystery',
      settings: S2,
      quality: example.quality,
      confidence: 0.67,
      scores: [
        { teacherId: 'groq-llama-3.3-70b', textQuality: 8.6 },
        { teacherId: 'hf-mistral-7b', textQuality: 7.8 },
      ],
    });
  });
});
