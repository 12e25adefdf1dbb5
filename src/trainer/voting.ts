/**
 * How the ensemble picks the best candidate of one example (see docs/scoring.md, "Voting").
 *
 * - consensus: each candidate's teacher votes for the OTHER candidate whose text is most similar
 *   to its own (`similarityMatrix`); the story the others converge on wins.
 * - mbr (minimum Bayes risk): the candidate with the best rank by similarity to the others plus
 *   rank by story score wins; the consensus ballots still give the confidence.
 * - jury: each teacher ranks the others' stories, anonymised (jury.ts); rankings are added up
 *   by Borda count (`bordaTally`).
 *
 * Ties and near-ties never go to roster order: they go to the higher story score, then the more
 * central story (higher mean similarity to the others), then the teacher id. So the same
 * candidates in any order give the same winner. Pure and deterministic.
 */
import { finalQuality, textQuality } from './scoring.ts';
import { similarityMatrix } from './similarity.ts';
import { agreementOf, candidateStoryQualities } from './storyScore.ts';

export interface Candidate {
  teacherId: string;
  text: string;
  /** The text's words and quality when the caller already has them, so no text is scored twice. */
  words?: readonly string[];
  textQuality?: number;
}

export interface VoteResult {
  /** teacherId of the winning candidate. */
  winner: string;
  /** Votes received by every candidate (0 when none); a jury counts first places. */
  votes: Record<string, number>;
  /** Counted ballots only: voter teacherId → teacherId it voted for (a juror's first place). */
  ballots: Record<string, string>;
  /** Number of counted ballots. */
  voters: number;
  /** winner's votes ÷ voters; 0 when nobody voted. */
  confidence: number;
  /** Text quality (the seed formula) of every candidate. */
  textQuality: Record<string, number>;
  /** Story score of every candidate (storyScore.ts). */
  storyQuality: Record<string, number>;
  /** Mean similarity of every candidate to the others (0 for a lone candidate). */
  centrality: Record<string, number>;
  /** The winner's final quality: finalQuality(textQuality[winner], confidence). */
  finalQuality: number;
}

export interface VoteContext {
  /** The writing prompt, for the story score's relevance signal. */
  prompt?: string;
  /**
   * Story score of each candidate, in candidate order, when the caller has it already (the
   * evaluation passes cross-validated scores); computed otherwise.
   */
  storyQualities?: readonly number[];
}

/** Similarities closer than this count as a near-tie, which the tie-break decides. */
export const SIMILARITY_TIE_EPSILON = 0.01;

function checkCandidates(candidates: readonly Candidate[], caller: string): void {
  if (candidates.length === 0) throw new Error(`${caller}: no candidates to vote on`);
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c.teacherId)) throw new Error(`${caller}: duplicate teacherId "${c.teacherId}"`);
    seen.add(c.teacherId);
  }
}

/** What every mode needs about the candidates: qualities, similarity and the tie-break order. */
interface Field {
  candidates: readonly Candidate[];
  similarity: number[][];
  centrality: number[];
  textQualities: number[];
  storyQualities: number[];
  /** Index of the preferred of `indices`: higher story score, then more central, then teacher id. */
  preferred(indices: readonly number[]): number;
}

function fieldOf(candidates: readonly Candidate[], context: VoteContext, caller: string): Field {
  checkCandidates(candidates, caller);
  const texts = candidates.map((c) => c.text);
  const words = candidates.every((c) => c.words) ? candidates.map((c) => c.words as readonly string[]) : undefined;
  const similarity = similarityMatrix(texts, words);
  const centrality = agreementOf(similarity).map((a) => a ?? 0);
  if (context.storyQualities && context.storyQualities.length !== candidates.length) {
    throw new Error(`${caller}: ${context.storyQualities.length} story scores for ${candidates.length} candidates`);
  }
  const storyQualities = context.storyQualities ? [...context.storyQualities] : candidateStoryQualities(texts, context.prompt, similarity, undefined, words);
  const better = (i: number, j: number): boolean => {
    const si = storyQualities[i] as number;
    const sj = storyQualities[j] as number;
    if (si !== sj) return si > sj;
    const ci = centrality[i] as number;
    const cj = centrality[j] as number;
    if (Math.abs(ci - cj) > 1e-12) return ci > cj;
    return (candidates[i] as Candidate).teacherId < (candidates[j] as Candidate).teacherId;
  };
  return {
    candidates,
    similarity,
    centrality,
    textQualities: candidates.map((c) => c.textQuality ?? textQuality(c.text, c.words)),
    storyQualities,
    preferred: (indices) => indices.reduce((best, i) => (better(i, best) ? i : best)),
  };
}

