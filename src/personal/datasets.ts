/**
 * One fine-tuning example as a line of a training file, in three formats. Pure: no I/O.
 *
 * - sft: chat format, `{"messages":[system, user, assistant], "metadata":{…}}` — what TRL's
 *   SFTTrainer, Axolotl (`type: chat_template`), LLaMA-Factory (sharegpt/openai) and Unsloth read.
 * - alpaca: `{"instruction": <system prompt>, "input": <request>, "output": <story>, "metadata"}`
 *   — the instruction is the writing brief, the input the request, so nothing is lost.
 * - dpo: a preference pair in TRL's conversational form, `{"prompt":[system, user],
 *   "chosen":[assistant], "rejected":[assistant], "metadata":{…}}`, with both models and scores.
 *
 * Every line of one format has the same keys and types (no optional key), so `datasets` infers
 * one schema for the whole file.
 *
 * Preference pairs. Each example keeps the candidates that lost the vote, with their scores. The
 * pair compares story scores (storyScore.ts) — a score the winner and a loser share and the one
 * that agrees with people (docs/scoring.md), whichever score decides the thresholds: a candidate
 * is a clear loser when its story score is at least `margin` (default 0.5) below the winner's.
 * Examples collected before the story score existed get it computed from their texts (without
 * the agreement signal, for both sides alike). The pair's rejected side is
 * the best-rated clear loser — the hardest negative that is still clearly worse. An example whose
 * losers are all within the margin (or rated above the winner: the vote and the score disagree)
 * gives no pair.
 */
import type { FineTuneExample } from '../storage/index.ts';
import type { Genre } from '../trainer/genres.ts';
import { storyQuality } from '../trainer/storyScore.ts';

