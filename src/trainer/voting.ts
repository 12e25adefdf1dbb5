/**
 * How the ensemble picks the best candidate of one example (see docs/scoring.md).
 *
 * - consensus: each candidate's teacher votes for the OTHER candidate whose text is most similar
 *   to its own (`similarityMatrix`); the story the others converge on wins.
 * - jury: each teacher is shown the others' stories under anonymous letters and names the best
 *   (`buildJuryPrompt` / `parseJuryAnswer`; the model call itself is made by the trainer).
 *
 * Both end in `tallyBallots`: most votes wins; ties go to higher text quality, then roster order
 * (the order of the candidates array). Pure and deterministic.
 */
import { finalQuality, textQuality } from './scoring.ts';
import { similarityMatrix } from './similarity.ts';

export interface Candidate {
  teacherId: string;
  text: string;
  /** The text's words and quality when the caller already has them, so no text is scored twice. */
  words?: readonly string[];
  textQuality?: number;
}

const qualityOf = (c: Candidate) => c.textQuality ?? textQuality(c.text, c.words);

export interface VoteResult {
  /** teacherId of the winning candidate. */
  winner: string;
  /** Votes received by every candidate (0 when none). */
  votes: Record<string, number>;
  /** Counted ballots only: voter teacherId → teacherId it voted for. */
  ballots: Record<string, string>;
  /** Number of counted ballots. */
  voters: number;
  /** winner's votes ÷ voters; 0 when nobody voted. */
  confidence: number;
  /** Text quality of every candidate. */
  textQuality: Record<string, number>;
  /** The winner's final quality: finalQuality(textQuality[winner], confidence). */
  finalQuality: number;
}

/** Similarities closer than this count as equal (float noise between equal cosines). */
export const SIMILARITY_TIE_EPSILON = 1e-9;

function checkCandidates(candidates: readonly Candidate[], caller: string): void {
  if (candidates.length === 0) throw new Error(`${caller}: no candidates to vote on`);
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c.teacherId)) throw new Error(`${caller}: duplicate teacherId "${c.teacherId}"`);
    seen.add(c.teacherId);
  }
}

/** Index of the best of `indices`: higher text quality, then earlier in the roster. */
function bestByQualityThenRoster(indices: readonly number[], qualities: readonly number[]): number {
  let best = indices[0] as number;
  for (const i of indices) {
    const q = qualities[i] as number;
    const bq = qualities[best] as number;
    if (q > bq || (q === bq && i < best)) best = i;
  }
  return best;
}

function tally(candidates: readonly Candidate[], qualities: readonly number[], ballots: Readonly<Record<string, string | undefined>>): VoteResult {
  const indexOf = new Map(candidates.map((c, i) => [c.teacherId, i]));
  const counts = candidates.map(() => 0);
  const counted: [string, string][] = [];
  for (const voter of candidates) {
    if (!Object.hasOwn(ballots, voter.teacherId)) continue;
    const choice = ballots[voter.teacherId];
    if (typeof choice !== 'string' || choice === voter.teacherId) continue;
    const target = indexOf.get(choice);
    if (target === undefined) continue;
    counts[target] = (counts[target] as number) + 1;
    counted.push([voter.teacherId, choice]);
  }
  const most = Math.max(...counts);
  const tied = counts.flatMap((n, i) => (n === most ? [i] : []));
  const w = bestByQualityThenRoster(tied, qualities);
  const voters = counted.length;
  const confidence = voters === 0 ? 0 : most / voters;
  const winnerQuality = qualities[w] as number;
  return {
    winner: (candidates[w] as Candidate).teacherId,
    votes: Object.fromEntries(candidates.map((c, i) => [c.teacherId, counts[i] as number])),
    ballots: Object.fromEntries(counted),
    voters,
    confidence,
    textQuality: Object.fromEntries(candidates.map((c, i) => [c.teacherId, qualities[i] as number])),
    finalQuality: finalQuality(winnerQuality, confidence),
  };
}

