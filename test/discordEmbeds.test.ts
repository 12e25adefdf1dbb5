import { ComponentType, embedLength as discordEmbedLength, type APIButtonComponent, type APIEmbed, type APIStringSelectComponent } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { ACTIONS, customId, parseCustomId } from '../src/discord/customId.ts';
import { leaderboardEmbed } from '../src/discord/embeds/leaderboard.ts';
import { progressMessage, queuedMessage } from '../src/discord/embeds/progress.ts';
import { rankModels, resultsMessage } from '../src/discord/embeds/results.ts';
import { setupPanel, type SetupState } from '../src/discord/embeds/setupPanel.ts';
import {
  encodeListState,
  parseListState,
  storyEmbeds,
  storyMarkdown,
  storyListEmbed,
  type StoryListItem,
  type StoryView,
} from '../src/discord/embeds/story.ts';
import type { MessagePayload } from '../src/discord/embeds/common.ts';
import { formatDuration, percent, progressBar, relativeTime, starCount, starRating } from '../src/discord/format.ts';
import {
  clampEmbed,
  embedLength,
  escapeUserText,
  fitChoices,
  fitEmbeds,
  limitViolations,
  LIMITS,
  splitText,
  totalEmbedLength,
  truncate,
} from '../src/discord/limits.ts';
import { GENRES, type Genre } from '../src/trainer/genres.ts';
import type { TeacherInfo } from '../src/teachers/types.ts';
import type { RunOptions, RunStatus, RunTotals, TrainingResult } from '../src/trainer/types.ts';

// ——— fixtures ———

const OWNER = '123456789012345678';
const TOKEN = 'r_AbC-123';
const NASTY = '**bold** __u__ *i* `code` ~~s~~ ||spoiler|| <@111111111111111111> @everyone @here # Heading\n- item [link](https://x.y) > quote ';

