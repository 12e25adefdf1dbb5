/** One story (`/stories view`, `/stories share`) and the paged list of a user's stories. */
import { EmbedBuilder, StringSelectMenuBuilder, StringSelectMenuOptionBuilder } from '@discordjs/builders';
import type { APIEmbed, APIEmbedField } from 'discord.js';
import { ButtonStyle } from 'discord.js';
import { GENRES, type Genre } from '../../trainer/genres.ts';
import { SAVE_THRESHOLD, thresholdText, type QualityScore } from '../../trainer/types.ts';
import { ACTIONS, customId } from '../customId.ts';
import { formatQuality, plural, relativeTime, starRating } from '../format.ts';
import { embedLength, fitEmbeds, LIMITS, neutralizeMentions, splitText, truncate, userText } from '../limits.ts';
import { button, COLORS, mention, modelLabel, row, toPayload, type MessagePayload } from './common.ts';

export interface StoryView {
  id: string;
  title: string;
  genre: Genre;
  text: string;
  finalQuality: number;
  /** Story score (storyScore.ts); absent on stories saved before it existed. */
  storyQuality?: number;
  teacherId: string;
  /** Unix milliseconds. */
  createdAt: number;
  prompt: string;
  style: string;
}

export interface StoryOptions {
  /** Posted in a channel by `/stories share`: adds who shared it. */
  shared?: boolean;
  authorId?: string;
}

/**
 * How to send one story. Either its full text fits in one message (`embeds`, the text split over
 * as many embeds as needed, each description ≤ 4096, all together ≤ 6000 characters), or
 * `attachMarkdown` is set: `embeds` then holds one preview embed, and the caller attaches
 * `markdown` as a file named `fileName`.
 */
export type StoryRender =
  | { attachMarkdown: false; embeds: APIEmbed[] }
  | { attachMarkdown: true; embeds: [APIEmbed]; preview: APIEmbed; markdown: string; fileName: string };

const AUTO_GENERATED = 'Written by an AI teacher (auto-generated)';
/** Prompt and style are context, not the story: kept short so the text gets the room. */
const PROMPT_MAX = 300;
const STYLE_MAX = 150;
/** Characters of the story shown in the preview when the full text is attached. */
const PREVIEW_MAX = 1500;

function metaFields(story: StoryView, opts: StoryOptions): APIEmbedField[] {
  const fields: APIEmbedField[] = [
    { name: 'Genre', value: story.genre, inline: true },
    { name: 'Quality', value: `${formatQuality(story.finalQuality)} ${starRating(story.finalQuality)}`, inline: true },
    ...(story.storyQuality !== undefined ? [{ name: 'Story score', value: formatQuality(story.storyQuality), inline: true }] : []),
    { name: 'Model', value: modelLabel(story.teacherId), inline: true },
    { name: 'Written', value: relativeTime(story.createdAt), inline: true },
  ];
  if (opts.shared && opts.authorId) fields.push({ name: 'Shared by', value: mention(opts.authorId), inline: true });
  if (story.prompt.trim()) fields.push({ name: 'Prompt', value: userText(story.prompt.trim(), PROMPT_MAX) });
  if (story.style.trim()) fields.push({ name: 'Style', value: userText(story.style.trim(), STYLE_MAX) });
  return fields;
}

function storyTitle(story: StoryView): string {
  return userText(story.title.trim() || 'Untitled story', LIMITS.embed.title);
}

function footer(story: StoryView): { text: string } {
  return { text: truncate(`${AUTO_GENERATED} · Story ${story.id}`, LIMITS.embed.footer) };
}

/** Safe for a file name: letters, digits, `_` and `-`. */
export function storyFileName(id: string): string {
  return `story-${id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60) || 'untitled'}.md`;
}

