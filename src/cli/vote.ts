/** `cli vote`: consensus voting over each {"prompt_id","candidates":[{"model","text"}]} line, no API call. */
import { z } from 'zod';
import { consensusVote } from '../trainer/voting.ts';
import { readJsonLines } from './jsonLines.ts';
import { describeZodError, type CliIo } from './io.ts';

const voteLine = z.object({
  prompt_id: z.union([z.string(), z.number()]),
  candidates: z
    .array(z.object({ model: z.string().min(1), text: z.string() }))
    .min(1, 'needs at least one candidate')
    .refine((c) => new Set(c.map((x) => x.model)).size === c.length, 'candidate models must be unique'),
});

export async function voteCommand(input: string | undefined, io: CliIo): Promise<number> {
  let bad = 0;
  for await (const entry of readJsonLines(input)) {
    if ('error' in entry) {
      bad += 1;
      io.error(`line ${entry.line}: ${entry.error}`);
      continue;
    }
    const parsed = voteLine.safeParse(entry.value);
    if (!parsed.success) {
      bad += 1;
      io.error(`line ${entry.line}: ${describeZodError(parsed.error)}`);
      continue;
    }
    const vote = consensusVote(parsed.data.candidates.map((c) => ({ teacherId: c.model, text: c.text })));
    io.out(
      JSON.stringify({
        prompt_id: parsed.data.prompt_id,
        winner_model: vote.winner,
        confidence: vote.confidence,
        final_quality: vote.finalQuality,
        votes: vote.votes,
      }),
    );
  }
  return bad === 0 ? 0 : 1;
}
