/**
 * The HANNA evaluation: how well each way of picking and scoring stories agrees with people, on a
 * copy of the benchmark's dev split (48 prompts × 10 generated stories, rated by three people;
 * see its README). Reads `stories.jsonl` (human ratings) and `candidates.jsonl` (the generated
 * stories per prompt); computes, per method, the normalised gain of its picks, Kendall τ-b of its
 * score with human overall and the share of picks among each prompt's 3 best stories.
 *
 * The story score is cross-validated: prompts are dealt into folds, the model is fitted on the
 * other folds and scores the held-out prompts, so no figure rests on ratings the model saw.
 * Consensus and MBR use those held-out story scores too.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { textQuality, tokenizeWords } from '../trainer/scoring.ts';
import { similarityMatrix } from '../trainer/similarity.ts';
import { agreementOf, overallToQuality, predictedOverall, STORY_MODEL, storySignals, type StoryModel, type StorySignals } from '../trainer/storyScore.ts';
import { consensusVote, mbrUtilities, mbrVote, type Candidate } from '../trainer/voting.ts';
import { createRandom } from '../trainer/random.ts';
import { fitStoryModel } from './fit.ts';
import { argmaxAll, gainInterval, kendallTauB, selectionFigures, type PromptPick } from './stats.ts';

const storyLine = z.object({ id: z.string(), human: z.object({ overall: z.number() }).passthrough() }).passthrough();
const candidatesLine = z.object({
  prompt_id: z.string(),
  prompt: z.string(),
  candidates: z.array(z.object({ id: z.string(), model: z.string(), text: z.string() })).min(2),
});

export interface HannaPrompt {
  promptId: string;
  prompt: string;
  candidates: { id: string; model: string; text: string; human: number }[];
}

async function readJsonLines<T>(path: string, schema: z.ZodType<T>): Promise<T[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const parsed = schema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${path} line ${i + 1}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      return parsed.data;
    });
}

export async function loadHanna(dir: string): Promise<HannaPrompt[]> {
  const stories = await readJsonLines(join(dir, 'stories.jsonl'), storyLine);
  const human = new Map(stories.map((s) => [s.id, s.human.overall]));
  const lines = await readJsonLines(join(dir, 'candidates.jsonl'), candidatesLine);
  return lines.map((line) => ({
    promptId: line.prompt_id,
    prompt: line.prompt,
    candidates: line.candidates.map((c) => {
      const rating = human.get(c.id);
      if (rating === undefined) throw new Error(`candidate ${c.id} of prompt ${line.prompt_id} has no rating in stories.jsonl`);
      return { ...c, human: rating };
    }),
  }));
}

export interface MethodFigures {
  method: string;
  gain: number;
  /** 95 % bootstrap interval of the gain over prompts. */
  gainLow: number;
  gainHigh: number;
  tau: number;
  top3: number;
}

export interface HannaReport {
  prompts: number;
  stories: number;
  random: number;
  oracle: number;
  methods: MethodFigures[];
  /** The story model fitted on every prompt (what STORY_MODEL should hold). */
  fitted: StoryModel;
  /** The story score's CV figures over random deals of the prompts into folds. */
  spread: DealSpread;
  /** The story score's (CV) τ within each generation system. */
  withinSystem: { mean: number; min: number; max: number };
}

interface Prepared {
  prompt: HannaPrompt;
  signals: StorySignals[];
  centrality: number[];
}

export function prepare(prompt: HannaPrompt): Prepared {
  const texts = prompt.candidates.map((c) => c.text);
  const agreement = agreementOf(similarityMatrix(texts));
  return {
    prompt,
    signals: texts.map((text, i) => storySignals(text, { prompt: prompt.prompt, ...(agreement[i] !== undefined ? { agreement: agreement[i] } : {}) })),
    centrality: agreement.map((a) => a ?? 0),
  };
}

export const FOLDS = 8;

