import { describe, expect, it } from 'vitest';
import { finalQuality, textQuality } from '../src/trainer/scoring.ts';
import { similarityMatrix } from '../src/trainer/similarity.ts';
import {
  JURY_INSTRUCTION,
  buildJuryPrompt,
  consensusVote,
  juryLabel,
  juryOptionsFor,
  parseJuryAnswer,
  tallyBallots,
  type Candidate,
} from '../src/trainer/voting.ts';

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

  describe('winner ties: text quality, then roster order', () => {
    it('two candidates vote for each other; the higher text quality wins wherever it stands', () => {
      for (const candidates of [[c('p', PLAIN), c('q', DIALOGUE)], [c('q', DIALOGUE), c('p', PLAIN)]]) {
        const vote = consensusVote(candidates);
        expect(vote.ballots).toEqual({ p: 'q', q: 'p' });
        expect(vote.votes).toEqual({ p: 1, q: 1 });
        expect(vote.winner).toBe('q');
        expect(vote.voters).toBe(2);
        expect(vote.confidence).toBe(0.5);
        expect(vote.finalQuality).toBe(finalQuality(7.3, 0.5)); // 5.11 + 1.5 = 6.61
        expect(vote.finalQuality).toBe(6.61);
      }
    });

    it('equal votes and equal quality: the first in roster order wins', () => {
      expect(consensusVote([c('p', 'apple tree'), c('r', 'pear tree')]).winner).toBe('p');
      expect(consensusVote([c('r', 'pear tree'), c('p', 'apple tree')]).winner).toBe('r');
    });
  });

  describe('voter ties among equally similar others: text quality, then roster order', () => {
    it('disjoint texts (all similarities 0): higher quality, then roster order', () => {
      const vote = consensusVote([c('v', 'zebra'), c('p', PLAIN), c('q', DIALOGUE)]);
      // v: p and q at 0 → q (7.3). p: v and q at 0 → q. q: v and p at 0, both 7.0 → v (roster).
      expect(vote.ballots).toEqual({ v: 'q', p: 'q', q: 'v' });
      expect(vote.winner).toBe('q');
      expect(vote.confidence).toBe(2 / 3);
    });

    it('equal non-zero similarity: higher quality wins even later in the roster', () => {
      // Quotes do not change the words, so p and q have the same vector; only q has dialogue.
      const vote = consensusVote([c('v', 'red fox'), c('p', 'red fox jumps'), c('q', 'red fox "jumps"')]);
      expect(vote.ballots.v).toBe('q');
      expect(vote.textQuality.q).toBeGreaterThan(vote.textQuality.p ?? Infinity);
    });

    it('similarity comes before quality', () => {
      const vote = consensusVote([c('v', 'apple tree'), c('p', 'apple pie'), c('q', DIALOGUE)]);
      expect(vote.ballots.v).toBe('p');
    });
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
      finalQuality: finalQuality(textQuality(text), 0),
    });
    expect(vote.finalQuality).toBe(Math.round(textQuality(text) * 70) / 100);
  });

  it('identical candidates give a deterministic winner: the first in roster order', () => {
    for (const n of [2, 3, 7]) {
      const candidates = Array.from({ length: n }, (_, i) => c(`t${i}`, 'The same story, word for word.'));
      const vote = consensusVote(candidates);
      // Everyone ties on similarity and quality, so each votes for the first other: t0 gets n-1, t1 gets t0's vote.
      expect(vote.ballots).toEqual(Object.fromEntries(candidates.map((x, i) => [x.teacherId, i === 0 ? 't1' : 't0'])));
      expect(vote.votes.t0).toBe(n - 1);
      expect(vote.votes.t1).toBe(1);
      expect(vote.winner).toBe('t0');
      expect(vote.voters).toBe(n);
      expect(vote.confidence).toBe((n - 1) / n);
      expect(consensusVote(candidates)).toEqual(vote);
    }
  });

  it('candidates with empty text still vote (all their similarities are 0)', () => {
    const vote = consensusVote([c('e', ''), c('p', PLAIN), c('q', DIALOGUE)]);
    expect(vote.ballots.e).toBe('q');
    expect(vote.voters).toBe(3);
  });

  it('throws a clear error on an empty list or duplicate teacher ids', () => {
    expect(() => consensusVote([])).toThrow(/no candidates/);
    expect(() => consensusVote([c('a', 'x'), c('a', 'y')])).toThrow(/duplicate teacherId "a"/);
  });
});

