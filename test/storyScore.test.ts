import { describe, expect, it } from 'vitest';
import {
  LENGTH_CAP_WORDS,
  STORY_MODEL,
  STORY_SIGNAL_NAMES,
  agreementOf,
  candidateStoryQualities,
  overallToQuality,
  predictedOverall,
  promptContentWords,
  promptWordWeight,
  relevanceOf,
  repetitionOf,
  storyQuality,
  storyScoreBreakdown,
  storySignals,
  storyWords,
} from '../src/trainer/storyScore.ts';
import { similarityMatrix } from '../src/trainer/similarity.ts';
import { tokenizeWords } from '../src/trainer/scoring.ts';
import { wordRarity } from '../src/trainer/wordFrequency.ts';

const FRESH =
  'Mara found the lighthouse keys under a loose stone. She climbed the stairs slowly, counting each step, and at the top the lamp was still warm. "Someone was here," she whispered. Far below, a boat without lights drifted toward the rocks, and she knew she had only minutes to decide.';
const LOOP = Array.from({ length: 12 }, () => 'she climbed the stairs and the lamp was warm').join(' ') + '.';

describe('story signals', () => {
  it('measures length (capped), completeness, repetition and relevance; agreement only when given', () => {
    const signals = storySignals(FRESH, { prompt: 'A lighthouse keeper finds a boat drifting toward the rocks.' });
    expect(signals.length).toBeCloseTo(Math.log1p(tokenizeWords(FRESH).length));
    expect(signals.completeness).toBe(1);
    expect(signals.repetition).toBe(0);
    expect(signals.relevance).toBeGreaterThan(0.5);
    expect(signals.agreement).toBeUndefined();
    expect(storySignals(FRESH, { agreement: 0.3 }).agreement).toBe(0.3);
    expect(storySignals('The lamp went out and').completeness).toBe(0);
    expect(storySignals('"Run!"').completeness).toBe(1);
    expect(storySignals('').completeness).toBe(0);
    const huge = 'word '.repeat(LENGTH_CAP_WORDS * 3);
    expect(storySignals(huge).length).toBeCloseTo(Math.log1p(LENGTH_CAP_WORDS));
  });

  it('joins contractions a tokenizer split off, so the quirk changes neither length nor letters per word', () => {
    expect(storyWords("He did n't know the captain 's name; they 're gone and I 'm here.")).toEqual(
      tokenizeWords("He didn't know the captain's name; they're gone and I'm here."),
    );
    // Quotes and a possessive-looking start of a quotation are left alone.
    expect(storyWords("She said 'stop' and he said 'so what'.")).toEqual(['she', 'said', 'stop', 'and', 'he', 'said', 'so', 'what']);
    const split = storySignals("The keeper did n't sleep . The captain 's boat was n't coming back .");
    const joined = storySignals("The keeper didn't sleep. The captain's boat wasn't coming back.");
    expect(split.length).toBe(joined.length);
    expect(split.vocabulary).toBe(joined.vocabulary);
  });

  it('repetition is the share of repeated word trigrams: 0 for fresh text, near 1 for a loop', () => {
    expect(repetitionOf(['a', 'b'])).toBe(0);
    expect(repetitionOf(tokenizeWords('a b c a b c'))).toBe(1 / 4);
    expect(repetitionOf(tokenizeWords(LOOP))).toBeGreaterThan(0.85);
  });

  it('relevance compares the prompt’s content words by their first letters, weighted by rarity; undefined without any', () => {
    expect(promptContentWords('Write a story about the soldiers and their memories')).toEqual(['soldiers', 'memories']);
    const prompt = 'Soldiers lose their memories of war';
    // All four words found (by their first five letters) is 1; none is 0.
    expect(relevanceOf(tokenizeWords('The soldiers lose their memories of the war.'), prompt)).toBeCloseTo(1);
    expect(relevanceOf(tokenizeWords('A cat sat on a mat.'), prompt)).toBe(0);
    const weights = ['soldiers', 'lose', 'memories', 'war'].map(promptWordWeight);
    // "soldier" meets "soldiers" and "war" is there; "remembered" does not meet "memories".
    const found = (weights[0] as number) + (weights[3] as number);
    expect(relevanceOf(tokenizeWords('The soldier remembered nothing of the war.'), prompt)).toBeCloseTo(found / weights.reduce((a, b) => a + b, 0));
    expect(relevanceOf(['x'], undefined)).toBeUndefined();
    expect(relevanceOf(['x'], 'the and of')).toBeUndefined();
  });

  it('a rare prompt word counts for more than a common one', () => {
    expect(wordRarity('lighthouse')).toBeGreaterThan(wordRarity('day'));
    expect(wordRarity('day')).toBeGreaterThan(wordRarity('the'));
    expect(wordRarity('qzxvwk')).toBeGreaterThan(wordRarity('lighthouse'));
    const prompt = 'The lighthouse on that day';
    const rare = relevanceOf(tokenizeWords('The lighthouse stood alone.'), prompt) as number;
    const common = relevanceOf(tokenizeWords('It was a day like any other.'), prompt) as number;
    // Each story finds one of the prompt's two content words; unweighted, both would be 1/2.
    expect(rare).toBeGreaterThan(0.7);
    expect(common).toBeLessThan(0.3);
    expect(rare + common).toBeCloseTo(1);
  });
});