/** A small deterministic PRNG so the fuzz cases are the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['the', 'lantern', 'flickered', 'over', 'a', 'quiet', 'harbour', 'where', 'ships', 'slept', 'and', 'gulls', 'dreamed', 'of', 'storms', 'naïve', '🙂', 'écume'];

function prose(length: number, seed = 1): string {
  const rand = prng(seed);
  let out = '';
  let sentence = 0;
  while (out.length < length) {
    const word = WORDS[Math.floor(rand() * WORDS.length)] ?? 'word';
    out += (sentence === 0 ? word[0]?.toUpperCase() + word.slice(1) : word) + ' ';
    sentence += 1;
    if (sentence > 6 && rand() < 0.2) {
      out = `${out.trimEnd()}${rand() < 0.5 ? '.' : '!'} `;
      sentence = 0;
      if (rand() < 0.15) out = `${out.trimEnd()}\n\n`;
    }
  }
  return out.slice(0, length).trim();
}

function longId(i: number, length = 100): string {
  return `teacher-${i}-`.padEnd(length, 'x');
}

function teachers(count: number, idLength?: number): TeacherInfo[] {
  const ids = ['gemini-2.5-flash', 'gemini-2.5-flash-lite', 'groq-llama-3.3-70b', 'groq-llama-3.1-8b', 'hf-qwen2.5-7b', 'hf-mistral-7b', 'ollama-llama3.2'];
  return Array.from({ length: count }, (_, i) => ({
    id: idLength ? longId(i, idLength) : (ids[i] ?? `teacher-${i}`),
    provider: 'groq',
    model: 'm',
    defaults: { temperature: 0.9, topP: 0.9, maxTokens: 600 },
  }));
}

function allGenreCounts(): Partial<Record<Genre, number>> {
  return Object.fromEntries(GENRES.map((g, i) => [g, 1000 + i * 37]));
}

function result(opts: { teachers: TeacherInfo[]; status?: RunStatus; genres?: Partial<Record<Genre, number>> }): TrainingResult {
  const perf: TrainingResult['model_performance'] = {};
  opts.teachers.forEach((t, i) => {
    // Some ties on wins, broken by quality; the last teacher never wins.
    const wins = i === opts.teachers.length - 1 ? 0 : 100 - Math.floor(i / 2) * 10;
    perf[t.id] = { wins, average_quality: wins > 0 ? 7 + (i % 2 === 0 ? 1.5 : 2.5) : 0, calls: 1000, failures: 3, average_latency_ms: 1234 };
  });
  return {
    run_id: 'run-0123456789abcdef',
    user_id: OWNER,
    status: opts.status ?? 'done',
    average_story_quality: 6.4,
    requested: 1000,
    successful: 990,
    failed: 10,
    stories_saved: 412,
    model_performance: perf,
    average_quality: 8.47,
    genre_distribution: opts.genres ?? allGenreCounts(),
    training_stats: {
      duration_ms: 3_723_000,
      calls: 7000,
      tokens: { input: 1_234_567, output: 2_345_678 },
      fine_tune_examples_collected: 640,
      fine_tune_examples_total: 1637,
      until_next_fine_tune: 13,
      fine_tune_every: 50,
    },
    best_params: { per_teacher: {}, per_genre: {} },
  };
}

const OPTIONS: RunOptions = { userId: OWNER, examples: 1000, genres: [...GENRES], save: true, memory: true, voting: 'consensus' };

function totals(overrides: Partial<RunTotals> = {}): RunTotals {
  return {
    done: 500,
    total: 1000,
    successful: 480,
    failed: 20,
    storiesSaved: 200,
    averageQuality: 8.6,
    leadingTeacher: { teacherId: longId(3), wins: 120 },
    genreCounts: allGenreCounts(),
    elapsedMs: 600_000,
    etaMs: 600_000,
    ...overrides,
  };
}

function buttons(payload: MessagePayload): APIButtonComponent[] {
  return payload.components.flatMap((r) => r.components).filter((c): c is APIButtonComponent => c.type === ComponentType.Button);
}

function selects(payload: MessagePayload): APIStringSelectComponent[] {
  return payload.components.flatMap((r) => r.components).filter((c): c is APIStringSelectComponent => c.type === ComponentType.StringSelect);
}

function buttonByAction(payload: MessagePayload, action: string): APIButtonComponent {
  const found = buttons(payload).find((b) => 'custom_id' in b && parseCustomId(b.custom_id)?.action === action);
  if (!found) throw new Error(`no button with action ${action}`);
  return found;
}

function customIdOf(component: APIButtonComponent | APIStringSelectComponent): string {
  if (!('custom_id' in component)) throw new Error('component has no custom_id');
  return component.custom_id;
}

function expectWithinLimits(payload: { embeds?: readonly APIEmbed[]; components?: MessagePayload['components']; content?: string }): void {
  expect(limitViolations(payload)).toEqual([]);
  for (const component of (payload.components ?? []).flatMap((r) => r.components)) {
    if ('custom_id' in component && component.custom_id) {
      expect(component.custom_id.length).toBeLessThanOrEqual(100);
      expect(parseCustomId(component.custom_id)).toBeDefined();
    }
  }
}

function allText(embeds: readonly APIEmbed[]): string {
  return embeds
    .map((e) => [e.title, e.description, ...(e.fields ?? []).flatMap((f) => [f.name, f.value]), e.footer?.text, e.author?.name].join('\n'))
    .join('\n');
}

// ——— limits.ts ———

describe('limits', () => {
  it('holds the documented Discord limits', () => {
    expect(LIMITS.embed).toMatchObject({ title: 256, description: 4096, fields: 25, fieldName: 256, fieldValue: 1024, footer: 2048, author: 256, total: 6000 });
    expect(LIMITS.message).toMatchObject({ content: 2000, embeds: 10, actionRows: 5 });
    expect(LIMITS.component).toMatchObject({ buttonsPerRow: 5, selectOptions: 25, customId: 100, buttonLabel: 80, selectOptionLabel: 100, selectOptionValue: 100, selectOptionDescription: 100 });
    expect(LIMITS.autocomplete).toMatchObject({ choices: 25, choiceName: 100 });
  });

  it('truncate keeps short text, cuts long text to max with an ellipsis, never splits a surrogate pair', () => {
    expect(truncate('hello', 5)).toBe('hello');
    expect(truncate('hello world', 8)).toBe('hello w…');
    expect(truncate('hello world', 7)).toBe('hello…'); // trailing space before the ellipsis is dropped
    expect(truncate('abc', 1)).toBe('…');
    expect(truncate('abc', 0)).toBe('');
    const emoji = '😀'.repeat(10); // each is 2 UTF-16 units
    for (let max = 1; max <= 21; max++) {
      const cut = truncate(emoji, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/); // no lone high surrogate
      expect(cut).not.toMatch(/(?<![\ud800-\udbff])[\udc00-\udfff]/); // no lone low surrogate
    }
  });

  it('embedLength counts title, description, fields, footer and author like discord.js', () => {
    const embed: APIEmbed = {
      title: 'abc',
      description: 'defgh',
      fields: [{ name: 'ij', value: 'klm' }, { name: 'n', value: 'o' }],
      footer: { text: 'pqrs' },
      author: { name: 'tu' },
      url: 'https://ignored.example',
    };
    expect(embedLength(embed)).toBe(3 + 5 + 2 + 3 + 1 + 1 + 4 + 2);
    expect(embedLength(embed)).toBe(discordEmbedLength(embed));
  });

  it('clampEmbed enforces every single-field limit', () => {
    const clamped = clampEmbed({
      title: 'T'.repeat(500),
      description: 'D'.repeat(5000),
      fields: Array.from({ length: 30 }, (_, i) => ({ name: i === 0 ? '' : 'N'.repeat(300), value: i === 1 ? '' : 'V'.repeat(2000) })),
      footer: { text: 'F'.repeat(3000) },
      author: { name: 'A'.repeat(300) },
    });
    expect(clamped.title).toHaveLength(256);
    expect(clamped.description).toHaveLength(4096);
    expect(clamped.fields).toHaveLength(25);
    expect(clamped.fields?.[0]?.name).toBe('\u200b');
    expect(clamped.fields?.[1]?.value).toBe('\u200b');
    expect(clamped.fields?.every((f) => f.name.length <= 256 && f.value.length <= 1024)).toBe(true);
    expect(clamped.footer?.text).toHaveLength(2048);
    expect(clamped.author?.name).toHaveLength(256);
  });

  it('fitEmbeds enforces 6000 in total, trimming the last embed first, without touching its input', () => {
    const input: APIEmbed[] = [
      { title: 'first', description: 'a'.repeat(2900) },
      { title: 'second', description: 'b'.repeat(2900) },
      { title: 'third', description: 'c'.repeat(2900) },
    ];
    const copy = structuredClone(input);
    const fitted = fitEmbeds(input);
    expect(input).toEqual(copy);
    expect(totalEmbedLength(fitted)).toBeLessThanOrEqual(6000);
    expect(limitViolations({ embeds: fitted })).toEqual([]);
    // The first embed is whole, the second is whole, the third lost what was needed.
    expect(fitted[0]).toEqual(input[0]);
    expect(fitted[1]).toEqual(input[1]);
    expect(fitted[2]?.title).toBe('third');
    expect(fitted[2]?.description).toBe(`${'c'.repeat(183)}…`);
    expect(totalEmbedLength(fitted)).toBe(6000);
  });

  it('fitEmbeds trims fields from the last, then earlier embeds, and drops embeds left empty', () => {
    const fields = Array.from({ length: 25 }, (_, i) => ({ name: `field ${i}`, value: 'v'.repeat(1024) }));
    const fitted = fitEmbeds([{ title: 'keep me', description: 'x'.repeat(2000) }, { fields }, { description: 'y'.repeat(4096) }]);
    expect(totalEmbedLength(fitted)).toBeLessThanOrEqual(6000);
    expect(limitViolations({ embeds: fitted })).toEqual([]);
    expect(fitted[0]).toEqual({ title: 'keep me', description: 'x'.repeat(2000) });
    // The third embed's description had to go entirely, the second kept its first fields.
    expect(fitted).toHaveLength(2);
    expect(fitted[1]?.fields?.[0]).toEqual({ name: 'field 0', value: 'v'.repeat(1024) });
    const many = fitEmbeds(Array.from({ length: 12 }, (_, i) => ({ description: `embed ${i}` })));
    expect(many).toHaveLength(10);
  });

  it('fitEmbeds honours a smaller budget exactly', () => {
    for (const budget of [1, 50, 999, 4000]) {
      const fitted = fitEmbeds([{ title: 't'.repeat(200), description: 'd'.repeat(4000), fields: [{ name: 'n', value: 'v'.repeat(900) }], footer: { text: 'f'.repeat(500) } }], budget);
      expect(totalEmbedLength(fitted)).toBeLessThanOrEqual(budget);
    }
  });

  it('limitViolations reports what Discord would refuse', () => {
    expect(limitViolations({ embeds: [{ title: 'x'.repeat(257) }] })).toHaveLength(1);
    expect(limitViolations({ embeds: [{ description: 'x'.repeat(4000) }, { description: 'y'.repeat(2001) }] }).join()).toMatch(/total/);
    expect(limitViolations({ content: 'x'.repeat(2001) })).toHaveLength(1);
    expect(limitViolations({ embeds: [{}] }).join()).toMatch(/empty/);
    const button = (id: string): APIButtonComponent => ({ type: 2, style: 1, label: 'b', custom_id: id });
    expect(limitViolations({ components: [{ type: 1, components: [button('a'), button('a')] }] }).join()).toMatch(/duplicate/);
    expect(limitViolations({ components: [{ type: 1, components: [button('x'.repeat(101))] }] })).toHaveLength(1);
    expect(limitViolations({ components: Array.from({ length: 6 }, (_, i) => ({ type: 1, components: [button(`b${i}`)] })) })).toHaveLength(1);
    const options = Array.from({ length: 26 }, (_, i) => ({ label: `o${i}`, value: `o${i}` }));
    expect(limitViolations({ components: [{ type: 1, components: [{ type: 3, custom_id: 's', options, min_values: 0, max_values: 25 }] }] }).join()).toMatch(/options/);
  });

  it('splitText cuts at paragraph, then sentence, then word boundaries', () => {
    const paragraph = `${'Alpha beta gamma. '.repeat(4).trim()}\n\n${'Delta epsilon. '.repeat(3).trim()}`;
    const firstParagraph = paragraph.split('\n\n')[0] ?? '';
    expect(splitText(paragraph, firstParagraph.length + 10)).toEqual([firstParagraph, paragraph.split('\n\n')[1]]);
    // No paragraph in reach: the last sentence end in the chunk wins over a later space.
    expect(splitText('One two three. Four five six seven eight.', 26)).toEqual(['One two three.', 'Four five six seven eight.']);
    // No sentence end past half the chunk: cut at the last space.
    expect(splitText('Hi. aaaa bbbb cccc dddd eeee ffff', 20)).toEqual(['Hi. aaaa bbbb cccc', 'dddd eeee ffff']);
    expect(splitText('', 10)).toEqual([]);
    expect(splitText('   ', 10)).toEqual([]);
    expect(splitText('short', 10)).toEqual(['short']);
    expect(() => splitText('x', 1)).toThrow(RangeError);
  });

  it('splitText never breaks a word that fits, and loses no text', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = prng(seed);
      const text = prose(500 + Math.floor(rand() * 9500), seed);
      const max = 20 + Math.floor(rand() * 4100);
      const chunks = splitText(text, max);
      expect(chunks.every((c) => c.length <= max && c.length > 0 && c === c.trim())).toBe(true);
      // Same word sequence: nothing lost, nothing added, no word split across chunks.
      expect(chunks.join(' ').split(/\s+/)).toEqual(text.split(/\s+/));
    }
  });

  it('splitText cuts inside a word only when it is longer than max, at code point boundaries', () => {
    const word = 'x'.repeat(25);
    const chunks = splitText(`ab ${word} cd`, 10);
    expect(chunks.every((c) => c.length <= 10)).toBe(true);
    expect(chunks.join('').replace(/\s/g, '')).toBe(`ab${word}cd`);
    const emoji = '😀'.repeat(20);
    const pieces = splitText(emoji, 5);
    expect(pieces.join('')).toBe(emoji);
    expect(pieces.every((p) => p.length <= 5 && p.length % 2 === 0)).toBe(true);
  });

  it('escapeUserText neutralises Markdown and mentions', () => {
    const escaped = escapeUserText(NASTY);
    expect(escaped).not.toContain('**bold**');
    expect(escaped).toContain('\\*\\*bold\\*\\*');
    expect(escaped).toContain('\\`code\\`');
    expect(escapeUserText('# Heading\n- item\n1. first')).toBe('\\# Heading\n\\- item\n1\\. first');
    expect(escaped).not.toContain('<@111111111111111111>');
    expect(escaped).not.toMatch(/@everyone|@here/);
  });

  it('fitChoices keeps autocomplete answers within 25 choices of 100 characters', () => {
    const choices = fitChoices(Array.from({ length: 40 }, (_, i) => ({ name: `${i} ${'n'.repeat(200)}`, value: 'v'.repeat(150) })));
    expect(choices).toHaveLength(25);
    expect(choices.every((c) => c.name.length <= 100 && c.value.length <= 100)).toBe(true);
  });
});

// ——— format.ts ———

describe('format', () => {
  it('progressBar fills by fraction and always has the given width', () => {
    expect(progressBar(0)).toBe('▱'.repeat(20));
    expect(progressBar(0.5)).toBe('▰'.repeat(10) + '▱'.repeat(10));
    expect(progressBar(0.999)).toBe('▰'.repeat(19) + '▱');
    expect(progressBar(1)).toBe('▰'.repeat(20));
    expect(progressBar(7)).toBe('▰'.repeat(20));
    expect(progressBar(Number.NaN, 6)).toBe('▱'.repeat(6));
    expect(progressBar(1 / 3, 6)).toBe('▰▰▱▱▱▱');
  });

  it('percent and durations read as people expect', () => {
    expect(percent(1, 3)).toBe('33%');
    expect(percent(5, 0)).toBe('0%');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-5)).toBe('0s');
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(192_000)).toBe('3m 12s');
    expect(formatDuration(65_000)).toBe('1m 05s');
    expect(formatDuration(3_900_000)).toBe('1h 05m');
    expect(formatDuration(2 * 86_400_000 + 3 * 3_600_000)).toBe('2d 03h');
  });

  it('maps average quality to stars: below 7 none, 7.0 one, then one per 0.75, 10 five', () => {
    const table: [number, number][] = [
      [0, 0], [6.99, 0], [7.0, 1], [7.74, 1], [7.75, 2], [8.49, 2], [8.5, 3], [8.4999999999, 3],
      [9.24, 3], [9.25, 4], [9.99, 4], [10, 5], [Number.NaN, 0],
    ];
    for (const [quality, stars] of table) expect(starCount(quality), `quality ${quality}`).toBe(stars);
    expect(starRating(8.6)).toBe('★★★☆☆');
    expect(starRating(10)).toBe('★★★★★');
    expect(starRating(3)).toBe('☆☆☆☆☆');
  });

  it('relativeTime is Discord timestamp markup in whole seconds', () => {
    expect(relativeTime(1_700_000_000_999)).toBe('<t:1700000000:R>');
    expect(relativeTime(new Date(1_700_000_000_000))).toBe('<t:1700000000:R>');
  });
});

// ——— customId.ts ———

describe('custom ids', () => {
  it('round-trip every action the embeds use', () => {
    for (const [scope, actions] of Object.entries(ACTIONS)) {
      for (const action of Object.values(actions)) {
        const id = customId(scope, action, TOKEN);
        expect(id).toBe(`zega:${scope}:${action}:${TOKEN}`);
        expect(parseCustomId(id)).toEqual({ scope, action, token: TOKEN });
        const withExtra = customId(scope, action, TOKEN, '3:best:all');
        expect(parseCustomId(withExtra)).toEqual({ scope, action, token: TOKEN, extra: '3:best:all' });
      }
    }
  });

  it('stay within 100 characters and refuse bad parts', () => {
    const base = customId('stories', 'next', TOKEN);
    const fits = customId('stories', 'next', TOKEN, 'e'.repeat(100 - base.length - 1));
    expect(fits).toHaveLength(100);
    expect(() => customId('stories', 'next', TOKEN, 'e'.repeat(100 - base.length))).toThrow(RangeError);
    expect(() => customId('setup', 'start', 'has:colon')).toThrow(RangeError);
    expect(() => customId('setup', 'start', '')).toThrow(RangeError);
    expect(() => customId('setup', 'start', 't'.repeat(41))).toThrow(RangeError);
    expect(() => customId('Setup', 'start', TOKEN)).toThrow(RangeError);
    expect(() => customId('setup', 'st art', TOKEN)).toThrow(RangeError);
    expect(() => customId('setup', 'start', TOKEN, '')).toThrow(RangeError);
    expect(parseCustomId('other:setup:start:abc')).toBeUndefined();
    expect(parseCustomId('zega:setup:start')).toBeUndefined();
    expect(parseCustomId('zega:setup:start:abc:')).toBeUndefined();
    expect(parseCustomId(`zega:setup:start:${'a'.repeat(100)}`)).toBeUndefined();
  });
});

// ——— setupPanel.ts ———

describe('setupPanel', () => {
  const base: SetupState = {
    ownerId: OWNER,
    runToken: TOKEN,
    examples: 1000,
    genres: ['Horror', 'Poetry', 'Western'],
    save: true,
    memory: false,
    voting: 'jury',
    teacherSelection: 'all',
    teacherCount: 7,
    estimate: { seconds: 5000, calls: 8000 },
    qualityScore: 'seed',
  };

  it('names the score that decides the save and memory thresholds (QUALITY_SCORE)', () => {
    const fieldsOf = (state: SetupState) => Object.fromEntries((setupPanel(state).embeds[0]?.fields ?? []).map((f) => [f.name, f.value]));
    const seed = fieldsOf(base);
    expect(seed['Save to database']).toBe('✅ On — keep stories with final quality ≥ 8.0 in your library');
    expect(seed['Store in memory']).toBe('⬜ Off — reuse examples with final quality ≥ 7.0 as guidance in later runs');
    const story = fieldsOf({ ...base, qualityScore: 'story' });
    expect(story['Save to database']).toBe('✅ On — keep stories with story score ≥ 8.0 in your library');
    expect(story['Store in memory']).toBe('⬜ Off — reuse examples with story score ≥ 7.0 as guidance in later runs');
  });

  it('stays within limits, with every genre or none selected', () => {
    for (const genres of [[], base.genres, [...GENRES]]) {
      const panel = setupPanel({ ...base, genres });
      expectWithinLimits(panel);
      expect(panel.embeds).toHaveLength(1);
    }
  });

  it('offers exactly the 25 genres, min 0 max 25, with the selected ones marked default', () => {
    const [select, ...others] = selects(setupPanel(base));
    expect(others).toHaveLength(0);
    if (!select) throw new Error('no select');
    expect(select.options.map((o) => o.value)).toEqual([...GENRES]);
    expect(select.options).toHaveLength(25);
    expect(select.min_values).toBe(0);
    expect(select.max_values).toBe(25);
    expect(select.options.filter((o) => o.default).map((o) => o.value)).toEqual(['Horror', 'Poetry', 'Western']);
    expect(parseCustomId(customIdOf(select))).toEqual({ scope: 'setup', action: 'genres', token: TOKEN });
    const none = selects(setupPanel({ ...base, genres: [] }))[0];
    expect(none?.options.some((o) => o.default)).toBe(false);
  });

  it('toggle buttons show their state: green ✅ when on, grey ⬜ when off', () => {
    for (const save of [true, false]) {
      for (const memory of [true, false]) {
        const panel = setupPanel({ ...base, save, memory });
        for (const [action, on] of [['save', save], ['memory', memory]] as const) {
          const b = buttonByAction(panel, action);
          expect(b.style).toBe(on ? 3 : 2); // Success : Secondary
          expect('emoji' in b ? b.emoji?.name : undefined).toBe(on ? '✅' : '⬜');
          expect('label' in b ? b.label : '').toMatch(on ? /: On$/ : /: Off$/);
        }
      }
    }
  });

  it('offers the auto-teachers choice as a toggle and says which teachers each example asks', () => {
    for (const teacherSelection of ['all', 'auto'] as const) {
      const panel = setupPanel({ ...base, teacherSelection });
      expect(buttonByAction(panel, 'teachers').style).toBe(teacherSelection === 'auto' ? 3 : 2);
      const field = panel.embeds[0]?.fields?.find((f) => f.name === 'Teachers');
      expect(field?.value).toBe(teacherSelection === 'auto' ? 'Auto (best of 7 per genre)' : 'All 7');
    }
  });

  it('has Start (primary) and Cancel (danger) carrying the run token', () => {
    const panel = setupPanel(base);
    const start = buttonByAction(panel, 'start');
    const cancel = buttonByAction(panel, 'cancel');
    expect(start.style).toBe(1);
    expect(cancel.style).toBe(4);
    expect(parseCustomId(customIdOf(start))?.token).toBe(TOKEN);
    expect(parseCustomId(customIdOf(cancel))?.scope).toBe('setup');
  });

  it('summarises the choices and the estimate', () => {
    const text = allText(setupPanel(base).embeds);
    expect(text).toContain('Horror, Poetry, Western');
    expect(text).toContain('1h 23m');
    expect(text).toContain('8000 teacher calls');
    expect(text).toContain('Jury');
    expect(allText(setupPanel({ ...base, genres: [] }).embeds)).toContain('All 25');
  });
});

// ——— progress.ts ———

describe('progressMessage', () => {
  const view = {
    ownerId: OWNER,
    runToken: TOKEN,
    options: OPTIONS,
    totals: totals(),
    teachers: teachers(20, 100),
    status: 'running' as const,
  };

  it('stays within limits with 25 genres, 20 long teacher ids and a long note', () => {
    expectWithinLimits(progressMessage(view));
    expectWithinLimits(progressMessage({ ...view, status: 'stopping', note: NASTY.repeat(100) }));
    expectWithinLimits(progressMessage({ ...view, totals: totals({ done: 0, successful: 0, failed: 0, genreCounts: {}, etaMs: undefined }) }));
  });

  it('shows progress, counts, quality, saved stories, leader, ETA and every genre', () => {
    const text = allText(progressMessage(view).embeds);
    expect(text).toContain(progressBar(0.5));
    expect(text).toContain('500 / 1000');
    expect(text).toContain('96%'); // 480 of 500
    expect(text).toContain('8.60 ★★★☆☆');
    expect(text).toContain('200');
    expect(text).toContain('teacher-3-xxx');
    expect(text).toContain('10m 00s');
    for (const genre of GENRES) expect(text).toContain(genre);
  });

  it('shows the story score beside the seed quality, and unreadable jury ballots', () => {
    const text = allText(progressMessage({ ...view, totals: totals({ averageStoryQuality: 6.25, jury: { ballots: 70, unreadable: 2, fallbacks: 1 } }) }).embeds);
    expect(text).toContain('Story score');
    expect(text).toContain('6.25');
    expect(text).toContain('2 of 70 ballots unreadable');
    expect(text).toContain('1 example decided by consensus');
    expect(allText(progressMessage(view).embeds)).not.toContain('ballots unreadable');
  });

  it('has a Stop button, disabled while stopping', () => {
    const running = buttonByAction(progressMessage(view), 'stop');
    expect(customIdOf(running)).toBe(`zega:run:stop:${TOKEN}`);
    expect(running.style).toBe(4);
    expect(running.disabled).toBe(false);
    expect(buttonByAction(progressMessage({ ...view, status: 'stopping' }), 'stop').disabled).toBe(true);
  });

  it('shows the queue position instead while queued', () => {
    const queued = progressMessage({ ...view, queuePosition: 3 });
    expectWithinLimits(queued);
    expect(allText(queued.embeds)).toContain('Waiting in queue: position **3**');
    expect(allText(queued.embeds)).not.toContain('500 / 1000');
    expect(queuedMessage({ ...view, queuePosition: 3 })).toEqual(queued);
    expect(customIdOf(buttonByAction(queued, 'stop'))).toBe(`zega:run:stop:${TOKEN}`);
  });
});

// ——— results.ts ———

describe('resultsMessage', () => {
  it('stays within limits for 7 and 20 teachers (100-char ids), 25 genres, every status', () => {
    for (const roster of [teachers(7), teachers(20, 100), teachers(40, 100)]) {
      for (const status of ['done', 'cancelled', 'failed', 'interrupted'] as const) {
        const message = resultsMessage({ ownerId: OWNER, runToken: TOKEN, result: result({ teachers: roster, status }), teachers: roster, fineTuneTotal: 1637, chartFileName: 'chart.png' });
        expectWithinLimits(message);
      }
    }
  });

  it('keeps every model and every genre visible with 20 long teacher ids and 25 genres', () => {
    const roster = teachers(20, 100);
    const message = resultsMessage({ ownerId: OWNER, runToken: TOKEN, result: result({ teachers: roster, status: 'failed' }), teachers: roster, fineTuneTotal: 1637, chartFileName: 'chart.png' });
    const text = allText(message.embeds);
    for (const t of roster) expect(text).toContain(`**${t.id.slice(0, 39)}…**`);
    for (const genre of GENRES) expect(text).toContain(`${genre} **`);
    expect(message.embeds[0]?.fields?.map((f) => f.name)).toEqual(['Success rate', 'Average quality', 'Story score', 'Stories saved', 'Fine-tuning examples', 'Duration', 'Genre distribution']);
  });

  it('says why a run failed in friendly words, never with the provider texts', () => {
    const roster = teachers(2);
    const failed: TrainingResult = {
      ...result({ teachers: roster, status: 'failed' }),
      error: 'every example failed (3 of 3): no teacher gave a usable answer',
      failure_reasons: {
        [roster[0]!.id]: { kind: 'auth', message: 'Gemini 401 UNAUTHENTICATED: API key AIzaSyLeakyKey0123456789abcdef not valid' },
        [roster[1]!.id]: { kind: 'network', message: 'cannot reach Groq at http://10.0.0.7:8080/openai/v1/chat/completions: ECONNREFUSED' },
      },
    };
    const embed = resultsMessage({ ownerId: OWNER, runToken: TOKEN, result: failed, teachers: roster, fineTuneTotal: 0 }).embeds[0];
    expect(embed?.description).toContain('Why: every example failed (3 of 3): no teacher gave a usable answer');
    expect(embed?.fields?.find((f) => f.name === 'Why it failed')?.value).toBe(
      [`• **${roster[0]!.id}** refused the key — tell the bot’s owner`, `• **${roster[1]!.id}** cannot be reached right now`].join('\n'),
    );
    expect(JSON.stringify(embed)).not.toMatch(/UNAUTHENTICATED|AIza|10\.0\.0\.7/);
  });

  it('shows who was skipped for lack of quota, who is out and why, who came back, and the calls auto teachers saved', () => {
    const roster = teachers(3);
    const r = result({ teachers: roster });
    const [a, b] = roster.map((t) => t.id) as [string, string];
    Object.assign(r.model_performance[a] as object, { wins: 10, examples: 40, skipped: 60 });
    Object.assign(r.model_performance[b] as object, { out: '3 calls in a row timed out' });
    r.training_stats.teacher_changes = [
      { teacherId: b, change: 'out', reason: '3 calls in a row timed out', atMs: 5_000 },
      { teacherId: a, change: 'out', reason: 'probe timed out', atMs: 9_000 },
      { teacherId: a, change: 'back', atMs: 40_000 },
    ];
    r.training_stats.calls_saved = 1234;
    const message = resultsMessage({ ownerId: OWNER, runToken: TOKEN, result: r, teachers: roster, fineTuneTotal: 10 });
    expectWithinLimits(message);
    const embed = message.embeds[0];
    expect(embed?.description).toContain('25% win rate');
    expect(embed?.description).toContain('60 skipped');
    expect(embed?.description).toContain('out: 3 calls in a row timed out');
    const changes = embed?.fields?.find((f) => f.name === 'Teachers out and back')?.value ?? '';
    expect(changes.split('\n')).toHaveLength(3);
    expect(changes).toMatch(/back after 40s/);
    expect(embed?.fields?.find((f) => f.name === 'Auto teachers')?.value).toBe('1234 teacher calls saved');
  });

  it('ranks models by wins, then average quality, and lists teachers that never won', () => {
    const roster = teachers(7);
    const r = result({ teachers: roster });
    const extra: TeacherInfo = { id: 'silent-teacher', provider: 'ollama', model: 'm', defaults: { temperature: 1, topP: 1, maxTokens: 10 } };
    const ranked = rankModels(r, [...roster, extra]);
    // Pairs tie on wins (100, 100, 90, 90, 80, 80, 0); the odd index has the higher quality, so
    // it comes first; the two without wins tie on everything and go by id.
    expect(ranked.map((x) => x.model)).toEqual([
      'gemini-2.5-flash-lite', 'gemini-2.5-flash', 'groq-llama-3.1-8b', 'groq-llama-3.3-70b', 'hf-mistral-7b', 'hf-qwen2.5-7b', 'ollama-llama3.2', 'silent-teacher',
    ]);
    expect(ranked.slice(0, 2).map((x) => [x.wins, x.averageQuality])).toEqual([[100, 9.5], [100, 8.5]]);
    for (let i = 1; i < ranked.length; i++) {
      const [prev, cur] = [ranked[i - 1], ranked[i]];
      if (!prev || !cur) continue;
      expect(prev.wins > cur.wins || (prev.wins === cur.wins && prev.averageQuality >= cur.averageQuality)).toBe(true);
    }
    expect(ranked.at(-1)?.wins).toBe(0);
    const text = allText(resultsMessage({ ownerId: OWNER, runToken: TOKEN, result: r, teachers: [...roster, extra], fineTuneTotal: 10 }).embeds);
    const order = ranked.map((x) => text.indexOf(`**${x.model}**`));
    expect(order.every((pos) => pos >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toContain('🥇 **gemini-2.5-flash-lite** — 100 wins · avg 9.50 ★★★★☆');
  });

  it('shows rates, quality, saved stories, fine-tuning progress, genres and the chart', () => {
    const roster = teachers(7);
    const message = resultsMessage({ ownerId: OWNER, runToken: TOKEN, result: result({ teachers: roster }), teachers: roster, fineTuneTotal: 1637, chartFileName: 'zega-results.png' });
    const text = allText(message.embeds);
    expect(text).toContain('99% (990/1000)');
    expect(text).toContain('8.47 ★★☆☆☆');
    expect(text).toContain('412');
    expect(text).toContain('1,637 in all');
    for (const genre of GENRES) expect(text).toContain(genre);
    expect(message.embeds[0]?.image?.url).toBe('attachment://zega-results.png');
    expect(resultsMessage({ ownerId: OWNER, runToken: TOKEN, result: result({ teachers: roster }), teachers: roster, fineTuneTotal: 1 }).embeds[0]?.image).toBeUndefined();
    expect(() => resultsMessage({ ownerId: OWNER, runToken: TOKEN, result: result({ teachers: roster }), teachers: roster, fineTuneTotal: 1, chartFileName: 'a b.png' })).toThrow(RangeError);
  });

  it('reports the story score, per model too, and the jury ballots that could not be read', () => {
    const roster = teachers(3);
    const r = result({ teachers: roster });
    r.average_story_quality = 6.42;
    r.model_performance[roster[0]!.id]!.average_story_quality = 5.91;
    r.jury = { ballots: 7, unreadable: 2, fallback_examples: 0 };
    const text = allText(resultsMessage({ ownerId: OWNER, runToken: TOKEN, result: r, teachers: roster, fineTuneTotal: 1 }).embeds);
    expect(text).toContain('Story score');
    expect(text).toContain('6.42');
    expect(text).toContain('story 5.91');
    expect(text).toContain('2 of 7 ballots unreadable');
  });

  it('says clearly when a run was cancelled or failed', () => {
    const roster = teachers(3);
    const render = (status: RunStatus) => resultsMessage({ ownerId: OWNER, runToken: TOKEN, result: result({ teachers: roster, status }), teachers: roster, fineTuneTotal: 0 }).embeds[0];
    expect(render('cancelled')?.title).toMatch(/cancelled/i);
    expect(render('cancelled')?.description).toMatch(/\*\*Cancelled\*\*/);
    expect(render('failed')?.title).toMatch(/failed/i);
    expect(render('failed')?.description).toMatch(/\*\*Failed\*\*/);
    expect(render('done')?.title).toMatch(/complete/i);
    expect(render('done')?.color).not.toBe(render('failed')?.color);
    // A run stopped because its results could not be stored says why.
    const why = 'Results could not be stored, so the run stopped: The disk holding data/zega.sqlite is full.';
    const failed = resultsMessage({ ownerId: OWNER, runToken: TOKEN, result: { ...result({ teachers: roster, status: 'failed' }), error: why }, teachers: roster, fineTuneTotal: 0 }).embeds[0];
    expect(failed?.description).toContain(`Why: ${why}`);
    expect(render('failed')?.description).not.toContain('Why:');
  });

  it('offers View my stories, Leaderboard and Train again', () => {
    const roster = teachers(1);
    const message = resultsMessage({ ownerId: OWNER, runToken: TOKEN, result: result({ teachers: roster }), teachers: roster, fineTuneTotal: 0 });
    expect(buttons(message).map((b) => ('label' in b ? b.label : ''))).toEqual(['View my stories', 'Leaderboard', 'Train again']);
    expect(buttons(message).map((b) => parseCustomId(customIdOf(b))?.action)).toEqual(['stories', 'leaderboard', 'again']);
  });
});

