/** The CLI's plain-text progress line and result tables show the story score beside the seed quality, and unreadable jury ballots. */
import { describe, expect, it } from 'vitest';
import { formatLeaderboard, formatSummary, progressLine } from '../src/cli/render.ts';
import type { RunTotals, TrainingResult } from '../src/trainer/types.ts';

const totals: RunTotals = { done: 3, total: 10, successful: 3, failed: 0, storiesSaved: 1, averageQuality: 7.4, averageStoryQuality: 5.12, genreCounts: {}, elapsedMs: 1000 };

const result: TrainingResult = {
  run_id: 'r',
  user_id: 'u',
  status: 'done',
  requested: 2,
  successful: 2,
  failed: 0,
  stories_saved: 0,
  model_performance: { a: { wins: 2, average_quality: 7.5, average_story_quality: 5.5, calls: 4, failures: 0, average_latency_ms: 10 } },
  average_quality: 7.5,
  average_story_quality: 5.5,
  jury: { ballots: 14, unreadable: 2, fallback_examples: 1 },
  genre_distribution: {},
  training_stats: { duration_ms: 1000, calls: 4, tokens: { input: 1, output: 1 }, fine_tune_examples_collected: 0, fine_tune_examples_total: 0, until_next_fine_tune: 50, fine_tune_every: 50 },
  best_params: { per_teacher: {}, per_genre: {} },
};

describe('cli render', () => {
  it('the progress line shows the story score and, in a jury run, the unreadable ballots', () => {
    expect(progressLine(totals)).toContain('avg 7.40 (story 5.12)');
    expect(progressLine(totals)).not.toContain('unreadable');
    expect(progressLine({ ...totals, jury: { ballots: 21, unreadable: 2, fallbacks: 0 } })).toContain('2 of 21 ballots unreadable');
  });

  it('the summary and leaderboard show the story score; the summary the jury ballots', () => {
    const summary = formatSummary(result);
    expect(summary).toMatch(/Average story quality\s+5\.50/);
    expect(summary).toContain('2 of 14 ballots unreadable · 1 example(s) decided by consensus');
    expect(formatSummary({ ...result, jury: undefined })).not.toContain('Jury');
    expect(formatLeaderboard(result)).toMatch(/Avg story/);
    expect(formatLeaderboard(result)).toMatch(/7\.50\s+5\.50/);
  });
});