/**
 * Counts ballots (voter teacherId → teacherId voted for) and picks the winner: most votes, ties to
 * higher text quality, then roster order. A ballot is ignored, and its voter counts as abstaining
 * (not a voter), when it is undefined, names an unknown candidate, is a self-vote, or comes from
 * a voter that is not a candidate. With no counted ballot, every candidate has 0 votes, the winner
 * is the best text quality (then roster order) and confidence is 0.
 * @throws Error when candidates is empty or two candidates share a teacherId.
 */
export function tallyBallots(candidates: readonly Candidate[], ballots: Readonly<Record<string, string | undefined>>): VoteResult {
  checkCandidates(candidates, 'tallyBallots');
  return tally(candidates, candidates.map(qualityOf), ballots);
}

/**
 * Consensus vote. Each candidate (when there is at least one other) votes for the other candidate
 * most similar to its own text; among equally similar others it picks the higher text quality,
 * then the earlier in the roster. Then `tallyBallots` decides.
 *
 * One candidate: it wins with 0 voters and confidence 0 — nobody else agreed with it, so there is
 * no ensemble agreement to report. Identical candidates: each votes for the first other one in
 * roster order, so the first candidate wins deterministically.
 * @throws Error when candidates is empty or two candidates share a teacherId.
 */
export function consensusVote(candidates: readonly Candidate[]): VoteResult {
  checkCandidates(candidates, 'consensusVote');
  const qualities = candidates.map(qualityOf);
  const sim = similarityMatrix(
    candidates.map((c) => c.text),
    candidates.every((c) => c.words) ? candidates.map((c) => c.words as readonly string[]) : undefined,
  );
  const ballots: Record<string, string> = {};
  candidates.forEach((voter, i) => {
    const row = sim[i] as number[];
    const others = candidates.flatMap((_, j) => (j === i ? [] : [j]));
    if (others.length === 0) return;
    const top = Math.max(...others.map((j) => row[j] as number));
    const closest = others.filter((j) => (row[j] as number) >= top - SIMILARITY_TIE_EPSILON);
    ballots[voter.teacherId] = (candidates[bestByQualityThenRoster(closest, qualities)] as Candidate).teacherId;
  });
  return tally(candidates, qualities, ballots);
}

// ---------------------------------------------------------------------------------------------
// Jury helpers
// ---------------------------------------------------------------------------------------------

/** Anonymous label of the i-th story shown to a juror: A, B, …, Z, AA, AB, … */
export function juryLabel(index: number): string {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`juryLabel: bad index ${index}`);
  let label = '';
  let n = index;
  do {
    label = String.fromCharCode(65 + (n % 26)) + label;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return label;
}

export interface JuryOption {
  label: string;
  text: string;
}

/**
 * The stories one juror judges: every candidate except its own, in roster order, labelled A, B, …
 * (teacher ids are not shown), plus the way back from label to teacherId.
 */
export function juryOptionsFor(candidates: readonly Candidate[], voterId: string): { options: JuryOption[]; teacherByLabel: Record<string, string> } {
  const others = candidates.filter((c) => c.teacherId !== voterId);
  const options = others.map((c, i) => ({ label: juryLabel(i), text: c.text }));
  const teacherByLabel = Object.fromEntries(others.map((c, i) => [juryLabel(i), c.teacherId]));
  return { options, teacherByLabel };
}

/** Instruction that ends every jury prompt. */
export const JURY_INSTRUCTION = 'Answer with the letter only';

/**
 * Prompt asking a juror which of the anonymised stories best answers the writing prompt.
 * @throws Error when there are no options or labels are empty or repeated.
 */
