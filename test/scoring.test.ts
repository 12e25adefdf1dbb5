import { describe, expect, it } from 'vitest';
import {
  BASE_QUALITY,
  DESCRIPTIVE_POINTS,
  DESCRIPTIVE_WORDS,
  DIALOGUE_POINTS,
  LENGTH_MAX_CHARS,
  LENGTH_MIN_CHARS,
  LENGTH_POINTS,
  MAX_RULE_QUALITY,
  MIN_DESCRIPTIVE_PER_100,
  MIN_SENTENCES,
  NOT_DESCRIPTIVE_WORDS,
  QUALITY_CAP,
  SENTENCE_POINTS,
  capQuality,
  characterCount,
  countSentences,
  finalQuality,
  hasQuotedDialogue,
  isDescriptiveWord,
  textQuality,
  textQualityBreakdown,
  tokenizeWords,
} from '../src/trainer/scoring.ts';

/** Independent reference for the spec's rounding: two decimals, half up, on the decimal value. */
const expectedFinal = (tqTenths: number, num: number, den: number) =>
  // tq × 0.7 + c × 3 in hundredths = tqTenths × 7 + 300 × num / den, all exact in rationals.
  Math.floor((tqTenths * 7 * den + 300 * num) / den + 0.5) / 100;

describe('spec constants', () => {
  it('are the product spec values', () => {
    expect([BASE_QUALITY, QUALITY_CAP, LENGTH_MIN_CHARS, LENGTH_MAX_CHARS, LENGTH_POINTS]).toEqual([7, 10, 200, 800, 1]);
    expect([MIN_SENTENCES, SENTENCE_POINTS, MIN_DESCRIPTIVE_PER_100, DESCRIPTIVE_POINTS, DIALOGUE_POINTS]).toEqual([3, 0.5, 2, 0.5, 0.3]);
  });

  it('the rules can reach at most 9.3, below the cap', () => {
    expect(MAX_RULE_QUALITY).toBe(9.3);
    expect(MAX_RULE_QUALITY).toBeCloseTo(BASE_QUALITY + LENGTH_POINTS + SENTENCE_POINTS + DESCRIPTIVE_POINTS + DIALOGUE_POINTS, 12);
    expect(MAX_RULE_QUALITY).toBeLessThan(QUALITY_CAP);
  });
});

describe('capQuality', () => {
  it('clamps above 10.0 and leaves lower values alone', () => {
    expect(capQuality(12.4)).toBe(10);
    expect(capQuality(10.0001)).toBe(10);
    expect(capQuality(10)).toBe(10);
    expect(capQuality(9.3)).toBe(9.3);
    expect(capQuality(7)).toBe(7);
  });
});

describe('tokenizeWords', () => {
  it('lower-cases, strips punctuation, keeps inner apostrophes and hyphens', () => {
    expect(tokenizeWords('“Don’t go,” said the well-known Captain — twice!')).toEqual(["don't", 'go', 'said', 'the', 'well-known', 'captain', 'twice']);
  });
  it('handles other scripts, digits and edge punctuation', () => {
    expect(tokenizeWords("Élan, 42 cafés... 'quoted' -dash- ")).toEqual(['élan', '42', 'cafés', 'quoted', 'dash']);
    expect(tokenizeWords('  ... !!! ')).toEqual([]);
  });
});

describe('length rule (code points of the trimmed text, 200–800 inclusive)', () => {
  const lengthPoints = (n: number, ch = 'a') => textQualityBreakdown(ch.repeat(n)).points.length;

  it('199 → 0, 200 → +1.0, 800 → +1.0, 801 → 0', () => {
    expect(characterCount('a'.repeat(199))).toBe(199);
    expect(lengthPoints(199)).toBe(0);
    expect(lengthPoints(200)).toBe(LENGTH_POINTS);
    expect(lengthPoints(800)).toBe(LENGTH_POINTS);
    expect(lengthPoints(801)).toBe(0);
  });

  it('trims surrounding whitespace before measuring', () => {
    expect(characterCount(`  \n${'a'.repeat(200)}\t `)).toBe(200);
    expect(textQualityBreakdown(` ${'a'.repeat(199)}      `).points.length).toBe(0);
    expect(textQualityBreakdown(`   ${'a'.repeat(800)}   `).points.length).toBe(LENGTH_POINTS);
  });

  it('counts code points, not UTF-16 units', () => {
    expect(characterCount('😀'.repeat(401))).toBe(401); // 802 UTF-16 units
    expect(lengthPoints(401, '😀')).toBe(LENGTH_POINTS);
    expect(lengthPoints(801, '😀')).toBe(0);
    expect(lengthPoints(199, '😀')).toBe(0);
  });

  it('texts of exactly 199/200/800/801 characters score accordingly', () => {
    const sentence = 'The road ran on. '; // 17 characters, 1 sentence each
    const make = (n: number) => sentence.repeat(Math.ceil(n / sentence.length)).slice(0, n - 1) + 'x';
    for (const n of [199, 200, 800, 801]) {
      const b = textQualityBreakdown(make(n));
      expect(b.characters).toBe(n);
      expect(b.points.length).toBe(n >= 200 && n <= 800 ? 1 : 0);
      expect(b.total).toBeCloseTo(BASE_QUALITY + b.points.length + b.points.sentences + b.points.descriptive + b.points.dialogue, 12);
    }
  });
});