// ——— leaderboard.ts ———

describe('leaderboardEmbed', () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({ model: longId(i), wins: (i * 7) % 13, averageQuality: 7 + (i % 5) * 0.6, winRate: ((i * 7) % 13) / 100, calls: 1000 + i }));
  const trainers = Array.from({ length: 15 }, (_, i) => ({ userId: String(100000000000000000n + BigInt(i)), examples: 1000 - i, stories: 50 - i }));

  it('stays within limits with 30 long model ids, a 500-char title with Markdown and 15 trainers', () => {
    const embed = leaderboardEmbed({ title: `${NASTY}${'T'.repeat(500)}`, scopeLabel: NASTY, rows, trainers });
    expectWithinLimits({ embeds: [embed] });
    expect(embed.title?.length).toBeLessThanOrEqual(256);
    expect(embed.title).not.toContain('**bold**');
    expect(embed.title).not.toMatch(/@everyone/);
  });

  it('ranks by wins then quality, with win rate, and mentions the top trainers', () => {
    const embed = leaderboardEmbed({
      title: 'Models',
      scopeLabel: 'This server',
      rows: [
        { model: 'b', wins: 5, averageQuality: 8, winRate: 0.25 },
        { model: 'a', wins: 9, averageQuality: 7.5, winRate: 0.45 },
        { model: 'c', wins: 5, averageQuality: 9.3, winRate: 0.25, calls: 40 },
      ],
      trainers: [{ userId: '222222222222222222', examples: 50, stories: 3 }],
    });
    const d = embed.description ?? '';
    expect(d.indexOf('**a**')).toBeLessThan(d.indexOf('**c**'));
    expect(d.indexOf('**c**')).toBeLessThan(d.indexOf('**b**'));
    expect(d).toContain('45% win rate');
    expect(d).toContain('40 calls');
    expect(d).toContain('★★★★☆');
    expect(embed.fields?.[0]?.value).toContain('<@222222222222222222> — 50 examples · 3 stories');
  });
});