export function buildJuryPrompt(prompt: string, others: readonly JuryOption[]): string {
  if (others.length === 0) throw new Error('buildJuryPrompt: no stories to judge');
  const labels = others.map((o) => o.label);
  if (labels.some((l) => l.trim() === '') || new Set(labels).size !== labels.length) {
    throw new Error('buildJuryPrompt: labels must be non-empty and unique');
  }
  const stories = others.map((o) => `Story ${o.label}:\n${o.text.trim()}`).join('\n\n');
  const choices = labels.length === 1 ? (labels[0] as string) : `${labels.slice(0, -1).join(', ')} or ${labels.at(-1) as string}`;
  return [
    'You are judging short stories written for the same writing prompt.',
    `Writing prompt:\n${prompt.trim()}`,
    stories,
    `Which story is the best: the best written and the most faithful to the prompt? ${JURY_INSTRUCTION} (${choices}).`,
  ].join('\n\n');
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Words that, after a sentence-initial "A" or "I", show it is a label ("A is best") rather than English ("A tough call"). */
const LABEL_FOLLOWERS = new Set(['is', 'was', 'wins', 'won', 'has', 'had', 'and', 'or', 'vs', 'versus', 'stands', 'seems', 'reads', 'feels', 'edges', 'beats', 'because', 'clearly', 'definitely']);

/**
 * Reads a juror's answer, tolerantly. In order:
 * 1. the whole answer, without markdown, brackets, quotes, final punctuation and an optional
 *    leading "Story"/"Option"/"Answer"/"Letter"/"Choice" (and colon), is a label → that label
 *    (case-insensitive: "B", "**B**", "Story B", "(b)", "Answer: B.");
 * 2. labels written right after a cue word — story, option, answer, letter, choice, choose,
 *    chose, pick, picked, prefer, select, vote for, winner, best, optionally followed by "is" or ":"
 *    ("I choose B.", "The best story is C") — if they name exactly one label → it;
 * 3. labels standing alone as capital letters anywhere ("B, clearly.") — if exactly one → it. A
 *    capital "A" at the start of a sentence, or a capital "I" anywhere, followed by a lower-case
 *    word is read as English ("A tough one", "I think"), unless that word is like is/was/wins/and.
 * Anything else (no label, several different labels) → undefined.
 */
export function parseJuryAnswer(answer: string, labels: readonly string[]): string | undefined {
  const valid = labels.filter((l) => l.trim() !== '');
  if (valid.length === 0) return undefined;
  const clean = answer.replace(/[*_`#>~]/g, ' ').replace(/\s+/g, ' ').trim();

  // 1. The whole answer is a label.
  const bare = clean
    .replace(/^[\s"'“”‘’«»([{]+|[\s"'“”‘’«»)\]}.!?,;:]+$/g, '')
    .replace(/^(?:story|option|answer|letter|choice)\s*[:\-–]?\s*/i, '')
    .replace(/^[\s"'“”‘’«»([{]+|[\s"'“”‘’«»)\]}.!?,;:]+$/g, '');
  const exact = valid.filter((l) => l.toLowerCase() === bare.toLowerCase());
  if (exact.length === 1) return exact[0];

  const alternation = [...valid].sort((a, b) => b.length - a.length).map(escapeRe).join('|');
  const single = (found: Set<string>) => (found.size === 1 ? [...found][0] : undefined);

  // 2. Labels after a cue word (cue case-insensitive, label exactly as given).
  const cue = new RegExp(
    `\\b(?:story|option|answer|letter|choice|choose|chose|pick|picked|prefer|select|selected|vote for|voting for|winner|best)` +
      `(?:\\s+is|\\s*[:\\-–])?\\s*["'“‘«(]?(${alternation})(?![\\p{L}\\p{N}])`,
    'giu',
  );
  const cued = new Set<string>();
  for (const m of clean.matchAll(cue)) if (valid.includes(m[1] as string)) cued.add(m[1] as string);
  if (cued.size > 0) return single(cued);

  // 3. Stand-alone labels.
  const standalone = new RegExp(`(?<![\\p{L}\\p{N}])(${alternation})(?![\\p{L}\\p{N}])`, 'gu');
  const found = new Set<string>();
  for (const m of clean.matchAll(standalone)) {
    const label = m[1] as string;
    const before = clean.slice(0, m.index);
    const nextWord = /^\s+(\p{Ll}[\p{L}']*)/u.exec(clean.slice(m.index + label.length))?.[1];
    const sentenceStart = /(?:^|[.!?:]\s+)$/.test(before);
    const readAsEnglish =
      nextWord !== undefined && !LABEL_FOLLOWERS.has(nextWord) && (label === 'I' || (label === 'A' && sentenceStart));
    if (!readAsEnglish) found.add(label);
  }
  return single(found);
}
