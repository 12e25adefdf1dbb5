import { describe, expect, it } from 'vitest';
import { finalQuality, textQuality } from '../src/trainer/scoring.ts';
import { similarityMatrix } from '../src/trainer/similarity.ts';
import { candidateStoryQualities } from '../src/trainer/storyScore.ts';
import { SIMILARITY_TIE_EPSILON, bordaTally, consensusVote, mbrUtilities, mbrVote, midRanks, tallyBallots, type Candidate } from '../src/trainer/voting.ts';

const c = (teacherId: string, text: string): Candidate => ({ teacherId, text });

// Texts whose text quality differs only by the dialogue rule (short, one sentence each).
const PLAIN = 'apple tree'; // 7.0
const DIALOGUE = '"Hi" said Bob'; // 7.3

describe('consensusVote', () => {
  it('a cluster of three near-identical texts beats two outliers (hand-computed)', () => {
    const s = 'the lighthouse keeper climbed the winding stairs at dusk';
    const candidates = [
      c('c1', `${s} carrying bread`),
      c('o1', 'robots assemble quietly in factories near the lighthouse'), // shares "the", "lighthouse", "the lighthouse"
      c('c2', s),
      c('o2', 'spice merchants argue loudly with a keeper'), // shares only "keeper"
      c('c3', `${s} humming an old sea song`),
    ];
    // c1 and c3 share all of s with c2 and with each other; cos(x, c2) = |s|/|x| beats cos(c1, c3) = |s|²/(|c1||c3|).
    // c2 votes for the cluster member with the smaller extra (c1: 4 extra terms vs c3: 10).
    // The outliers share the same terms with c1, c2, c3, so they pick the shortest: c2.
    const vote = consensusVote(candidates);
    expect(vote.ballots).toEqual({ c1: 'c2', o1: 'c2', c2: 'c1', o2: 'c2', c3: 'c2' });
    expect(vote.votes).toEqual({ c1: 1, o1: 0, c2: 4, o2: 0, c3: 0 });
    expect(vote.winner).toBe('c2');
    expect(vote.voters).toBe(5);
    expect(vote.confidence).toBe(4 / 5);
    expect(vote.textQuality.c2).toBe(7); // short, one sentence, no descriptive word, no dialogue
    expect(vote.finalQuality).toBe(7.3); // 7 × 0.7 + 0.8 × 10 × 0.3
    expect(vote.finalQuality).toBe(finalQuality(textQuality(s), 4 / 5));
    for (const cand of candidates) expect(vote.textQuality[cand.teacherId]).toBe(textQuality(cand.text));
  });

  it('each ballot goes to the most similar other candidate', () => {
    const candidates = [c('a', 'the sea was calm'), c('b', 'the sea was wild'), c('d', 'a quiet forest path'), c('e', 'the forest path was quiet')];
    const sim = similarityMatrix(candidates.map((x) => x.text));
    const vote = consensusVote(candidates);
    candidates.forEach((voter, i) => {
      const chosen = candidates.findIndex((x) => x.teacherId === vote.ballots[voter.teacherId]);
      expect(chosen).not.toBe(i);
      const row = sim[i] as number[];
      for (let j = 0; j < candidates.length; j++) if (j !== i) expect(row[chosen]).toBeGreaterThanOrEqual(row[j] as number);
    });
  });

  describe('ties and near-ties: story score, then centrality, then teacher id — never roster order', () => {
    it('two candidates vote for each other; the higher story score wins wherever it stands', () => {
      const short = 'The sea.';
      const long = 'The sea rose over the harbour wall at dusk, and the keeper lit the lamp for the boats still out.';
      for (const candidates of [[c('p', short), c('q', long)], [c('q', long), c('p', short)]]) {
        const vote = consensusVote(candidates);
        expect(vote.votes).toEqual({ p: 1, q: 1 });
        expect(vote.storyQuality.q).toBeGreaterThan(vote.storyQuality.p as number);
        expect(vote.winner).toBe('q');
        expect(vote.confidence).toBe(0.5);
        expect(vote.finalQuality).toBe(finalQuality(textQuality(long), 0.5));
      }
    });

    it('equal votes, equal story score and equal centrality: the teacher id decides, in any roster order', () => {
      expect(consensusVote([c('p', 'apple tree'), c('r', 'pear tree')]).winner).toBe('p');
      expect(consensusVote([c('r', 'pear tree'), c('p', 'apple tree')]).winner).toBe('p');
    });

    it('a near-tie in similarity (within SIMILARITY_TIE_EPSILON) goes to the better story, not the more similar one', () => {
      const base = 'the keeper climbed the tower and lit the lamp for the boats out on the dark water tonight while the town slept below the cliffs and the wind rose';
      const candidates = [c('v', base), c('b', `${base} and waited`), c('d', `${base} once more`)];
      const sim = similarityMatrix(candidates.map((x) => x.text));
      const gap = (sim[0]?.[1] as number) - (sim[0]?.[2] as number);
      expect(gap).toBeGreaterThan(0);
      expect(gap).toBeLessThan(SIMILARITY_TIE_EPSILON);
      expect(consensusVote(candidates, { storyQualities: [5, 1, 9] }).ballots.v).toBe('d');
      expect(consensusVote(candidates, { storyQualities: [5, 9, 1] }).ballots.v).toBe('b');
    });

    it('a clear similarity lead is not overturned by the story score', () => {
      const candidates = [c('v', 'the keeper climbed the tower'), c('b', 'the keeper climbed the tower at night'), c('d', 'robots assemble cars')];
      expect(consensusVote(candidates, { storyQualities: [5, 1, 9] }).ballots.v).toBe('b');
    });

    it('the winner does not depend on the order of the candidates', () => {
      const texts = ['zebra', PLAIN, DIALOGUE, 'a tale of the sea and the keeper', 'the keeper and the sea'];
      const candidates = texts.map((t, i) => c(`t${i}`, t));
      const winner = consensusVote(candidates).winner;
      for (let shift = 1; shift < candidates.length; shift++) {
        const rotated = [...candidates.slice(shift), ...candidates.slice(0, shift)];
        expect(consensusVote(rotated).winner).toBe(winner);
        expect(consensusVote([...rotated].reverse()).winner).toBe(winner);
        expect(mbrVote(rotated).winner).toBe(mbrVote(candidates).winner);
      }
    });
  });

  it('similarity comes before the tie-break', () => {
    const vote = consensusVote([c('v', 'apple tree'), c('p', 'apple pie'), c('q', DIALOGUE)]);
    expect(vote.ballots.v).toBe('p');
  });

  it('uses the story scores it is given (the evaluation passes cross-validated ones)', () => {
    const candidates = [c('a', 'apple tree'), c('b', 'pear tree')];
    expect(consensusVote(candidates, { storyQualities: [1, 9] }).winner).toBe('b');
    expect(consensusVote(candidates, { storyQualities: [9, 1] }).winner).toBe('a');
    expect(() => consensusVote(candidates, { storyQualities: [1] })).toThrow(/2 candidates/);
  });

  it('a single candidate wins with 0 voters and confidence 0', () => {
    const text = 'A lone story. It has "dialogue" and three sentences.';
    const vote = consensusVote([c('solo', text)]);
    expect(vote).toEqual({
      winner: 'solo',
      votes: { solo: 0 },
      ballots: {},
      voters: 0,
      confidence: 0,
      textQuality: { solo: textQuality(text) },
      storyQuality: { solo: candidateStoryQualities([text])[0] },
      centrality: { solo: 0 },
      finalQuality: finalQuality(textQuality(text), 0),
    });
    expect(vote.finalQuality).toBe(Math.round(textQuality(text) * 70) / 100);
  });

  it('identical candidates give a deterministic winner: the smallest teacher id, wherever it stands', () => {
    for (const n of [2, 3, 7]) {
      const candidates = Array.from({ length: n }, (_, i) => c(`t${i}`, 'The same story, word for word.')).reverse();
      const vote = consensusVote(candidates);
      // Everything ties, so each votes for the smallest other id: t0 gets n-1 votes, t1 gets t0's.
      expect(vote.votes.t0).toBe(n - 1);
      expect(vote.votes.t1).toBe(1);
      expect(vote.winner).toBe('t0');
      expect(vote.confidence).toBe((n - 1) / n);
      expect(consensusVote(candidates)).toEqual(vote);
    }
  });

  it('candidates with empty text still vote (all their similarities are 0)', () => {
    const vote = consensusVote([c('e', ''), c('p', PLAIN), c('q', DIALOGUE)], { storyQualities: [1, 2, 3] });
    // e is equally (not) similar to p and q: the tie goes to the better story score.
    expect(vote.ballots.e).toBe('q');
    expect(vote.voters).toBe(3);
  });

  it('throws a clear error on an empty list or duplicate teacher ids', () => {
    expect(() => consensusVote([])).toThrow(/no candidates/);
    expect(() => consensusVote([c('a', 'x'), c('a', 'y')])).toThrow(/duplicate teacherId "a"/);
  });
});