const byTeacher = (field: Field, values: readonly number[]) => Object.fromEntries(field.candidates.map((c, i) => [c.teacherId, values[i] as number]));

/** Keeps the ballots that count: from a candidate, for another known candidate. */
function countedBallots(field: Field, ballots: Readonly<Record<string, string | undefined>>): [string, string][] {
  const known = new Set(field.candidates.map((c) => c.teacherId));
  const counted: [string, string][] = [];
  for (const voter of field.candidates) {
    if (!Object.hasOwn(ballots, voter.teacherId)) continue;
    const choice = ballots[voter.teacherId];
    if (typeof choice !== 'string' || choice === voter.teacherId || !known.has(choice)) continue;
    counted.push([voter.teacherId, choice]);
  }
  return counted;
}

function result(field: Field, winner: number, counted: readonly [string, string][]): VoteResult {
  const ids = field.candidates.map((c) => c.teacherId);
  const votes = Object.fromEntries(ids.map((id) => [id, 0]));
  for (const [, choice] of counted) votes[choice] = (votes[choice] ?? 0) + 1;
  const winnerId = ids[winner] as string;
  const voters = counted.length;
  const confidence = voters === 0 ? 0 : (votes[winnerId] ?? 0) / voters;
  return {
    winner: winnerId,
    votes,
    ballots: Object.fromEntries(counted),
    voters,
    confidence,
    textQuality: byTeacher(field, field.textQualities),
    storyQuality: byTeacher(field, field.storyQualities),
    centrality: byTeacher(field, field.centrality),
    finalQuality: finalQuality(field.textQualities[winner] as number, confidence),
  };
}

function tallyField(field: Field, ballots: Readonly<Record<string, string | undefined>>): VoteResult {
  const counted = countedBallots(field, ballots);
  const counts = field.candidates.map((c) => counted.filter(([, choice]) => choice === c.teacherId).length);
  const most = Math.max(...counts);
  const tied = counts.flatMap((n, i) => (n === most ? [i] : []));
  return result(field, field.preferred(tied), counted);
}

/**
 * Counts ballots (voter teacherId → teacherId voted for) and picks the winner: most votes, ties
 * to the tie-break (story score, centrality, teacher id). A ballot is ignored, and its voter counts
 * as abstaining, when it is undefined, names an unknown candidate, is a self-vote, or comes from a
 * voter that is not a candidate. With no counted ballot the tie-break picks among all, confidence 0.
 * @throws Error when candidates is empty or two candidates share a teacherId.
 */
export function tallyBallots(candidates: readonly Candidate[], ballots: Readonly<Record<string, string | undefined>>, context: VoteContext = {}): VoteResult {
  return tallyField(fieldOf(candidates, context, 'tallyBallots'), ballots);
}

/** Each candidate's ballot for its most similar other candidate; near-ties go to the tie-break. */
function consensusBallots(field: Field): Record<string, string> {
  const ballots: Record<string, string> = {};
  field.candidates.forEach((voter, i) => {
    const row = field.similarity[i] as number[];
    const others = field.candidates.flatMap((_, j) => (j === i ? [] : [j]));
    if (others.length === 0) return;
    const top = Math.max(...others.map((j) => row[j] as number));
    const closest = others.filter((j) => (row[j] as number) >= top - SIMILARITY_TIE_EPSILON);
    ballots[voter.teacherId] = (field.candidates[field.preferred(closest)] as Candidate).teacherId;
  });
  return ballots;
}

/**
 * Consensus vote. Each candidate (when there is at least one other) votes for the other candidate
 * most similar to its own text; others within SIMILARITY_TIE_EPSILON of the most similar are a
 * near-tie, which the tie-break decides. Then the ballots are tallied (ties to the tie-break).
 *
 * One candidate: it wins with 0 voters and confidence 0 — nobody else agreed with it.
 * @throws Error when candidates is empty or two candidates share a teacherId.
 */
export function consensusVote(candidates: readonly Candidate[], context: VoteContext = {}): VoteResult {
  const field = fieldOf(candidates, context, 'consensusVote');
  return tallyField(field, consensusBallots(field));
}