/** The whole story as a Markdown document, for the attachment (and `/stories export`). */
export function storyMarkdown(story: StoryView): string {
  const date = new Date(story.createdAt).toISOString().slice(0, 10);
  const lines = [
    `# ${story.title.trim().replace(/\s+/g, ' ') || 'Untitled story'}`,
    '',
    `*${story.genre} · quality ${formatQuality(story.finalQuality)} ${starRating(story.finalQuality)}${story.storyQuality !== undefined ? ` · story score ${formatQuality(story.storyQuality)}` : ''} · ${story.teacherId} · ${date}*`,
    '',
  ];
  if (story.prompt.trim()) lines.push(`> **Prompt:** ${story.prompt.trim().replace(/\s*\n\s*/g, ' ')}`);
  if (story.style.trim()) lines.push(`> **Style:** ${story.style.trim().replace(/\s*\n\s*/g, ' ')}`);
  if (story.prompt.trim() || story.style.trim()) lines.push('');
  lines.push(story.text.trim(), '', '---', '', `*${AUTO_GENERATED}. Story ${story.id}.*`, '');
  return lines.join('\n');
}

export function storyEmbeds(story: StoryView, opts: StoryOptions = {}): StoryRender {
  // The text is the model's prose: its Markdown (italics, dialogue dashes) renders as written, but
  // mentions are made inert so a shared story cannot address anyone.
  const text = neutralizeMentions(story.text.trim()) || '*(empty story)*';
  const title = storyTitle(story);
  const fields = metaFields(story, opts);
  const foot = footer(story);
  const metaLength = embedLength({ title, fields, footer: foot });
  const room = LIMITS.embed.total - metaLength;

  if (text.length <= room) {
    const chunks = splitText(text, LIMITS.embed.description);
    const embeds: APIEmbed[] = chunks.map((chunk) => ({ color: COLORS.brand, description: chunk }));
    const first = embeds[0];
    const last = embeds[embeds.length - 1];
    if (first && last && embeds.length <= LIMITS.message.embeds) {
      first.title = title;
      last.fields = fields;
      last.footer = foot;
      return { attachMarkdown: false, embeds: fitEmbeds(embeds) };
    }
  }

  const words = text.split(/\s+/).filter(Boolean).length;
  const note = `\n\n📎 *The full story (${plural(words, 'word')}) is attached as a Markdown file.*`;
  const excerpt = splitText(text, PREVIEW_MAX - note.length - 1)[0] ?? '';
  const preview = new EmbedBuilder()
    .setColor(COLORS.brand)
    .setTitle(title)
    .setDescription(`${excerpt}…${note}`)
    .addFields(fields)
    .setFooter(foot)
    .toJSON();
  const [fitted = preview] = fitEmbeds([preview]);
  return { attachMarkdown: true, embeds: [fitted], preview: fitted, markdown: storyMarkdown(story), fileName: storyFileName(story.id) };
}

// ——— the list ———

export type StoryListSort = 'newest' | 'best';

export interface StoryListItem {
  id: string;
  title: string;
  genre: Genre;
  finalQuality: number;
  /** Unix milliseconds. */
  createdAt: number;
}

export interface StoryListView {
  /** Whose list: the token of the page buttons, so a handler can refuse other users' clicks. */
  ownerId: string;
  /** This page's items; only the first STORIES_PER_PAGE are shown. */
  items: StoryListItem[];
  /** 1-based. */
  page: number;
  pages: number;
  total: number;
  genre?: Genre;
  sort: StoryListSort;
  /** Stories of this page that could not be read (said, not hidden). */
  unreadable?: number;
  /** Which score decides the thresholds (QUALITY_SCORE). */
  qualityScore: QualityScore;
}

export const STORIES_PER_PAGE = 5;

export interface StoryListState {
  page: number;
  sort: StoryListSort;
  genre?: Genre;
}

/** `3:best:11` — target page, sort, index of the genre in GENRES (or `all`): the extra of a page button id. */
export function encodeListState(state: StoryListState): string {
  const genre = state.genre === undefined ? 'all' : String(GENRES.indexOf(state.genre));
  return `${state.page}:${state.sort}:${genre}`;
}