describe('tallyBallots', () => {
  const roster = [c('a', PLAIN), c('b', 'pear tree'), c('d', 'A pear tree grew by the old wall. "Look," she said. It bloomed.'), c('e', 'plum tree')];

  it('ignores self-votes, unknown candidates, undefined ballots and voters that are not candidates', () => {
    const vote = tallyBallots(roster, { a: 'a', b: 'nobody', d: undefined, e: 'b', stranger: 'b' });
    expect(vote.ballots).toEqual({ e: 'b' });
    expect(vote.voters).toBe(1);
    expect(vote.votes).toEqual({ a: 0, b: 1, d: 0, e: 0 });
    expect(vote.winner).toBe('b');
    expect(vote.confidence).toBe(1);
    expect(vote.finalQuality).toBe(finalQuality(textQuality('pear tree'), 1));
  });

  it('most votes wins', () => {
    const vote = tallyBallots(roster, { a: 'e', b: 'e', d: 'a', e: 'd' });
    expect(vote.votes).toEqual({ a: 1, b: 0, d: 1, e: 2 });
    expect(vote.winner).toBe('e');
    expect(vote.confidence).toBe(2 / 4);
  });

  it('breaks a tie by story score, whatever the roster order', () => {
    const tied = { a: 'd', b: 'a', d: 'a', e: 'd' };
    const vote = tallyBallots(roster, tied);
    expect(vote.votes).toEqual({ a: 2, b: 0, d: 2, e: 0 });
    const expected = (vote.storyQuality.a as number) > (vote.storyQuality.d as number) ? 'a' : 'd';
    expect(vote.winner).toBe(expected);
    expect(tallyBallots([...roster].reverse(), tied).winner).toBe(expected);
    expect(vote.confidence).toBe(0.5);
  });

  it('with no counted ballot: the tie-break picks among all, 0 voters, confidence 0', () => {
    const vote = tallyBallots(roster, {});
    const best = Object.entries(vote.storyQuality).sort(([, x], [, y]) => y - x)[0]?.[0];
    expect(vote.winner).toBe(best);
    expect(vote.voters).toBe(0);
    expect(vote.confidence).toBe(0);
  });

  it('is not fooled by teacher ids that are Object.prototype names', () => {
    const vote = tallyBallots([c('toString', PLAIN), c('constructor', PLAIN)], { constructor: 'toString' });
    expect(vote.ballots).toEqual({ constructor: 'toString' });
    expect(vote.votes).toEqual({ toString: 1, constructor: 0 });
    expect(vote.voters).toBe(1);
  });

  it('throws on an empty list', () => {
    expect(() => tallyBallots([], {})).toThrow(/no candidates/);
  });
});