/** Ranks of values, 1 = lowest; equal values share the mean of their ranks. */
export function midRanks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort(([a], [b]) => a - b);
  const ranks = new Array<number>(values.length).fill(0);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && (order[end + 1] as readonly [number, number])[0] === (order[start] as readonly [number, number])[0]) end += 1;
    for (let k = start; k <= end; k++) ranks[(order[k] as readonly [number, number])[1]] = (start + end) / 2 + 1;
    start = end + 1;
  }
  return ranks;
}

/**
 * MBR utility of each candidate: its rank by centrality plus its rank by story score. Ranks, not
 * the raw product: similarities and scores live on unrelated scales, and a product lets whichever
 * spreads wider in this example decide alone (see docs/scoring.md for the figures).
 */
export function mbrUtilities(centrality: readonly number[], storyQualities: readonly number[]): number[] {
  const byCentrality = midRanks(centrality);
  const byScore = midRanks(storyQualities);
  return byCentrality.map((r, i) => r + (byScore[i] as number));
}

/**
 * MBR vote: the candidate with the best rank by similarity to the others plus rank by story score
 * wins (ties to the tie-break). A story most others resemble is the ensemble's shared answer; the
 * story score keeps a short or looping text from winning on resemblance alone. Ballots and
 * confidence are the consensus ones, so the final quality means the same in every mode.
 * @throws Error when candidates is empty or two candidates share a teacherId.
 */
export function mbrVote(candidates: readonly Candidate[], context: VoteContext = {}): VoteResult {
  const field = fieldOf(candidates, context, 'mbrVote');
  const utility = mbrUtilities(field.centrality, field.storyQualities);
  const best = Math.max(...utility);
  const top = utility.flatMap((u, i) => (u >= best - 1e-12 ? [i] : []));
  return result(field, field.preferred(top), countedBallots(field, consensusBallots(field)));
}

/**
 * Jury count. Each juror ranks the stories it was shown (best first). A story in place p of a
 * juror's ranking of m stories gets (m − 1 − p)/(m − 1) points; stories the juror left out share
 * the places left evenly. The story with the highest mean points over the jurors who saw it wins
 * (ties to the tie-break). A juror's first place is its ballot for `votes` and confidence. With no
 * readable ranking at all, the consensus vote decides instead.
 * @throws Error when candidates is empty or two candidates share a teacherId.
 */
export function bordaTally(candidates: readonly Candidate[], rankings: Readonly<Record<string, readonly string[] | undefined>>, context: VoteContext = {}): VoteResult {
  const field = fieldOf(candidates, context, 'bordaTally');
  const index = new Map(field.candidates.map((c, i) => [c.teacherId, i]));
  const points = field.candidates.map(() => 0);
  const seenBy = field.candidates.map(() => 0);
  const firsts: Record<string, string> = {};
  for (const voter of field.candidates) {
    const ranking = Object.hasOwn(rankings, voter.teacherId) ? rankings[voter.teacherId] : undefined;
    if (!ranking || ranking.length === 0) continue;
    const shown = field.candidates.filter((c) => c.teacherId !== voter.teacherId).map((c) => c.teacherId);
    const m = shown.length;
    if (m === 0) continue;
    const ranked = [...new Set(ranking)].filter((id) => id !== voter.teacherId && index.has(id));
    if (ranked.length === 0) continue;
    const unranked = shown.filter((id) => !ranked.includes(id));
    const share = (place: number) => (m === 1 ? 1 : (m - 1 - place) / (m - 1));
    const leftover = unranked.length === 0 ? 0 : unranked.reduce((sum, _, k) => sum + share(ranked.length + k), 0) / unranked.length;
    const add = (values: number[], id: string, amount: number) => {
      const i = index.get(id) as number;
      values[i] = (values[i] as number) + amount;
    };
    ranked.forEach((id, place) => add(points, id, share(place)));
    for (const id of unranked) add(points, id, leftover);
    for (const id of shown) add(seenBy, id, 1);
    firsts[voter.teacherId] = ranked[0] as string;
  }
  if (Object.keys(firsts).length === 0) return consensusVote(candidates, { ...context, storyQualities: field.storyQualities });
  const mean = points.map((p, i) => ((seenBy[i] as number) === 0 ? 0 : p / (seenBy[i] as number)));
  const best = Math.max(...mean);
  const top = mean.flatMap((v, i) => (v >= best - 1e-12 ? [i] : []));
  return result(field, field.preferred(top), countedBallots(field, firsts));
}