// ——— story.ts ———

const STORY: StoryView = {
  id: 'abcdef0123456789',
  title: 'The Lantern',
  genre: 'Fantasy',
  text: prose(3000),
  finalQuality: 8.9,
  teacherId: 'groq-llama-3.3-70b',
  createdAt: 1_700_000_000_000,
  prompt: 'A lighthouse keeper finds a letter.',
  style: 'Lyrical, second person.',
};

describe('storyEmbeds', () => {
  it('a short story is one embed with its metadata', () => {
    const render = storyEmbeds(STORY);
    expect(render.attachMarkdown).toBe(false);
    expectWithinLimits({ embeds: render.embeds });
    expect(render.embeds).toHaveLength(1);
    const text = allText(render.embeds);
    for (const part of ['The Lantern', 'Fantasy', '8.90 ★★★☆☆', 'groq-llama-3.3-70b', '<t:1700000000:R>', 'A lighthouse keeper', 'auto-generated']) expect(text).toContain(part);
  });

  it('shows the story score beside the quality when the story has one', () => {
    expect(allText(storyEmbeds({ ...STORY, storyQuality: 6.37 }).embeds)).toContain('Story score');
    expect(allText(storyEmbeds({ ...STORY, storyQuality: 6.37 }).embeds)).toContain('6.37');
    expect(allText(storyEmbeds(STORY).embeds)).not.toContain('Story score');
    expect(storyMarkdown({ ...STORY, storyQuality: 6.37 })).toContain('story score 6.37');
  });

  it('splits a longer story over several embeds of one message, losing nothing', () => {
    for (let length = 4000; length <= 6500; length += 61) {
      const text = prose(length, length);
      const render = storyEmbeds({ ...STORY, text });
      expectWithinLimits({ embeds: render.embeds });
      if (!render.attachMarkdown) {
        const joined = render.embeds.map((e) => e.description ?? '').join(' ');
        expect(joined.split(/\s+/)).toEqual(text.split(/\s+/));
        expect(render.embeds[0]?.title).toBe('The Lantern');
        expect(render.embeds.at(-1)?.fields?.length).toBeGreaterThan(0);
        if (length > 4096) expect(render.embeds.length).toBeGreaterThan(1);
      } else {
        expect(render.markdown).toContain(text);
      }
    }
    expect(storyEmbeds({ ...STORY, text: prose(5000) }).attachMarkdown).toBe(false);
  });

  it('a 10,000-character story becomes a preview and a Markdown attachment', () => {
    const text = prose(10_000, 7);
    const render = storyEmbeds({ ...STORY, title: `${NASTY}${'T'.repeat(500)}`, text }, { shared: true, authorId: OWNER });
    expect(render.attachMarkdown).toBe(true);
    if (!render.attachMarkdown) return;
    expectWithinLimits({ embeds: render.embeds });
    expect(render.embeds).toEqual([render.preview]);
    expect(render.preview.description).toMatch(/attached as a Markdown file/);
    expect(render.markdown).toContain(text);
    expect(render.markdown).toMatch(/auto-generated/);
    expect(render.fileName).toBe('story-abcdef0123456789.md');
    expect(render.preview.title?.length).toBeLessThanOrEqual(256);
    expect(render.preview.title).not.toContain('**bold**');
    expect(allText(render.embeds)).toContain(`<@${OWNER}>`);
  });

  it('escapes titles and makes mentions in the text inert', () => {
    const render = storyEmbeds({ ...STORY, title: NASTY, text: `Hello <@999999999999999999> and @everyone. ${prose(200)}`, prompt: NASTY.repeat(40) });
    expectWithinLimits({ embeds: render.embeds });
    const text = allText(render.embeds);
    expect(text).not.toContain('<@999999999999999999>');
    expect(text).not.toMatch(/@everyone/);
    expect(render.embeds[0]?.title).toContain('\\*\\*bold\\*\\*');
  });
});