/** The fixed deal: prompts sorted by id, dealt round the folds (prompt i of that order → fold i mod folds). */
export function dealByPromptId(prepared: readonly Prepared[], folds = FOLDS): number[] {
  const order = prepared.map((p, i) => [p.prompt.promptId, i] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const deal = new Array<number>(prepared.length).fill(0);
  order.forEach(([, index], rank) => (deal[index] = rank % folds));
  return deal;
}

/** A seeded random deal of the prompts into folds of (nearly) equal size. */
export function randomDeal(count: number, folds: number, seed: string): number[] {
  const deal = new Array<number>(count).fill(0);
  createRandom(seed)
    .shuffle(Array.from({ length: count }, (_, i) => i))
    .forEach((index, rank) => (deal[index] = rank % folds));
  return deal;
}

/** Story score of every candidate, each from a model fitted without its prompt's fold (deal[i] = fold of prompt i). */
export function crossValidatedScores(prepared: readonly Prepared[], folds = FOLDS, deal: readonly number[] = dealByPromptId(prepared, folds)): number[][] {
  const scores: number[][] = prepared.map(() => []);
  for (let fold = 0; fold < folds; fold++) {
    const training = prepared.filter((_, i) => deal[i] !== fold);
    if (training.length === prepared.length || training.length === 0) continue;
    const model = fitStoryModel(training.flatMap((p) => p.signals.map((signals, k) => ({ signals, human: (p.prompt.candidates[k] as { human: number }).human }))));
    prepared.forEach((p, i) => {
      if (deal[i] === fold) scores[i] = p.signals.map((s) => overallToQuality(predictedOverall(s, model)));
    });
  }
  return scores;
}

/** How much a cross-validated figure owes to one particular deal of prompts into folds. */
export interface DealSpread {
  deals: number;
  tau: { mean: number; min: number; max: number };
  gain: { mean: number; min: number; max: number };
}

/**
 * Kendall τ-b of the scores with human overall within each generation system's stories (the
 * `model` field of the data), so a score that only told systems apart would show ~0 here.
 */
export function withinSystemTau(prompts: readonly HannaPrompt[], scores: readonly (readonly number[])[]): { mean: number; min: number; max: number } {
  const bySystem = new Map<string, { scores: number[]; human: number[] }>();
  prompts.forEach((p, i) =>
    p.candidates.forEach((c, k) => {
      const entry = bySystem.get(c.model) ?? { scores: [], human: [] };
      entry.scores.push((scores[i] as number[])[k] as number);
      entry.human.push(c.human);
      bySystem.set(c.model, entry);
    }),
  );
  return spreadOf([...bySystem.values()].map((e) => kendallTauB(e.scores, e.human)));
}

/** Random deals used for the spread; seeded, so the figures are re-made exactly. */
export const SPREAD_DEALS = 20;

function spreadOf(values: readonly number[]) {
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values) };
}

/** The story score's cross-validated τ and gain over `deals` seeded random deals of the prompts into folds. */
export function dealSpread(prepared: readonly Prepared[], folds = FOLDS, deals = SPREAD_DEALS): DealSpread {
  const human = prepared.flatMap((p) => p.prompt.candidates.map((c) => c.human));
  const figuresOfDeals = Array.from({ length: deals }, (_, k) => {
    const scores = crossValidatedScores(prepared, folds, randomDeal(prepared.length, folds, `hanna-deal-${k}`));
    return scoreMethod('deal', prepared.map((p) => p.prompt), scores, human);
  });
  return { deals, tau: spreadOf(figuresOfDeals.map((f) => f.tau)), gain: spreadOf(figuresOfDeals.map((f) => f.gain)) };
}

/** Figures of a method given each prompt's per-candidate score (its pick is the highest score). */
function scoreMethod(method: string, prompts: readonly HannaPrompt[], scores: readonly (readonly number[])[], human = prompts.flatMap((p) => p.candidates.map((c) => c.human))): MethodFigures {
  const picks: PromptPick[] = prompts.map((p, i) => ({ human: p.candidates.map((c) => c.human), picked: argmaxAll(scores[i] as number[]) }));
  return figures(method, picks, scores.flat(), human);
}

function figures(method: string, picks: readonly PromptPick[], scores: readonly number[], human: readonly number[]): MethodFigures {
  const s = selectionFigures(picks);
  const interval = gainInterval(picks, createRandom(`hanna-bootstrap-${method}`).next);
  return { method, gain: s.gain, gainLow: interval.low, gainHigh: interval.high, tau: kendallTauB(scores, human), top3: s.top3 };
}