export const DATASET_FORMATS = ['sft', 'alpaca', 'dpo'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export function isDatasetFormat(value: string): value is DatasetFormat {
  return (DATASET_FORMATS as readonly string[]).includes(value);
}

/** Story score a losing candidate must be below the winner's to be a clear loser. */
export const DPO_MARGIN = 0.5;

type Role = 'system' | 'user' | 'assistant';
interface Message<R extends Role = Role> {
  role: R;
  content: string;
}

export interface ExampleMetadata {
  /** Final quality of the winner (text quality and ensemble confidence). */
  quality: number;
  text_quality: number;
  /** Story score of the winner (storyScore.ts), beside the seed's qualities. */
  story_quality: number;
  genre: Genre;
  /** The teacher that wrote the story. */
  model: string;
  settings: { temperature: number; top_p: number; max_tokens: number };
  run_id: string;
  example_index: number;
  created_at: string;
}

export interface SftLine {
  messages: [Message<'system'>, Message<'user'>, Message<'assistant'>];
  metadata: ExampleMetadata;
}

export interface AlpacaLine {
  instruction: string;
  input: string;
  output: string;
  metadata: ExampleMetadata;
}

export interface PreferenceMetadata {
  genre: Genre;
  chosen_model: string;
  /** Story score: the score both sides share. */
  chosen_score: number;
  /** The winner's final quality. */
  chosen_quality: number;
  rejected_model: string;
  rejected_score: number;
  /** chosen_score − rejected_score. */
  margin: number;
  run_id: string;
  example_index: number;
  created_at: string;
}

export interface DpoLine {
  prompt: [Message<'system'>, Message<'user'>];
  chosen: [Message<'assistant'>];
  rejected: [Message<'assistant'>];
  metadata: PreferenceMetadata;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function exampleMetadata(example: FineTuneExample): ExampleMetadata {
  return {
    quality: example.quality,
    text_quality: example.textQuality,
    story_quality: example.storyQuality ?? storyQuality(example.story),
    genre: example.genre,
    model: example.teacherId,
    settings: { temperature: example.settings.temperature, top_p: example.settings.topP, max_tokens: example.settings.maxTokens },
    run_id: example.runId,
    example_index: example.index,
    created_at: new Date(example.createdAt).toISOString(),
  };
}

export function sftLine(example: FineTuneExample): SftLine {
  return {
    messages: [
      { role: 'system', content: example.system },
      { role: 'user', content: example.prompt },
      { role: 'assistant', content: example.story },
    ],
    metadata: exampleMetadata(example),
  };
}

export function alpacaLine(example: FineTuneExample): AlpacaLine {
  return { instruction: example.system, input: example.prompt, output: example.story, metadata: exampleMetadata(example) };
}

type Rejected = FineTuneExample['rejected'][number];

/**
 * Story scores of the winner and its losers. Stored ones when every side has one (they include
 * the agreement signal); otherwise all computed from the texts alike, so the sides stay comparable.
 */
function storyScores(example: FineTuneExample): { chosen: number; rejected: (candidate: Rejected) => number } {
  const stored = example.storyQuality !== undefined && example.rejected.every((r) => r.storyQuality !== undefined);
  if (stored) return { chosen: example.storyQuality as number, rejected: (c) => c.storyQuality as number };
  return { chosen: storyQuality(example.story), rejected: (c) => storyQuality(c.text) };
}

/** The clear loser a pair is made with (see the file comment) and the two scores, or undefined. */
export function rejectedCandidate(example: FineTuneExample, margin = DPO_MARGIN): { candidate: Rejected; chosenScore: number; rejectedScore: number } | undefined {
  const scores = storyScores(example);
  let best: { candidate: Rejected; chosenScore: number; rejectedScore: number } | undefined;
  for (const candidate of example.rejected) {
    if (candidate.text.trim() === '' || candidate.text.trim() === example.story.trim()) continue;
    const score = scores.rejected(candidate);
    // Compared in hundredths, so 8.5 − 8.0 counts as 0.5 despite float noise.
    if (Math.round((scores.chosen - score) * 100) < Math.round(margin * 100)) continue;
    if (!best || score > best.rejectedScore) best = { candidate, chosenScore: scores.chosen, rejectedScore: score };
  }
  return best;
}

export function preferencePair(example: FineTuneExample, margin = DPO_MARGIN): DpoLine | undefined {
  const pick = rejectedCandidate(example, margin);
  if (!pick) return undefined;
  const rejected = pick.candidate;
  return {
    prompt: [
      { role: 'system', content: example.system },
      { role: 'user', content: example.prompt },
    ],
    chosen: [{ role: 'assistant', content: example.story }],
    rejected: [{ role: 'assistant', content: rejected.text }],
    metadata: {
      genre: example.genre,
      chosen_model: example.teacherId,
      chosen_score: pick.chosenScore,
      chosen_quality: example.quality,
      rejected_model: rejected.teacherId,
      rejected_score: pick.rejectedScore,
      margin: round2(pick.chosenScore - pick.rejectedScore),
      run_id: example.runId,
      example_index: example.index,
      created_at: new Date(example.createdAt).toISOString(),
    },
  };
}

export interface LineOptions {
  /** Preference margin for dpo (default DPO_MARGIN). */
  margin?: number;
}

/** The example as one JSON line (with its newline), or undefined when it gives none (dpo without a clear loser). */
export function datasetLine(example: FineTuneExample, format: DatasetFormat, options: LineOptions = {}): string | undefined {
  const line = format === 'sft' ? sftLine(example) : format === 'alpaca' ? alpacaLine(example) : preferencePair(example, options.margin);
  return line === undefined ? undefined : `${JSON.stringify(line)}\n`;
}

/** File name of an export: `zega-<format>-<yyyy-mm-dd>.jsonl`. */
export function datasetFileName(format: DatasetFormat, now = new Date()): string {
  return `zega-${format}-${now.toISOString().slice(0, 10)}.jsonl`;
}

/** What each format is, in one line, for messages and the CLI. */
export const FORMAT_LABELS: Record<DatasetFormat, string> = {
  sft: 'chat-format SFT lines (messages: system, user, assistant)',
  alpaca: 'Alpaca lines (instruction, input, output)',
  dpo: 'DPO preference pairs (prompt, chosen, rejected)',
};