describe('tallyBallots', () => {
  const roster = [c('a', PLAIN), c('b', 'pear tree'), c('d', DIALOGUE), c('e', 'plum tree')];

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

  it('breaks a tie by text quality, then roster order', () => {
    // a and d tie on 2 votes; d has dialogue (7.3 > 7.0) so it wins although a comes first.
    const byQuality = tallyBallots(roster, { a: 'd', b: 'a', d: 'a', e: 'd' });
    expect(byQuality.votes).toEqual({ a: 2, b: 0, d: 2, e: 0 });
    expect(byQuality.winner).toBe('d');
    expect(byQuality.confidence).toBe(0.5);
    // b and e tie on 2 votes with equal quality: b comes first.
    const byRoster = tallyBallots(roster, { a: 'e', b: 'e', d: 'b', e: 'b' });
    expect(byRoster.winner).toBe('b');
    const reversed = tallyBallots([...roster].reverse(), { a: 'e', b: 'e', d: 'b', e: 'b' });
    expect(reversed.winner).toBe('e');
  });

  it('with no counted ballot: best text quality wins, 0 voters, confidence 0', () => {
    const vote = tallyBallots(roster, {});
    expect(vote.winner).toBe('d');
    expect(vote.voters).toBe(0);
    expect(vote.confidence).toBe(0);
    expect(vote.finalQuality).toBe(finalQuality(7.3, 0));
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

describe('jury helpers', () => {
  it('labels stories A, B, … Z, AA', () => {
    expect([0, 1, 2, 25, 26, 27].map(juryLabel)).toEqual(['A', 'B', 'C', 'Z', 'AA', 'AB']);
    expect(() => juryLabel(-1)).toThrow(RangeError);
  });

  it('shows a juror every other story, anonymised, and maps labels back', () => {
    const roster = [c('groq', 'Story one.'), c('gemini', 'Story two.'), c('ollama', 'Story three.')];
    const { options, teacherByLabel } = juryOptionsFor(roster, 'gemini');
    expect(options).toEqual([{ label: 'A', text: 'Story one.' }, { label: 'B', text: 'Story three.' }]);
    expect(teacherByLabel).toEqual({ A: 'groq', B: 'ollama' });
  });

  it('builds a prompt with the writing prompt, each labelled story and the letter-only instruction', () => {
    const prompt = buildJuryPrompt('Write about a lighthouse.', [{ label: 'A', text: 'First tale.' }, { label: 'B', text: 'Second tale.' }, { label: 'C', text: 'Third tale.' }]);
    expect(prompt).toContain('Write about a lighthouse.');
    expect(prompt).toContain('Story A:\nFirst tale.');
    expect(prompt).toContain('Story B:\nSecond tale.');
    expect(prompt).toContain('Story C:\nThird tale.');
    expect(prompt).toContain(JURY_INSTRUCTION);
    expect(JURY_INSTRUCTION).toBe('Answer with the letter only');
    expect(prompt).toContain('(A, B or C)');
    expect(prompt.indexOf('Story A:')).toBeLessThan(prompt.indexOf('Story B:'));
    expect(() => buildJuryPrompt('p', [])).toThrow(/no stories/);
    expect(() => buildJuryPrompt('p', [{ label: 'A', text: 'x' }, { label: 'A', text: 'y' }])).toThrow(/unique/);
  });

  it('parses tolerant answers', () => {
    const labels = ['A', 'B', 'C', 'D'];
    const cases: [string, string | undefined][] = [
      ['B', 'B'],
      ['b', 'B'],
      [' B. ', 'B'],
      ['Story B', 'B'],
      ['**B**', 'B'],
      ['**Story C**', 'C'],
      ['(D)', 'D'],
      ['Answer: C', 'C'],
      ['I choose B.', 'B'],
      ['The best story is C because of its ending.', 'C'],
      ['My vote for D, easily.', 'D'],
      ['A is the best.', 'A'],
      ['A tough call, but B.', 'B'],
      ['B, clearly.', 'B'],
      ['I think D.', 'D'],
    ];
    for (const [answer, expected] of cases) expect(parseJuryAnswer(answer, labels), answer).toBe(expected);
  });

  it('returns undefined for ambiguous, absent or unknown labels', () => {
    const labels = ['A', 'B', 'C'];
    for (const answer of ['', 'None of them.', 'Both are great', 'A or B', 'Story A is good but I choose B', 'B and C tie.', 'Z', 'Story E']) {
      expect(parseJuryAnswer(answer, labels), answer).toBeUndefined();
    }
    expect(parseJuryAnswer('B', [])).toBeUndefined();
  });

  it('reads "I" as a pronoun when it is followed by a word, even when I is a label', () => {
    const labels = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I'];
    expect(parseJuryAnswer('I think D', labels)).toBe('D');
    expect(parseJuryAnswer('I', labels)).toBe('I');
    expect(parseJuryAnswer('Story I', labels)).toBe('I');
  });
});