export function evaluateHanna(prompts: readonly HannaPrompt[], folds = FOLDS): HannaReport {
  const prepared = prompts.map(prepare);
  const human = prompts.flatMap((p) => p.candidates.map((c) => c.human));
  const story = crossValidatedScores(prepared, folds);
  const candidatesOf = (p: HannaPrompt): Candidate[] => p.candidates.map((c) => ({ teacherId: c.id, text: c.text }));
  const voteMethod = (method: string, vote: typeof consensusVote, score: (v: ReturnType<typeof consensusVote>, id: string) => number): MethodFigures => {
    const results = prompts.map((p, i) => vote(candidatesOf(p), { prompt: p.prompt, storyQualities: story[i] as number[] }));
    const picks = prompts.map((p, i) => ({ human: p.candidates.map((c) => c.human), picked: [p.candidates.findIndex((c) => c.id === (results[i] as ReturnType<typeof consensusVote>).winner)] }));
    const scores = prompts.flatMap((p, i) => p.candidates.map((c) => score(results[i] as ReturnType<typeof consensusVote>, c.id)));
    return figures(method, picks, scores, human);
  };
  const selection = selectionFigures(prompts.map((p) => ({ human: p.candidates.map((c) => c.human), picked: [0] })));
  const methods: MethodFigures[] = [
    { method: 'random', gain: 0, gainLow: 0, gainHigh: 0, tau: 0, top3: 3 / Math.max(...prompts.map((p) => p.candidates.length)) },
    scoreMethod('oracle', prompts, prompts.map((p) => p.candidates.map((c) => c.human))),
    scoreMethod('seed formula (text_quality)', prompts, prompts.map((p) => p.candidates.map((c) => textQuality(c.text)))),
    scoreMethod('longest', prompts, prompts.map((p) => p.candidates.map((c) => tokenizeWords(c.text).length))),
    scoreMethod('TF-IDF centre', prompts, prepared.map((p) => p.centrality)),
    voteMethod('consensus', consensusVote, (v, id) => (v.votes[id] ?? 0) + (v.winner === id ? 0.5 : 0)),
    voteMethod('mbr', mbrVote, (v, id) => {
      const ids = Object.keys(v.centrality);
      const utility = mbrUtilities(ids.map((k) => v.centrality[k] as number), ids.map((k) => v.storyQuality[k] as number));
      return utility[ids.indexOf(id)] as number;
    }),
    scoreMethod(`story score (${folds}-fold CV)`, prompts, story),
    scoreMethod('story score (shipped weights, in-sample)', prompts, prepared.map((p) => p.signals.map((s) => overallToQuality(predictedOverall(s, STORY_MODEL))))),
  ];
  const fitted = fitStoryModel(prepared.flatMap((p) => p.signals.map((signals, k) => ({ signals, human: (p.prompt.candidates[k] as { human: number }).human }))));
  return { prompts: prompts.length, stories: human.length, random: selection.random, oracle: selection.oracle, methods, fitted, spread: dealSpread(prepared, folds), withinSystem: withinSystemTau(prompts, story) };
}

const range = (s: { mean: number; min: number; max: number }) => `mean ${s.mean.toFixed(3)} (${s.min.toFixed(3)} to ${s.max.toFixed(3)})`;

export function formatHannaReport(report: HannaReport): string {
  const rows = report.methods.map((m) => `| ${m.method} | ${m.gain.toFixed(3)} | ${m.gainLow.toFixed(2)} to ${m.gainHigh.toFixed(2)} | ${m.tau.toFixed(3)} | ${(m.top3 * 100).toFixed(0)} % |`);
  return [
    `HANNA: ${report.prompts} prompts, ${report.stories} generated stories; human overall: random ${report.random.toFixed(3)}, oracle ${report.oracle.toFixed(3)}`,
    '',
    '| method | gain | gain, 95 % interval | Kendall τ-b | top-3 |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Story score (CV) over ${report.spread.deals} random deals of the prompts into folds: τ ${range(report.spread.tau)}; gain ${range(report.spread.gain)}`,
    `Story score (CV) τ within each generation system: ${range(report.withinSystem)}`,
  ].join('\n');
}