describe('mbrVote', () => {
  const cluster = 'the lighthouse keeper climbed the winding stairs at dusk and lit the great lamp';
  it('picks the candidate with the best rank by similarity to the others plus rank by story score', () => {
    const candidates = [c('o', 'robots assemble quietly in factories'), c('a', cluster), c('b', `${cluster} for the boats`), c('d', `${cluster} once more`)];
    const vote = mbrVote(candidates);
    const ids = ['o', 'a', 'b', 'd'];
    const utilities = mbrUtilities(ids.map((id) => vote.centrality[id] as number), ids.map((id) => vote.storyQuality[id] as number));
    const utility = (id: string) => utilities[ids.indexOf(id)] as number;
    for (const other of ['o', 'a', 'b', 'd']) expect(utility(vote.winner)).toBeGreaterThanOrEqual(utility(other));
    expect(vote.winner).not.toBe('o');
    // Confidence comes from the consensus ballots, so the final quality means the same in every mode.
    expect(vote.ballots).toEqual(consensusVote(candidates).ballots);
    expect(vote.confidence).toBe((vote.votes[vote.winner] as number) / vote.voters);
  });

  it('a better story score outweighs a little less similarity', () => {
    const candidates = [c('a', 'apple tree'), c('b', 'pear tree'), c('d', 'plum tree')];
    expect(mbrVote(candidates, { storyQualities: [1, 9, 1] }).winner).toBe('b');
    expect(mbrVote(candidates, { storyQualities: [1, 1, 9] }).winner).toBe('d');
  });

  it('combines centrality and story score by rank, so neither scale decides alone', () => {
    expect(midRanks([0.3, 0.1, 0.3, 0.2])).toEqual([3.5, 1, 3.5, 2]);
    expect(midRanks([])).toEqual([]);
    const centrality = [0.2, 0.25];
    const scores = [4, 2];
    // A product would pick the first (0.8 > 0.5) but the second once every score rises by 10 (2.8 < 3.0).
    expect(mbrUtilities(centrality, scores)).toEqual([3, 3]);
    expect(mbrUtilities(centrality, scores.map((s) => s + 10))).toEqual(mbrUtilities(centrality, scores));
    expect(mbrUtilities([0.1, 0.5, 0.3], [6, 5, 7])).toEqual([1 + 2, 3 + 1, 2 + 3]);
  });
});

