/** Pure helpers of /stories: autocomplete filtering, edit validation, list state, export limits. */
import { describe, expect, it } from 'vitest';
import {
  deletedMessage,
  attachmentLimit,
  DEFAULT_ATTACHMENT_LIMIT,
  editRefusal,
  exportFileName,
  filterStoryChoices,
  formatBytes,
  listStateFrom,
  looksLikeStoryId,
  MODAL_TEXT_MAX,
  stories,
  storyChoiceName,
  validateEdit,
} from '../src/commands/stories.ts';
import { encodeListState } from '../src/discord/embeds/story.ts';
import { customId, parseCustomId } from '../src/discord/customId.ts';
import { ownerOfToken } from '../src/discord/replies.ts';
import type { Genre } from '../src/trainer/genres.ts';

const story = (id: string, title: string, genre: Genre = 'Horror', finalQuality = 8.5) => ({ id, title, genre, finalQuality });

describe('storyChoiceName', () => {
  it('shows title, genre and quality within 100 characters', () => {
    expect(storyChoiceName(story('a', 'The  Lighthouse\nKeeper'))).toBe('The Lighthouse Keeper · Horror · 8.50');
    const long = storyChoiceName(story('a', 'x'.repeat(300), 'Historical Fiction', 9.125));
    expect(long.length).toBeLessThanOrEqual(100);
    expect(long.endsWith(' · Historical Fiction · 9.13')).toBe(true);
  });

  it('names an untitled story', () => {
    expect(storyChoiceName(story('a', '   '))).toMatch(/^Untitled story · /);
  });
});

describe('filterStoryChoices', () => {
  const library = [
    story('AAAAAAAAAAAAAAA1', 'The Lighthouse Keeper'),
    story('AAAAAAAAAAAAAAA2', 'A Keeper of Secrets', 'Mystery'),
    story('AAAAAAAAAAAAAAA3', 'Café at Midnight', 'Romance'),
    story('BBBBBBBBBBBBBBB4', 'Midnight Train', 'Thriller'),
  ];

  it('returns everything in order when nothing is typed', () => {
    expect(filterStoryChoices(library, '').map((c) => c.value)).toEqual(library.map((s) => s.id));
  });

  it('matches every typed word, case- and accent-insensitively, prefixes first', () => {
    expect(filterStoryChoices(library, 'keeper').map((c) => c.value)).toEqual(['AAAAAAAAAAAAAAA1', 'AAAAAAAAAAAAAAA2']);
    expect(filterStoryChoices(library, 'CAFE mid').map((c) => c.value)).toEqual(['AAAAAAAAAAAAAAA3']);
    expect(filterStoryChoices(library, 'midnight').map((c) => c.value)).toEqual(['BBBBBBBBBBBBBBB4', 'AAAAAAAAAAAAAAA3']);
    expect(filterStoryChoices(library, 'dragon')).toEqual([]);
  });

  it('finds a story by its id or an id prefix of 4+ characters', () => {
    expect(filterStoryChoices(library, 'BBBBBBBBBBBBBBB4').map((c) => c.value)).toEqual(['BBBBBBBBBBBBBBB4']);
    expect(filterStoryChoices(library, 'BBBB').map((c) => c.value)).toEqual(['BBBBBBBBBBBBBBB4']);
  });

  it('answers at most 25 choices with ids as values, and no duplicates', () => {
    const many = Array.from({ length: 60 }, (_, i) => story(`ID${String(i).padStart(14, '0')}`, `Story ${i}`));
    const choices = filterStoryChoices([...many, ...many], 'story');
    expect(choices).toHaveLength(25);
    expect(new Set(choices.map((c) => c.value)).size).toBe(25);
    for (const c of choices) {
      expect(c.name.length).toBeLessThanOrEqual(100);
      expect(c.value.length).toBeLessThanOrEqual(100);
    }
  });
});

describe('validateEdit', () => {
  it('accepts a title and a text, trimmed and with the title on one line', () => {
    expect(validateEdit('  New\n title ', '  Once upon a time.\n\nThe end.  ')).toEqual({ ok: true, title: 'New title', text: 'Once upon a time.\n\nThe end.' });
  });

  it('refuses blank parts with a clear message', () => {
    for (const [title, text, pattern] of [
      ['', '', /both empty/],
      ['  ', 'text', /title is empty/],
      ['Title', ' \n ', /text is empty/],
      ['x'.repeat(101), 'text', /at most 100/],
      ['Title', 'y'.repeat(MODAL_TEXT_MAX + 1), /at most 4000/],
    ] as const) {
      const check = validateEdit(title, text);
      expect(check.ok).toBe(false);
      if (!check.ok) {
        expect(check.error).toMatch(pattern);
        expect(check.error).toMatch(/changed nothing/);
      }
    }
  });
});

