import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fitStoryModel, solveLinear } from '../src/eval/fit.ts';
import { crossValidatedScores, dealByPromptId, dealSpread, evaluateHanna, formatHannaReport, loadHanna, prepare, randomDeal, withinSystemTau } from '../src/eval/hanna.ts';
import { runEval } from '../src/eval/index.ts';
import { argmaxAll, gainInterval, kendallTauB, selectionFigures } from '../src/eval/stats.ts';
import { createRandom } from '../src/trainer/random.ts';
import type { StorySignals } from '../src/trainer/storyScore.ts';

const MINI = fileURLToPath(new URL('./fixtures/hanna-mini', import.meta.url));

describe('statistics', () => {
  it('Kendall τ-b: perfect, reversed, hand-computed with ties', () => {
    expect(kendallTauB([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTauB([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // x = [1,2,2,3], y = [1,3,2,3]: concordant 4, discordant 0, ties only in x 1, only in y 1 → 4 / √(5·5).
    expect(kendallTauB([1, 2, 2, 3], [1, 3, 2, 3])).toBeCloseTo(4 / 5);
    expect(kendallTauB([1, 1], [1, 2])).toBe(0);
    expect(() => kendallTauB([1], [1, 2])).toThrow(/lengths/);
  });

  it('selection figures: gain, top-3, ties counted at their mean', () => {
    const picks = [
      { human: [1, 2, 3, 4], picked: [3] },
      { human: [2, 2, 2, 5], picked: [0, 1] },
    ];
    const figures = selectionFigures(picks);
    expect(figures.random).toBeCloseTo((2.5 + 2.75) / 2);
    expect(figures.oracle).toBeCloseTo(4.5);
    expect(figures.picked).toBeCloseTo(3);
    expect(figures.gain).toBeCloseTo((3 - 2.625) / (4.5 - 2.625));
    expect(figures.top3).toBe(1);
    expect(argmaxAll([1, 3, 3])).toEqual([1, 2]);
  });

  it('the gain interval resamples prompts: narrow when every prompt agrees, wide when they disagree', () => {
    const random = createRandom('t');
    const same = gainInterval([{ human: [1, 2, 3], picked: [2] }, { human: [2, 4, 6], picked: [1] }], random.next);
    // A resample of the first prompt twice has gain 1, of the second twice gain 0: the interval spans both.
    expect(same.low).toBe(0);
    expect(same.high).toBe(1);
    const steady = gainInterval(Array.from({ length: 10 }, () => ({ human: [1, 2, 3], picked: [1] })), random.next);
    expect(steady.low).toBeCloseTo(0);
    expect(steady.high).toBeCloseTo(0);
    const mixed = gainInterval(Array.from({ length: 40 }, (_, i) => ({ human: [1, 2, 3], picked: [i % 2 === 0 ? 2 : 1] })), random.next);
    expect(mixed.low).toBeGreaterThan(0.25);
    expect(mixed.high).toBeLessThan(0.75);
    expect(mixed.low).toBeLessThan(0.5);
    expect(mixed.high).toBeGreaterThan(0.5);
  });
});

describe('fitting the story model', () => {
  const signals = (length: number, repetition: number): StorySignals => ({ length, completeness: 1, repetition, vocabulary: undefined, relevance: undefined, agreement: undefined });

  it('solves a small linear system', () => {
    expect(solveLinear([[2, 1], [1, 3]], [3, 5]).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.8, 1.4]);
    expect(() => solveLinear([[1, 2], [2, 4]], [1, 2])).toThrow(/singular/);
  });

  it('recovers the direction and size of a clean effect, and zeroes a wrong-signed one', () => {
    const samples = Array.from({ length: 40 }, (_, i) => {
      const length = 4 + (i % 10) * 0.2;
      // More repetition comes with BETTER ratings here: the fit must not reward looping.
      const repetition = (i % 7) / 10;
      return { signals: signals(length, repetition), human: 1 + (length - 4) + 0.5 * repetition };
    });
    const model = fitStoryModel(samples, 0.01);
    expect(model.signals.length.weight).toBeGreaterThan(0.5);
    expect(model.signals.repetition.weight).toBe(0);
    expect(model.signals.relevance.weight).toBe(0); // never measured
    expect(model.intercept).toBeCloseTo(samples.reduce((s, x) => s + x.human, 0) / samples.length, 3);
  });
});

describe('HANNA evaluation', () => {
  it('loads the data, rates every method and formats the table', async () => {
    const prompts = await loadHanna(MINI);
    expect(prompts).toHaveLength(4);
    expect(prompts[0]?.candidates[0]?.human).toBe(4);
    const report = evaluateHanna(prompts, 4);
    const by = Object.fromEntries(report.methods.map((m) => [m.method, m]));
    expect(Object.keys(by)).toEqual([
      'random',
      'oracle',
      'seed formula (text_quality)',
      'longest',
      'TF-IDF centre',
      'consensus',
      'mbr',
      'story score (4-fold CV)',
      'story score (shipped weights, in-sample)',
    ]);
    expect(by.oracle).toMatchObject({ gain: 1, tau: 1, top3: 1 });
    expect(by.random?.gain).toBe(0);
    // In the fixture the longest story is always the best one.
    expect(by.longest?.gain).toBeCloseTo(1);
    expect(report.random).toBeCloseTo((4 + 2.5 + 1.3) / 3);
    const table = formatHannaReport(report);
    expect(table).toContain('| method | gain | gain, 95 % interval | Kendall τ-b | top-3 |');
    expect(table).toContain('| oracle | 1.000 | 1.00 to 1.00 | 1.000 | 100 % |');
  });

  it('cross-validation scores a prompt with a model that never saw its ratings', async () => {
    const prompts = await loadHanna(MINI);
    const before = crossValidatedScores(prompts.map(prepare), 4);
    // Change the ratings of prompt 0 only: its own scores must not move, the others' may.
    const changed = prompts.map((p, i) => (i === 0 ? { ...p, candidates: p.candidates.map((c) => ({ ...c, human: 6 - c.human })) } : p));
    const after = crossValidatedScores(changed.map(prepare), 4);
    expect(after[0]).toEqual(before[0]);
    expect(after.slice(1)).not.toEqual(before.slice(1));
  });

  it('deals prompts into folds: by prompt id, or at random from a seed, in folds of equal size', async () => {
    const prepared = (await loadHanna(MINI)).map(prepare);
    expect(dealByPromptId(prepared, 2)).toEqual([0, 1, 0, 1]);
    const deal = randomDeal(48, 8, 'x');
    expect(randomDeal(48, 8, 'x')).toEqual(deal);
    expect(randomDeal(48, 8, 'y')).not.toEqual(deal);
    for (let fold = 0; fold < 8; fold++) expect(deal.filter((f) => f === fold)).toHaveLength(6);
    expect(crossValidatedScores(prepared, 2, dealByPromptId(prepared, 2))).toEqual(crossValidatedScores(prepared, 2));
    // Another deal trains on other prompts, so the held-out scores change.
    expect(crossValidatedScores(prepared, 2, [0, 0, 1, 1])).not.toEqual(crossValidatedScores(prepared, 2));
    const spread = dealSpread(prepared, 2, 5);
    expect(spread.deals).toBe(5);
    expect(spread.tau.min).toBeLessThanOrEqual(spread.tau.mean);
    expect(spread.tau.mean).toBeLessThanOrEqual(spread.tau.max);
    expect(formatHannaReport(evaluateHanna(await loadHanna(MINI), 2))).toMatch(/over 20 random deals of the prompts into folds: τ mean -?\d\.\d{3} \(/);
  });

  it('τ within each generation system: stories of one system ranked against each other only', async () => {
    // Two systems over three prompts; system A is always rated above B, and within each the ratings vary.
    const ratings = [
      [4.0, 2.0],
      [3.0, 1.5],
      [3.5, 1.0],
    ];
    const prompts = ratings.map((pair, i) => ({
      promptId: `p${i}`,
      prompt: 'x',
      candidates: pair.map((human, k) => ({ id: `s${i}${k}`, model: k === 0 ? 'A' : 'B', text: 't', human })),
    }));
    expect(withinSystemTau(prompts, ratings)).toEqual({ mean: 1, min: 1, max: 1 });
    // A score that only tells systems apart (one constant per system) ranks nothing within one…
    expect(withinSystemTau(prompts, ratings.map(() => [2, 1])).mean).toBe(0);
    // …and one reversed within system A only shows it.
    expect(withinSystemTau(prompts, [[1, 3], [3, 2], [2, 1]])).toEqual({ mean: 0, min: -1, max: 1 });
    expect(formatHannaReport(evaluateHanna(await loadHanna(MINI), 2))).toMatch(/τ within each generation system: mean/);
  });

  it('npm run eval -- hanna --data DIR prints the table; bad usage and bad data are clear errors', async () => {
    const lines: string[] = [];
    expect(await runEval(['hanna', '--data', MINI, '--fit'], (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/HANNA: 4 prompts, 12 generated stories/);
    expect(lines.join('\n')).toMatch(/"intercept"/);
    expect(await runEval(['other'], (l) => lines.push(l))).toBe(2);
    const dir = await mkdtemp(join(tmpdir(), 'zega-hanna-'));
    try {
      await writeFile(join(dir, 'stories.jsonl'), '{"id":"s1","human":{"overall":3}}\n');
      await writeFile(join(dir, 'candidates.jsonl'), '{"prompt_id":"p","prompt":"x","candidates":[{"id":"s1","model":"m","text":"t"},{"id":"s2","model":"n","text":"u"}]}\n');
      await expect(loadHanna(dir)).rejects.toThrow(/s2 of prompt p has no rating/);
      await writeFile(join(dir, 'candidates.jsonl'), '{"prompt_id":"p"}\n');
      await expect(loadHanna(dir)).rejects.toThrow(/candidates.jsonl line 1: prompt/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