describe('storyListEmbed', () => {
  const items: StoryListItem[] = Array.from({ length: 8 }, (_, i) => ({
    id: `story${i}abcdef0123`,
    title: i === 0 ? `${NASTY}${'T'.repeat(500)}` : `Story ${i}`,
    genre: GENRES[i] ?? 'Epic',
    finalQuality: 8 + i * 0.2,
    createdAt: 1_700_000_000_000 + i * 1000,
  }));

  function pageButtons(page: number, pages: number) {
    const message = storyListEmbed({ ownerId: OWNER, items, page, pages, total: pages * 5, sort: 'best', genre: 'Horror', qualityScore: 'seed' });
    expectWithinLimits(message);
    return { message, prev: buttonByAction(message, 'prev'), next: buttonByAction(message, 'next') };
  }

  it('says how many stories of the page could not be read', () => {
    const message = storyListEmbed({ ownerId: OWNER, items: items.slice(0, 4), page: 1, pages: 1, total: 5, sort: 'newest', unreadable: 1, qualityScore: 'seed' });
    expect(message.embeds[0]?.description).toContain('1 story on this page could not be read and is not shown.');
    expect(pageButtons(1, 1).message.embeds[0]?.description).not.toContain('could not be read');
  });

  it('shows at most 5 stories with title, genre, quality and date', () => {
    const { message } = pageButtons(2, 3);
    const fields = message.embeds[0]?.fields ?? [];
    expect(fields).toHaveLength(5);
    expect(fields[0]?.name.startsWith('6. ')).toBe(true);
    expect(fields[0]?.name).not.toContain('**bold**');
    expect(fields[1]?.value).toContain('Biography');
    expect(fields[1]?.value).toContain('8.20 ★★☆☆☆');
    expect(fields[1]?.value).toContain('<t:1700000001:R>');
    expect(selects(message)[0]?.options.map((o) => o.value)).toEqual(items.slice(0, 5).map((i) => i.id));
  });

  it('disables Previous on the first page and Next on the last', () => {
    expect([pageButtons(1, 3).prev.disabled, pageButtons(1, 3).next.disabled]).toEqual([true, false]);
    expect([pageButtons(2, 3).prev.disabled, pageButtons(2, 3).next.disabled]).toEqual([false, false]);
    expect([pageButtons(3, 3).prev.disabled, pageButtons(3, 3).next.disabled]).toEqual([false, true]);
    expect([pageButtons(1, 1).prev.disabled, pageButtons(1, 1).next.disabled]).toEqual([true, true]);
  });

  it('page buttons carry the owner, the target page, the sort and the genre', () => {
    const { prev, next } = pageButtons(2, 3);
    const p = parseCustomId(customIdOf(prev));
    const n = parseCustomId(customIdOf(next));
    expect(p?.token).toBe(OWNER);
    expect(parseListState(p?.extra ?? '')).toEqual({ page: 1, sort: 'best', genre: 'Horror' });
    expect(parseListState(n?.extra ?? '')).toEqual({ page: 3, sort: 'best', genre: 'Horror' });
  });

  it('list state round-trips for every genre and none', () => {
    for (const genre of [undefined, ...GENRES]) {
      const state = { page: 12, sort: 'newest' as const, ...(genre ? { genre } : {}) };
      expect(parseListState(encodeListState(state))).toEqual(state);
    }
    expect(parseListState('0:best:all')).toBeUndefined();
    expect(parseListState('1:worst:all')).toBeUndefined();
    expect(parseListState('1:best:25')).toBeUndefined();
  });

  it('an empty list still renders within limits, without a select', () => {
    const message = storyListEmbed({ ownerId: OWNER, items: [], page: 1, pages: 0, total: 0, sort: 'newest', qualityScore: 'seed' });
    expectWithinLimits(message);
    expect(selects(message)).toHaveLength(0);
    expect(message.embeds[0]?.description).toMatch(/No stories yet\. .*stories with final quality ≥ 8\.0 are kept here\.$/);
    const story = storyListEmbed({ ownerId: OWNER, items: [], page: 1, pages: 0, total: 0, sort: 'newest', qualityScore: 'story' });
    expect(story.embeds[0]?.description).toMatch(/stories with story score ≥ 8\.0 are kept here\.$/);
  });
});