describe('editRefusal', () => {
  it('lets a story that fits the form be edited and refuses a longer one instead of cutting it', () => {
    expect(editRefusal({ text: 'a'.repeat(MODAL_TEXT_MAX) })).toBeUndefined();
    expect(editRefusal({ text: `  ${'a'.repeat(MODAL_TEXT_MAX)}\n` })).toBeUndefined();
    expect(editRefusal({ text: 'a'.repeat(MODAL_TEXT_MAX + 1) })).toMatch(/4,001 characters.*\/stories export/s);
  });
});

describe('list state of the page buttons', () => {
  it('round-trips page, sort and genre, and falls back to page 1 newest', () => {
    expect(listStateFrom(encodeListState({ page: 3, sort: 'best', genre: 'Fairy Tale' }))).toEqual({ page: 3, sort: 'best', genre: 'Fairy Tale' });
    expect(listStateFrom(encodeListState({ page: 2, sort: 'newest' }))).toEqual({ page: 2, sort: 'newest' });
    expect(listStateFrom(undefined)).toEqual({ page: 1, sort: 'newest' });
    expect(listStateFrom('0:best:all')).toEqual({ page: 1, sort: 'newest' });
    expect(listStateFrom('2:worst:99')).toEqual({ page: 1, sort: 'newest' });
  });
});

describe('story component ids', () => {
  it('fit Discord with the longest snowflake and a story id, and belong to the owner', () => {
    const userId = '12345678901234567890';
    for (const action of ['del-yes', 'del-no', 'save-edit', 'edit', 'share', 'delete']) {
      const id = customId('stories', action, userId, 'AbCdEfGhIjKlMnOp');
      expect(id.length).toBeLessThanOrEqual(100);
      const parsed = parseCustomId(id);
      expect(parsed).toEqual({ scope: 'stories', action, token: userId, extra: 'AbCdEfGhIjKlMnOp' });
      expect(ownerOfToken(parsed?.token ?? '')).toBe(userId);
    }
  });

  it('accepts only store-shaped story ids', () => {
    expect(looksLikeStoryId('AbCdEfGhIjKlMnOp')).toBe(true);
    expect(looksLikeStoryId('')).toBe(false);
    expect(looksLikeStoryId('../other/user')).toBe(false);
    expect(looksLikeStoryId('a b')).toBe(false);
  });
});

describe('export helpers', () => {
  it('uses the interaction limit, else 10 MiB', () => {
    expect(attachmentLimit(25 * 1024 * 1024)).toBe(25 * 1024 * 1024);
    expect(attachmentLimit(undefined)).toBe(DEFAULT_ATTACHMENT_LIMIT);
    expect(attachmentLimit(0)).toBe(DEFAULT_ATTACHMENT_LIMIT);
    expect(DEFAULT_ATTACHMENT_LIMIT).toBe(10 * 1024 * 1024);
  });

  it('formats sizes and names files', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2 KiB');
    expect(formatBytes(11 * 1024 * 1024)).toBe('11.0 MiB');
    expect(exportFileName('md', new Date('2026-03-04T05:06:07Z'))).toBe('zega-stories-2026-03-04.md');
    expect(exportFileName('jsonl', new Date('2026-03-04T05:06:07Z'))).toBe('zega-stories-2026-03-04.jsonl');
  });
});

describe('deletedMessage', () => {
  it('says what deleting removed besides the story: memory and fine-tuning dataset', () => {
    expect(deletedMessage({ memory: 1, fineTune: 1 })).toBe(
      'Deleted. The story is gone from your library, and from your memory (1 entry) and your fine-tuning dataset (1 example), so your personal model will not learn from it again.',
    );
    expect(deletedMessage({ memory: 1, fineTune: 0 })).toMatch(/and from your memory \(1 entry\), so/);
    expect(deletedMessage({ memory: 0, fineTune: 0 })).toMatch(/in neither your memory nor your fine-tuning dataset/);
  });
});

describe('/stories definition', () => {
  it('has the six subcommands, story options with autocomplete and all 25 genres as choices', () => {
    const subs = stories.data.options ?? [];
    expect(subs.map((s) => s.name)).toEqual(['list', 'view', 'edit', 'share', 'delete', 'export']);
    const json = JSON.stringify(stories.data);
    expect(json.length).toBeLessThan(8000);
    const list = subs[0] as { options?: { name: string; choices?: unknown[] }[] };
    expect(list.options?.find((o) => o.name === 'genre')?.choices).toHaveLength(25);
    for (const sub of subs.slice(1, 5) as { options?: { name: string; autocomplete?: boolean; required?: boolean }[] }[]) {
      expect(sub.options?.[0]).toMatchObject({ name: 'story', autocomplete: true, required: true });
    }
    expect(stories.scopes).toEqual(['stories']);
  });
});