describe('bordaTally', () => {
  const roster = [c('a', 'apple tree'), c('b', 'pear tree'), c('d', 'plum tree'), c('e', 'fig tree')];

  it('adds up rankings: first place 1 point, last 0, mean over the jurors who saw the story', () => {
    const vote = bordaTally(roster, { a: ['d', 'b', 'e'], b: ['d', 'a', 'e'], d: ['a', 'b', 'e'], e: ['d', 'a', 'b'] });
    // d: 1 + 1 + 1 over 3 jurors = 1; a: 0.5 + 1 + 0.5 = 2/3; b: 0.5 + 0.5 + 0 = 1/3; e: 0.
    expect(vote.winner).toBe('d');
    expect(vote.ballots).toEqual({ a: 'd', b: 'd', d: 'a', e: 'd' });
    expect(vote.votes).toEqual({ a: 1, b: 0, d: 3, e: 0 });
    expect(vote.confidence).toBe(3 / 4);
  });

  it('a partial ranking leaves the unranked stories sharing the places left', () => {
    const vote = bordaTally(roster, { a: ['e'], b: ['e', 'a', 'd'] });
    expect(vote.winner).toBe('e');
    expect(vote.voters).toBe(2);
  });

  it('ignores unreadable ballots, self-votes and unknown ids, and falls back to consensus when none is left', () => {
    const vote = bordaTally(roster, { a: undefined, b: ['b', 'nobody'], d: [], e: undefined });
    expect(vote).toEqual(consensusVote(roster));
  });

  it('never falls back to roster order: a tie in points goes to the story score', () => {
    // a ranks b first, b ranks a first; d and e rank nobody: a and b both have mean 1.
    const rankings = { a: ['b', 'd', 'e'], b: ['a', 'd', 'e'] };
    expect(bordaTally(roster, rankings, { storyQualities: [1, 9, 5, 5] }).winner).toBe('b');
    expect(bordaTally(roster, rankings, { storyQualities: [9, 1, 5, 5] }).winner).toBe('a');
    expect(bordaTally([...roster].reverse(), rankings, { storyQualities: [5, 5, 1, 9] }).winner).toBe('a');
  });
});