describe('sentence rule', () => {
  it('counts runs ending in . ! ? … plus a final unterminated run with letters', () => {
    expect(countSentences('One. Two.')).toBe(2);
    expect(countSentences('One. Two. Three')).toBe(3);
    expect(countSentences('One! Two? Three…')).toBe(3);
    expect(countSentences('Wait... what?! Yes.')).toBe(3);
    expect(countSentences('One. Two. ...')).toBe(2);
    expect(countSentences('')).toBe(0);
    expect(countSentences('!!! ... ?')).toBe(0);
  });

  it('lets closing quotes follow the terminator, and does not split inside numbers', () => {
    expect(countSentences('"Run!" he said. It cost 3.14 coins.')).toBe(3);
    expect(countSentences('She said “Go.” Then she left.')).toBe(2);
  });

  it('is naive about abbreviations (documented)', () => {
    expect(countSentences('Mr. Smith left.')).toBe(2);
  });

  it('2 sentences → 0, 3 sentences → +0.5', () => {
    expect(textQualityBreakdown('The door opened. Nobody came in.').points.sentences).toBe(0);
    expect(textQualityBreakdown('The door opened. Nobody came in. Then silence').points.sentences).toBe(SENTENCE_POINTS);
    expect(textQualityBreakdown('The door opened. Nobody came in. Then silence').sentences).toBe(3);
  });
});

describe('descriptive words', () => {
  it('uses the list, the suffix rules and the stop-list', () => {
    for (const w of ['dark', 'cold', 'sunny', 'ugly', 'slowly', 'friendly', 'dangerous', 'beautiful', 'endless', 'massive', 'foolish', 'magical', 'tragic', 'blood-red']) {
      expect(isDescriptiveWord(w), w).toBe(true);
    }
    for (const w of ['only', 'family', 'early', 'reply', 'fly', 'belly', 'handful', 'unless', 'give', 'drive', 'finish', 'fish', 'music', 'magic', 'story', 'city', 'stone', "night's", '42']) {
      expect(isDescriptiveWord(w), w).toBe(false);
    }
  });

  it('keeps the two lists disjoint and lower-case', () => {
    for (const w of DESCRIPTIVE_WORDS) {
      expect(NOT_DESCRIPTIVE_WORDS.has(w), w).toBe(false);
      expect(w).toBe(w.toLowerCase());
    }
    for (const w of NOT_DESCRIPTIVE_WORDS) expect(w).toBe(w.toLowerCase());
  });

  it('ratio just below 2 per 100 → 0, at 2 per 100 → +0.5', () => {
    expect(isDescriptiveWord('stone')).toBe(false);
    const text = (fillers: number, descriptive: string[]) => [...Array<string>(fillers).fill('stone'), ...descriptive].join(' ');

    const at100 = textQualityBreakdown(text(98, ['dark', 'cold']));
    expect([at100.words, at100.descriptiveWords, at100.descriptivePer100]).toEqual([100, 2, 2]);
    expect(at100.points.descriptive).toBe(DESCRIPTIVE_POINTS);

    const below = textQualityBreakdown(text(99, ['dark', 'cold']));
    expect([below.words, below.descriptiveWords]).toEqual([101, 2]);
    expect(below.descriptivePer100).toBeCloseTo(200 / 101, 12);
    expect(below.points.descriptive).toBe(0);

    expect(textQualityBreakdown(text(49, ['slowly'])).points.descriptive).toBe(DESCRIPTIVE_POINTS); // 1 in 50 = 2
    expect(textQualityBreakdown(text(50, ['slowly'])).points.descriptive).toBe(0); // 1 in 51
    expect(textQualityBreakdown(text(99, ['only', 'family'])).points.descriptive).toBe(0); // stop-listed
  });

  it('no words → ratio 0, no points', () => {
    const b = textQualityBreakdown('');
    expect([b.words, b.descriptivePer100, b.points.descriptive]).toEqual([0, 0, 0]);
  });
});