export function parseListState(extra: string): StoryListState | undefined {
  const match = /^(\d{1,6}):(newest|best):(all|\d{1,2})$/.exec(extra);
  if (!match) return undefined;
  const page = Number(match[1]);
  const sort = match[2] as StoryListSort;
  if (page < 1) return undefined;
  if (match[3] === 'all') return { page, sort };
  const genre = GENRES[Number(match[3])];
  return genre === undefined ? undefined : { page, sort, genre };
}

const SORT_LABEL: Record<StoryListSort, string> = { newest: 'newest first', best: 'best first' };

export function storyListEmbed(view: StoryListView): MessagePayload {
  const pages = Math.max(1, view.pages);
  const page = Math.min(Math.max(1, view.page), pages);
  const items = view.items.slice(0, STORIES_PER_PAGE);
  const offset = (page - 1) * STORIES_PER_PAGE;

  const filter = view.genre ? ` · ${view.genre}` : '';
  const embed = new EmbedBuilder()
    .setTitle('📚 Your stories')
    .setColor(COLORS.brand)
    .setDescription(
      items.length === 0
        ? view.genre
          ? `No ${view.genre} stories yet.`
          : `No stories yet. Run \`/autotrain start\` with **Save to database** on: stories with ${thresholdText(view.qualityScore, SAVE_THRESHOLD)} are kept here.`
        : `${plural(view.total, 'story', 'stories')}${filter} · ${SORT_LABEL[view.sort]}${
            view.unreadable ? `\n⚠️ ${plural(view.unreadable, 'story', 'stories')} on this page could not be read and ${view.unreadable === 1 ? 'is' : 'are'} not shown.` : ''
          }`,
    )
    .setFooter({ text: `Page ${page} of ${pages} · ${AUTO_GENERATED}` });
  items.forEach((item, i) => {
    embed.addFields({
      name: `${offset + i + 1}. ${userText(item.title.trim() || 'Untitled story', 200)}`,
      value: [
        item.genre,
        `${formatQuality(item.finalQuality)} ${starRating(item.finalQuality)}`,
        relativeTime(item.createdAt),
        `\`${item.id.replace(/`/g, '')}\``,
      ].join(' · '),
    });
  });

  const rows = [];
  if (items.length > 0) {
    rows.push(
      row(
        new StringSelectMenuBuilder()
          .setCustomId(customId('stories', ACTIONS.stories.open, view.ownerId))
          .setPlaceholder('Open a story')
          .addOptions(
            items.map((item, i) =>
              new StringSelectMenuOptionBuilder()
                .setLabel(truncate(`${offset + i + 1}. ${item.title.trim().replace(/\s+/g, ' ') || 'Untitled story'}`, LIMITS.component.selectOptionLabel))
                .setValue(item.id.slice(0, LIMITS.component.selectOptionValue))
                .setDescription(truncate(`${item.genre} · ${formatQuality(item.finalQuality)}`, LIMITS.component.selectOptionDescription)),
            ),
          ),
      ),
    );
  }
  const state = (target: number) => encodeListState({ page: target, sort: view.sort, ...(view.genre ? { genre: view.genre } : {}) });
  rows.push(
    row(
      button({
        customId: customId('stories', ACTIONS.stories.prev, view.ownerId, state(Math.max(1, page - 1))),
        label: 'Previous',
        style: ButtonStyle.Secondary,
        emoji: '◀️',
        disabled: page <= 1,
      }),
      button({
        customId: customId('stories', ACTIONS.stories.next, view.ownerId, state(Math.min(pages, page + 1))),
        label: 'Next',
        style: ButtonStyle.Secondary,
        emoji: '▶️',
        disabled: page >= pages,
      }),
    ),
  );
  return toPayload([embed.toJSON()], rows);
}
