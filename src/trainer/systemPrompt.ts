/** The instruction every teacher gets, and the system turn stored with each fine-tuning example. */
import type { Genre } from './genres.ts';

export function storySystemPrompt(genre: Genre): string {
  return [
    `You are an award-winning author of ${genre.toLowerCase()} writing.`,
    'Write one complete, original piece of 120 to 180 words for the request you are given.',
    'Use vivid, concrete description, at least three sentences, and a line of dialogue in double quotes where it fits.',
    'Answer with the piece only: no title, no preface, no notes.',
  ].join(' ');
}