describe('dialogue rule', () => {
  it('accepts straight, curly and « » double quotes with a letter inside', () => {
    expect(hasQuotedDialogue('He said "go away" and left.')).toBe(true);
    expect(hasQuotedDialogue('He said “go away” and left.')).toBe(true);
    expect(hasQuotedDialogue('Il dit «va-t’en».')).toBe(true);
  });

  it('ignores apostrophes, single quotes, empty or letterless quotes and unmatched quotes', () => {
    expect(hasQuotedDialogue("Don't touch the captain's map, it's old.")).toBe(false);
    expect(hasQuotedDialogue("He said 'go away' and left.")).toBe(false);
    expect(hasQuotedDialogue('He said ‘go away’ and left.')).toBe(false);
    expect(hasQuotedDialogue('The code was "1234" and "!?".')).toBe(false);
    expect(hasQuotedDialogue('An opening " and nothing else')).toBe(false);
    expect(hasQuotedDialogue('Mixed "quotes” do not pair')).toBe(false);
    // Pairs are taken in order: the letters here sit between the 2nd and 3rd quote, outside any pair.
    expect(hasQuotedDialogue('"" then words ""')).toBe(false);
  });

  it('adds +0.3 exactly', () => {
    const plain = textQualityBreakdown('He said go away.');
    const quoted = textQualityBreakdown('He said "go away."');
    expect(plain.points.dialogue).toBe(0);
    expect(quoted.points.dialogue).toBe(DIALOGUE_POINTS);
    expect(quoted.total).toBe(7.3);
    expect(plain.total).toBe(7);
  });
});

describe('textQuality', () => {
  const full =
    'The old keeper climbed slowly to the lantern room. "Stay close," she whispered to the boy. ' +
    'Outside, the dark sea rolled against the rocks while the cold wind sang through the broken glass. ' +
    'They waited together until dawn.';

  it('scores a text that meets every rule at the rule maximum 9.3', () => {
    const b = textQualityBreakdown(full);
    expect(b.characters).toBeGreaterThanOrEqual(200);
    expect(b.characters).toBeLessThanOrEqual(800);
    expect(b.sentences).toBe(4);
    expect(b.hasDialogue).toBe(true);
    expect(b.descriptivePer100).toBeGreaterThanOrEqual(2);
    expect(b.points).toEqual({ base: 7, length: 1, sentences: 0.5, descriptive: 0.5, dialogue: 0.3 });
    expect(b.uncapped).toBe(MAX_RULE_QUALITY);
    expect(b.total).toBe(9.3);
    expect(textQuality(full)).toBe(9.3);
  });

  it('is exact to one decimal and equals the sum of the breakdown points', () => {
    const texts = ['', 'One.', 'One. Two. Three.', '"Hi," she said.', full, full.slice(0, 150), `${full} ${full} ${full} ${full}`];
    for (const t of texts) {
      const b = textQualityBreakdown(t);
      const sum = b.points.base + b.points.length + b.points.sentences + b.points.descriptive + b.points.dialogue;
      expect(b.total).toBeCloseTo(sum, 12);
      expect(Math.round(b.total * 10) / 10).toBe(b.total);
      expect(textQuality(t)).toBe(b.total);
    }
  });

  it('an empty text gets the base score only', () => {
    expect(textQuality('')).toBe(BASE_QUALITY);
  });
});

describe('finalQuality = textQuality × 0.7 + confidence × 10 × 0.3, 2 decimals half up', () => {
  it('matches hand-computed values', () => {
    expect(finalQuality(9.3, 1)).toBe(9.51); // 6.51 + 3
    expect(finalQuality(7, 0)).toBe(4.9);
    expect(finalQuality(8, 0.5)).toBe(7.1); // 5.6 + 1.5
    expect(finalQuality(7.3, 1 / 3)).toBe(6.11); // 5.11 + 1
    expect(finalQuality(7, 1 / 7)).toBe(5.33); // 4.9 + 0.428571…
    expect(finalQuality(7, 0.125)).toBe(5.28); // 4.9 + 0.375 = 5.275 → half up
    expect(finalQuality(10, 1)).toBe(10);
  });

  it('agrees with an exact rational reference over the whole grid', () => {
    for (let tqTenths = 70; tqTenths <= 93; tqTenths++) {
      for (let den = 1; den <= 8; den++) {
        for (let num = 0; num <= den; num++) {
          expect(finalQuality(tqTenths / 10, num / den), `${tqTenths / 10} ${num}/${den}`).toBe(expectedFinal(tqTenths, num, den));
        }
      }
    }
  });

  it('rejects out-of-range inputs', () => {
    expect(() => finalQuality(7, 1.01)).toThrow(RangeError);
    expect(() => finalQuality(7, -0.1)).toThrow(RangeError);
    expect(() => finalQuality(10.5, 0.5)).toThrow(RangeError);
    expect(() => finalQuality(Number.NaN, 0.5)).toThrow(RangeError);
  });
});
