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
import { consensusVote, mbrVote, type Candidate } from '../trainer/voting.ts';
import { fitStoryModel } from './fit.ts';
import { argmaxAll, kendallTauB, selectionFigures, type PromptPick } from './stats.ts';

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

/** Story score of every candidate, each from a model fitted without its prompt's fold. */
export function crossValidatedScores(prepared: readonly Prepared[], folds = FOLDS): number[][] {
  const order = prepared.map((p, i) => [p.prompt.promptId, i] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const foldOf = new Map(order.map(([, index], rank) => [index, rank % folds]));
  const scores: number[][] = prepared.map(() => []);
  for (let fold = 0; fold < folds; fold++) {
    const training = prepared.filter((_, i) => foldOf.get(i) !== fold);
    if (training.length === prepared.length || training.length === 0) continue;
    const model = fitStoryModel(training.flatMap((p) => p.signals.map((signals, k) => ({ signals, human: (p.prompt.candidates[k] as { human: number }).human }))));
    prepared.forEach((p, i) => {
      if (foldOf.get(i) === fold) scores[i] = p.signals.map((s) => overallToQuality(predictedOverall(s, model)));
    });
  }
  return scores;
}

/** Figures of a method given each prompt's per-candidate score (its pick is the highest score). */
function scoreMethod(method: string, prompts: readonly HannaPrompt[], scores: readonly (readonly number[])[]): MethodFigures {
  const picks: PromptPick[] = prompts.map((p, i) => ({ human: p.candidates.map((c) => c.human), picked: argmaxAll(scores[i] as number[]) }));
  return figures(method, picks, scores.flat(), prompts.flatMap((p) => p.candidates.map((c) => c.human)));
}

function figures(method: string, picks: readonly PromptPick[], scores: readonly number[], human: readonly number[]): MethodFigures {
  const s = selectionFigures(picks);
  return { method, gain: s.gain, tau: kendallTauB(scores, human), top3: s.top3 };
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
    { method: 'random', gain: 0, tau: 0, top3: 3 / Math.max(...prompts.map((p) => p.candidates.length)) },
    scoreMethod('oracle', prompts, prompts.map((p) => p.candidates.map((c) => c.human))),
    scoreMethod('seed formula (text_quality)', prompts, prompts.map((p) => p.candidates.map((c) => textQuality(c.text)))),
    scoreMethod('longest', prompts, prompts.map((p) => p.candidates.map((c) => tokenizeWords(c.text).length))),
    scoreMethod('TF-IDF centre', prompts, prepared.map((p) => p.centrality)),
    voteMethod('consensus', consensusVote, (v, id) => (v.votes[id] ?? 0) + (v.winner === id ? 0.5 : 0)),
    voteMethod('mbr', mbrVote, (v, id) => (v.centrality[id] ?? 0) * (v.storyQuality[id] ?? 0)),
    scoreMethod(`story score (${folds}-fold CV)`, prompts, story),
    scoreMethod('story score (shipped weights, in-sample)', prompts, prepared.map((p) => p.signals.map((s) => overallToQuality(predictedOverall(s, STORY_MODEL))))),
  ];
  const fitted = fitStoryModel(prepared.flatMap((p) => p.signals.map((signals, k) => ({ signals, human: (p.prompt.candidates[k] as { human: number }).human }))));
  return { prompts: prompts.length, stories: human.length, random: selection.random, oracle: selection.oracle, methods, fitted };
}

export function formatHannaReport(report: HannaReport): string {
  const rows = report.methods.map((m) => `| ${m.method} | ${m.gain.toFixed(3)} | ${m.tau.toFixed(3)} | ${(m.top3 * 100).toFixed(0)} % |`);
  return [
    `HANNA: ${report.prompts} prompts, ${report.stories} generated stories; human overall: random ${report.random.toFixed(3)}, oracle ${report.oracle.toFixed(3)}`,
    '',
    '| method | gain | Kendall τ-b | top-3 |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
