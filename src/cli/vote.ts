/**
 * `cli vote`: consensus voting over each {"prompt_id"[,"prompt"],"candidates":[{"model","text"}]}
 * line, no API call. Output unchanged: winner, confidence, final quality, votes. The optional
 * prompt feeds the story score that breaks ties.
 */
import { z } from 'zod';
import { consensusVote } from '../trainer/voting.ts';
import { mapJsonLines } from './jsonLines.ts';
import type { CliIo } from './io.ts';

const voteLine = z.object({
  prompt_id: z.union([z.string(), z.number()]),
  prompt: z.string().optional(),
  candidates: z
    .array(z.object({ model: z.string().min(1), text: z.string() }))
    .min(1, 'needs at least one candidate')
    .refine((c) => new Set(c.map((x) => x.model)).size === c.length, 'candidate models must be unique'),
});

export function voteCommand(input: string | undefined, io: CliIo): Promise<number> {
  return mapJsonLines(
    input,
    voteLine,
    (line) => {
      const vote = consensusVote(
        line.candidates.map((c) => ({ teacherId: c.model, text: c.text })),
        line.prompt !== undefined ? { prompt: line.prompt } : {},
      );
      return { prompt_id: line.prompt_id, winner_model: vote.winner, confidence: vote.confidence, final_quality: vote.finalQuality, votes: vote.votes };
    },
    io,
  );
}