describe('story quality', () => {
  it('is 0–10, two decimals, and the predicted human overall rescaled from 1–5', () => {
    expect(overallToQuality(1)).toBe(0);
    expect(overallToQuality(5)).toBe(10);
    expect(overallToQuality(3.2)).toBe(5.5);
    expect(overallToQuality(-4)).toBe(0);
    expect(overallToQuality(99)).toBe(10);
    for (const text of ['', 'x', FRESH, LOOP, 'word '.repeat(5000)]) {
      const q = storyQuality(text);
      expect(q).toBeGreaterThanOrEqual(0);
      expect(q).toBeLessThanOrEqual(10);
      expect(Math.round(q * 100) / 100).toBe(q);
    }
  });

  it('a signal that cannot be measured sits at its mean: it neither helps nor hurts', () => {
    const atMeans = Object.fromEntries(STORY_SIGNAL_NAMES.map((name) => [name, STORY_MODEL.signals[name].mean]));
    expect(predictedOverall(atMeans as never)).toBeCloseTo(STORY_MODEL.intercept);
    const none = Object.fromEntries(STORY_SIGNAL_NAMES.map((name) => [name, undefined]));
    expect(predictedOverall(none as never)).toBe(STORY_MODEL.intercept);
  });

  it('rewards a longer, fresher, on-topic story the way people do', () => {
    const prompt = 'A lighthouse keeper sees a boat drifting toward the rocks.';
    expect(storyQuality(FRESH, { prompt })).toBeGreaterThan(storyQuality('The sea was calm.', { prompt }));
    // Same length in words, but one loops.
    const loopSameLength = tokenizeWords(LOOP).slice(0, tokenizeWords(FRESH).length).join(' ') + '.';
    expect(storyQuality(FRESH)).toBeGreaterThan(storyQuality(loopSameLength));
    expect(storyQuality(FRESH, { prompt })).toBeGreaterThan(storyQuality(FRESH, { prompt: 'Robots build a spaceship on Mars.' }));
    expect(storyQuality(FRESH, { agreement: 0.4 })).toBeGreaterThan(storyQuality(FRESH, { agreement: 0.05 }));
  });

  it('the breakdown gives each signal’s points and the same total', () => {
    const breakdown = storyScoreBreakdown(FRESH, { prompt: 'a lighthouse', agreement: 0.2 });
    expect(breakdown.storyQuality).toBe(storyQuality(FRESH, { prompt: 'a lighthouse', agreement: 0.2 }));
    const sum = overallToQuality(STORY_MODEL.intercept) + Object.values(breakdown.points).reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - breakdown.storyQuality)).toBeLessThan(0.05);
    expect(breakdown.points.completeness).toBe(0); // weight 0 on the dev split
  });

  it('candidates get agreement from their similarity to the others', () => {
    const texts = [FRESH, FRESH.replace('Mara', 'Elias'), 'Robots assemble cars in a quiet factory on the moon.'];
    const sim = similarityMatrix(texts);
    expect(agreementOf(sim)[0]).toBeCloseTo(((sim[0]?.[1] as number) + (sim[0]?.[2] as number)) / 2);
    expect(agreementOf([[1]])).toEqual([undefined]);
    const qualities = candidateStoryQualities(texts);
    expect(qualities).toEqual(candidateStoryQualities(texts, undefined, sim));
    expect(qualities[0]).toBe(storyQuality(FRESH, { agreement: agreementOf(sim)[0] as number }));
  });
});
