/**
 * Deterministic stand-in for a model's story. Every model draws sentences from a pool seeded by
 * the prompt (so candidates for one prompt overlap, as real answers to one prompt do) plus a few
 * sentences of its own, with a per-model length and dialogue habit (so candidates differ, voting
 * has something to decide and quality scores spread). Same model + prompt + temperature → same text.
 */
import type { SimTextContext } from './common.ts';

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function rng(seed: number): () => number {
  let a = seed || 1;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(items: readonly T[], r: () => number): T => items[Math.floor(r() * items.length)] as T;

const subjects = ['The lighthouse keeper', 'A tired courier', 'The youngest sister', 'An old cartographer', 'The stranger', 'Mara', 'Elias', 'The captain', 'A quiet child', 'The last librarian'];
const verbs = ['crossed', 'remembered', 'searched', 'followed', 'abandoned', 'guarded', 'mapped', 'whispered to', 'waited by', 'returned to'];
const adjectives = ['silent', 'crimson', 'ancient', 'restless', 'golden', 'brittle', 'luminous', 'shadowy', 'gentle', 'fierce', 'hollow', 'velvet'];
const places = ['harbor', 'forest', 'station', 'tower', 'valley', 'market', 'archive', 'bridge', 'garden', 'desert road'];
const endings = ['before the storm arrived', 'as the bells began to ring', 'without a single word', 'while the city slept', 'under a borrowed moon', 'long after everyone had gone'];
const lines = ['"We should not be here," she said.', '"Keep walking," he whispered.', '"Do you hear that?" asked the child.', '"It was always yours," said the stranger.'];

function sentence(r: () => number): string {
  return `${pick(subjects, r)} ${pick(verbs, r)} the ${pick(adjectives, r)} ${pick(places, r)} ${pick(endings, r)}.`;
}

/** "Write a horror story about a school photograph in which …. Write it …" → "a school photograph in which …". */
function promptSubject(prompt: string): string | undefined {
  const match = /\babout ([^.;:!?]{8,160})/i.exec(prompt);
  return match?.[1]?.trim();
}

export function simulatedStory(ctx: SimTextContext): string {
  const promptRng = rng(hash(ctx.prompt));
  const pool = Array.from({ length: 8 }, () => sentence(promptRng));
  const modelSeed = hash(ctx.model);
  const r = rng(hash(`${ctx.model}|${ctx.prompt}|${ctx.temperature ?? ''}`));
  // Per-model habits: how many sentences, whether it writes dialogue, how much it borrows from the shared pool.
  const sentences = 2 + (modelSeed % 6);
  const usesDialogue = modelSeed % 3 !== 0;
  const shared = 0.4 + ((modelSeed >>> 4) % 5) / 10;
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) out.push(r() < shared ? pick(pool, r) : sentence(r));
  if (usesDialogue) out.splice(1, 0, pick(lines, r));
  // Anchor the story in its prompt, as a real answer would be.
  const subject = promptSubject(ctx.prompt);
  if (subject) out.unshift(`This is the story of ${subject}.`);
  return out.join(' ');
}
