/**
 * /stories — the caller's own library: list (paged, private), view, edit (modal), share (public),
 * delete (with confirmation) and export. Every store call passes the caller's user id, and the
 * store answers "not found" for anyone else's story, so nobody ever sees or changes another
 * user's story. Component and modal ids carry the owner's user id as their token (the router
 * refuses presses by anyone else) and the story id as their extra.
 */
import { LabelBuilder, ModalBuilder, SlashCommandBuilder, TextInputBuilder } from '@discordjs/builders';
import {
  ButtonStyle,
  MessageFlags,
  TextInputStyle,
  type APIEmbed,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type MessageComponentInteraction,
  type ModalSubmitInteraction,
  type RepliableInteraction,
} from 'discord.js';
import { NO_MENTIONS, replyPrivately } from '../discord/replies.ts';
import { customId, type ParsedCustomId } from '../discord/customId.ts';
import { button, row, type MessagePayload } from '../discord/embeds/common.ts';
import {
  parseListState,
  STORIES_PER_PAGE,
  storyEmbeds,
  storyListEmbed,
  type StoryListState,
  type StoryView,
} from '../discord/embeds/story.ts';
import { plural } from '../discord/format.ts';
import { fitChoices, LIMITS, truncate, userText, type AutocompleteChoice, type MessageComponents } from '../discord/limits.ts';
import { isStorageError, type ExportFormat, type Story, type StoryDeletion, type StorySummary } from '../storage/index.ts';
import { MAX_TITLE } from '../storage/stories.ts';
import { GENRES, isGenre, type Genre } from '../trainer/genres.ts';
import { SAVE_THRESHOLD, thresholdText } from '../trainer/types.ts';
import { COMMAND_CONTEXTS, COMMAND_INTEGRATION_TYPES, type Command, type CommandContext } from './types.ts';

const SCOPE = 'stories';

/** Actions of the `stories` scope (prev/next/open are also put on the list by storyListEmbed). */
export const STORY_ACTIONS = {
  prev: 'prev',
  next: 'next',
  open: 'open',
  edit: 'edit',
  share: 'share',
  delete: 'delete',
  deleteYes: 'del-yes',
  deleteNo: 'del-no',
  saveEdit: 'save-edit',
} as const;

/** Discord's longest text input value. */
export const MODAL_TEXT_MAX = 4000;
/** Discord's longest modal title. */
const MODAL_TITLE_MAX = 45;
/** Attachment limit when the interaction does not say (Discord's default for bots). */
export const DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024;
/** Stories fetched per autocomplete page, and how much of the library one answer may scan. */
const AUTOCOMPLETE_PAGE = 25;
const AUTOCOMPLETE_MAX_PAGES = 8;
/** Autocomplete must answer within 3 s; stop scanning well before. */
const AUTOCOMPLETE_BUDGET_MS = 1200;

export const NOT_FOUND = "I can't find that story in your library. Pick one from the suggestions, or see `/stories list`.";

const FIELD_TITLE = 'title';
const FIELD_TEXT = 'text';

// ——— command definition ———

const genreChoices = GENRES.map((g) => ({ name: g, value: g }));

const data = new SlashCommandBuilder()
  .setName('stories')
  .setDescription('Your saved stories: list, read, edit, share, delete, export')
  .setContexts(...COMMAND_CONTEXTS)
  .setIntegrationTypes(...COMMAND_INTEGRATION_TYPES)
  .addSubcommand((sub) =>
    sub
      .setName('list')
      .setDescription('List your saved stories (only you see it)')
      .addStringOption((o) => o.setName('genre').setDescription('Only this genre').addChoices(...genreChoices))
      .addStringOption((o) =>
        o.setName('sort').setDescription('Order (default: newest)').addChoices({ name: 'newest first', value: 'newest' }, { name: 'best first', value: 'best' }),
      ),
  )
  .addSubcommand((sub) =>
    sub
      .setName('view')
      .setDescription('Read one of your stories (only you see it)')
      .addStringOption((o) => o.setName('story').setDescription('Start typing its title').setRequired(true).setAutocomplete(true).setMaxLength(100)),
  )
  .addSubcommand((sub) =>
    sub
      .setName('edit')
      .setDescription('Edit the title or text of one of your stories')
      .addStringOption((o) => o.setName('story').setDescription('Start typing its title').setRequired(true).setAutocomplete(true).setMaxLength(100)),
  )
  .addSubcommand((sub) =>
    sub
      .setName('share')
      .setDescription('Post one of your stories in this channel for everyone')
      .addStringOption((o) => o.setName('story').setDescription('Start typing its title').setRequired(true).setAutocomplete(true).setMaxLength(100)),
  )
  .addSubcommand((sub) =>
    sub
      .setName('delete')
      .setDescription('Delete one of your stories (asks first)')
      .addStringOption((o) => o.setName('story').setDescription('Start typing its title').setRequired(true).setAutocomplete(true).setMaxLength(100)),
  )
  .addSubcommand((sub) =>
    sub
      .setName('export')
      .setDescription('Download your whole library as a file (only you see it)')
      .addStringOption((o) =>
        o
          .setName('format')
          .setDescription('File format (default: Markdown)')
          .addChoices({ name: 'Markdown (.md)', value: 'md' }, { name: 'JSON lines (.jsonl)', value: 'jsonl' }),
      ),
  );

// ——— pure helpers (unit-tested) ———

export function toStoryView(story: Story): StoryView {
  return {
    id: story.id,
    title: story.title,
    genre: story.genre,
    text: story.text,
    finalQuality: story.finalQuality,
    ...(story.storyQuality !== undefined ? { storyQuality: story.storyQuality } : {}),
    teacherId: story.winner.teacherId,
    createdAt: story.createdAt,
    prompt: story.prompt,
    style: story.style,
  };
}

type ChoiceSource = Pick<StorySummary, 'id' | 'title' | 'genre' | 'finalQuality'>;

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** `Title · Genre · 8.42`, at most 100 characters (the title gives way). */
export function storyChoiceName(story: ChoiceSource): string {
  const suffix = ` · ${story.genre} · ${Number.isFinite(story.finalQuality) ? story.finalQuality.toFixed(2) : '–'}`;
  const title = squash(story.title) || 'Untitled story';
  return `${truncate(title, LIMITS.autocomplete.choiceName - suffix.length)}${suffix}`;
}

/**
 * Autocomplete choices over the user's stories: those whose title contains every typed word (case
 * and accents ignored) or whose id starts with the typed text; titles starting with the typed
 * text first, then in the given order. Values are story ids. At most 25.
 */
export function filterStoryChoices(stories: readonly ChoiceSource[], typed: string): AutocompleteChoice[] {
  const needle = fold(typed);
  const words = needle.split(' ').filter(Boolean);
  const raw = typed.trim();
  const scored: { story: ChoiceSource; rank: number; order: number }[] = [];
  stories.forEach((story, order) => {
    const title = fold(story.title);
    if (raw !== '' && story.id === raw) scored.push({ story, rank: 0, order });
    else if (words.length === 0) scored.push({ story, rank: 2, order });
    else if (title.startsWith(needle)) scored.push({ story, rank: 1, order });
    else if (words.every((w) => title.includes(w))) scored.push({ story, rank: 2, order });
    else if (raw.length >= 4 && story.id.startsWith(raw)) scored.push({ story, rank: 3, order });
  });
  scored.sort((a, b) => a.rank - b.rank || a.order - b.order);
  const seen = new Set<string>();
  const choices: AutocompleteChoice[] = [];
  for (const { story } of scored) {
    if (seen.has(story.id)) continue;
    seen.add(story.id);
    choices.push({ name: storyChoiceName(story), value: story.id });
  }
  return fitChoices(choices);
}

/** Lower case, accents removed, runs of whitespace as one space. */
function fold(text: string): string {
  return squash(text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase());
}

export type EditCheck = { ok: true; title: string; text: string } | { ok: false; error: string };

/** What a submitted edit form must satisfy before anything is written. */
export function validateEdit(title: string, text: string): EditCheck {
  const t = squash(title);
  const body = text.trim();
  if (t === '' && body === '') return { ok: false, error: 'The title and the text are both empty, so I changed nothing.' };
  if (t === '') return { ok: false, error: 'The title is empty, so I changed nothing. A story needs a title.' };
  if (body === '') return { ok: false, error: 'The text is empty, so I changed nothing. To remove the story, use `/stories delete`.' };
  if (t.length > MAX_TITLE) return { ok: false, error: `The title has ${t.length} characters; at most ${MAX_TITLE} fit. I changed nothing.` };
  if (body.length > MODAL_TEXT_MAX) return { ok: false, error: `The text has ${body.length} characters; at most ${MODAL_TEXT_MAX} fit here. I changed nothing.` };
  return { ok: true, title: t, text: body };
}

/** Why a story cannot be edited in Discord's form, or undefined when it can. */
export function editRefusal(story: Pick<Story, 'text'>): string | undefined {
  const length = story.text.trim().length;
  if (length <= MODAL_TEXT_MAX) return undefined;
  return (
    `This story has ${length.toLocaleString('en-US')} characters, and Discord's edit form holds at most ${MODAL_TEXT_MAX.toLocaleString('en-US')}. ` +
    "I won't cut your story to fit, so it stays as it is. To work on it, download it with `/stories export` and edit your own copy."
  );
}

/** Bytes as `1.2 MiB`, `840 KiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${bytes} B`;
}

/** The attachment limit of this interaction (Discord sends it; older payloads may not). */
export function attachmentLimit(value: number | null | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : DEFAULT_ATTACHMENT_LIMIT;
}

export function exportFileName(format: ExportFormat, now = new Date()): string {
  return `zega-stories-${now.toISOString().slice(0, 10)}.${format}`;
}

/** The list state carried by a page button, or page 1 newest when it cannot be read. */
export function listStateFrom(extra: string | undefined): StoryListState {
  return (extra === undefined ? undefined : parseListState(extra)) ?? { page: 1, sort: 'newest' };
}

/** A story id as the store writes them (base62); anything else cannot name a story. */
export function looksLikeStoryId(value: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(value);
}

// ——— payloads ———

interface StoryPayload {
  embeds: APIEmbed[];
  components: MessageComponents;
  files?: { attachment: Buffer; name: string }[];
}

/** Edit · Share · Delete under a privately shown story. */
function storyActions(userId: string, storyId: string): MessageComponents {
  return [
    row(
      button({ customId: customId(SCOPE, STORY_ACTIONS.edit, userId, storyId), label: 'Edit', style: ButtonStyle.Secondary, emoji: '✏️' }),
      button({ customId: customId(SCOPE, STORY_ACTIONS.share, userId, storyId), label: 'Share in channel', style: ButtonStyle.Secondary, emoji: '📣' }),
      button({ customId: customId(SCOPE, STORY_ACTIONS.delete, userId, storyId), label: 'Delete', style: ButtonStyle.Danger, emoji: '🗑️' }),
    ).toJSON(),
  ];
}

function storyPayload(story: Story, opts: { shared?: boolean; authorId?: string; actionsFor?: string }): StoryPayload {
  const render = storyEmbeds(toStoryView(story), opts.shared ? { shared: true, ...(opts.authorId ? { authorId: opts.authorId } : {}) } : {});
  const components = opts.actionsFor ? storyActions(opts.actionsFor, story.id) : [];
  if (!render.attachMarkdown) return { embeds: render.embeds, components };
  return { embeds: render.embeds, components, files: [{ attachment: Buffer.from(render.markdown, 'utf8'), name: render.fileName }] };
}

async function listPayload(ctx: CommandContext, userId: string, state: StoryListState): Promise<MessagePayload> {
  const query = { userId, sort: state.sort, pageSize: STORIES_PER_PAGE, ...(state.genre ? { genre: state.genre } : {}) };
  let page = await ctx.runtime.store.stories.list({ ...query, page: state.page });
  // Stories deleted since the buttons were drawn: show the last page that still exists.
  if (page.items.length === 0 && page.total > 0 && state.page > page.pages) page = await ctx.runtime.store.stories.list({ ...query, page: page.pages });
  return storyListEmbed({
    ownerId: userId,
    items: page.items,
    page: page.page,
    pages: page.pages,
    total: page.total,
    sort: state.sort,
    qualityScore: ctx.runtime.config.QUALITY_SCORE,
    ...(state.genre ? { genre: state.genre } : {}),
    ...(page.unreadable > 0 ? { unreadable: page.unreadable } : {}),
  });
}

/** A private message whatever state the interaction is in: a reply, or a follow-up once answered. */
async function sendPrivately(interaction: RepliableInteraction, payload: Omit<StoryPayload, 'components'> & { components?: MessageComponents; content?: string }): Promise<void> {
  const body = { ...payload, allowedMentions: NO_MENTIONS, flags: MessageFlags.Ephemeral as const };
  if (interaction.replied || interaction.deferred) await interaction.followUp(body);
  else await interaction.reply(body);
}

/**
 * The caller's own story list, privately: an ephemeral reply, or an ephemeral follow-up when the
 * interaction was already answered (the results message's "My stories" button).
 */
export async function sendStoryList(
  interaction: RepliableInteraction,
  ctx: CommandContext,
  query: { page: number; sort: 'newest' | 'best'; genre?: Genre },
): Promise<void> {
  const state: StoryListState = { page: Math.max(1, Math.floor(query.page) || 1), sort: query.sort, ...(query.genre ? { genre: query.genre } : {}) };
  await sendPrivately(interaction, await listPayload(ctx, interaction.user.id, state));
}

// ——— subcommands ———

/** The caller's story named by an option value: its id (from the suggestions) or its exact title. */
async function findStory(ctx: CommandContext, userId: string, value: string): Promise<Story | undefined> {
  const typed = value.trim();
  if (typed === '') return undefined;
  if (looksLikeStoryId(typed)) {
    const story = await ctx.runtime.store.stories.get(userId, typed);
    if (story) return story;
  }
  // Typed a title without picking a suggestion: accept it when exactly one recent story has it.
  const recent = await ctx.runtime.store.stories.list({ userId, sort: 'newest', page: 1, pageSize: 100 });
  const wanted = fold(typed);
  const matches = recent.items.filter((s) => fold(s.title) === wanted);
  return matches.length === 1 && matches[0] ? ctx.runtime.store.stories.get(userId, matches[0].id) : undefined;
}

async function storyFromOption(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<Story | undefined> {
  const story = await findStory(ctx, interaction.user.id, interaction.options.getString('story', true));
  if (!story) await replyPrivately(interaction, NOT_FOUND);
  return story;
}

async function list(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const genre = interaction.options.getString('genre');
  const sort = interaction.options.getString('sort') === 'best' ? 'best' : 'newest';
  if (genre !== null && !isGenre(genre)) return replyPrivately(interaction, `I don't know the genre "${userText(genre, 50)}". Pick one from the list.`);
  await sendStoryList(interaction, ctx, { page: 1, sort, ...(genre ? { genre } : {}) });
}

async function view(interaction: RepliableInteraction, ctx: CommandContext, story: Story): Promise<void> {
  await sendPrivately(interaction, storyPayload(story, { actionsFor: interaction.user.id }));
}

async function share(interaction: RepliableInteraction, ctx: CommandContext, story: Story): Promise<void> {
  const payload = storyPayload(story, { shared: true, authorId: interaction.user.id });
  ctx.logger.info({ user: interaction.user.id, story: story.id, channel: interaction.channelId }, 'story shared');
  // Public on purpose; nothing in it may ping (the text's mentions are neutralised as well).
  const body = { ...payload, allowedMentions: NO_MENTIONS };
  if (interaction.replied || interaction.deferred) await interaction.followUp(body);
  else await interaction.reply(body);
}

function editModal(userId: string, story: Story): ModalBuilder {
  const title = squash(story.title).slice(0, MAX_TITLE);
  const titleInput = new TextInputBuilder()
    .setCustomId(FIELD_TITLE)
    .setStyle(TextInputStyle.Short)
    .setRequired(true)
    .setMinLength(1)
    .setMaxLength(MAX_TITLE);
  if (title) titleInput.setValue(title);
  const textInput = new TextInputBuilder()
    .setCustomId(FIELD_TEXT)
    .setStyle(TextInputStyle.Paragraph)
    .setRequired(true)
    .setMinLength(1)
    .setMaxLength(MODAL_TEXT_MAX)
    .setValue(story.text.trim());
  return new ModalBuilder()
    .setCustomId(customId(SCOPE, STORY_ACTIONS.saveEdit, userId, story.id))
    .setTitle(truncate(`Edit: ${squash(story.title) || 'story'}`, MODAL_TITLE_MAX))
    .addLabelComponents(
      new LabelBuilder().setLabel('Title').setTextInputComponent(titleInput),
      new LabelBuilder().setLabel('Story').setDescription(`At most ${MODAL_TEXT_MAX} characters.`).setTextInputComponent(textInput),
    );
}

/** The edit form, or a private refusal when the story is longer than the form holds. */
async function openEditor(interaction: RepliableInteraction & { showModal(modal: ModalBuilder): Promise<unknown> }, story: Story): Promise<void> {
  const refusal = editRefusal(story);
  if (refusal) return replyPrivately(interaction, refusal);
  await interaction.showModal(editModal(interaction.user.id, story));
}

function deleteConfirmation(userId: string, story: Story): { content: string; components: MessageComponents } {
  return {
    content: `Delete **${userText(squash(story.title) || 'Untitled story', 200)}** from your library? This cannot be undone.`,
    components: [
      row(
        button({ customId: customId(SCOPE, STORY_ACTIONS.deleteYes, userId, story.id), label: 'Delete', style: ButtonStyle.Danger, emoji: '🗑️' }),
        button({ customId: customId(SCOPE, STORY_ACTIONS.deleteNo, userId, story.id), label: 'Keep', style: ButtonStyle.Secondary }),
      ).toJSON(),
    ],
  };
}

/** What deleting a story removed: the story, and what Zega had learned from it. */
export function deletedMessage(deleted: StoryDeletion): string {
  const learned = [
    deleted.memory > 0 ? `your memory (${plural(deleted.memory, 'entry')})` : undefined,
    deleted.fineTune > 0 ? `your fine-tuning dataset (${plural(deleted.fineTune, 'example')})` : undefined,
  ].filter((part): part is string => part !== undefined);
  return learned.length > 0
    ? `Deleted. The story is gone from your library, and from ${learned.join(' and ')}, so your personal model will not learn from it again.`
    : 'Deleted. The story is gone from your library (it was in neither your memory nor your fine-tuning dataset).';
}

async function askDelete(interaction: RepliableInteraction, story: Story): Promise<void> {
  await sendPrivately(interaction, { embeds: [], ...deleteConfirmation(interaction.user.id, story) });
}

async function exportLibrary(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const userId = interaction.user.id;
  const format: ExportFormat = interaction.options.getString('format') === 'jsonl' ? 'jsonl' : 'md';
  const count = await ctx.runtime.store.stories.count(userId);
  if (count === 0) {
    return replyPrivately(interaction, `Your library is empty, so there is nothing to export yet. Stories with ${thresholdText(ctx.runtime.config.QUALITY_SCORE, SAVE_THRESHOLD)} are saved when you train with \`/autotrain start\`.`);
  }
  // A large library takes a moment to read: acknowledge first (privately).
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const text = await ctx.runtime.store.stories.export(userId, format);
  const bytes = Buffer.byteLength(text, 'utf8');
  const limit = attachmentLimit(interaction.attachmentSizeLimit);
  if (bytes > limit) {
    return replyPrivately(
      interaction,
      `Your library (${plural(count, 'story', 'stories')}, ${formatBytes(bytes)}) is larger than the ${formatBytes(limit)} Discord lets me attach here. ` +
        `Whoever runs this bot can export it with the command line: \`npm run cli -- stories export --user ${userId} --format ${format}\`. ` +
        `You can still read every story with \`/stories view\`.`,
    );
  }
  await interaction.editReply({
    content: `Your library: ${plural(count, 'story', 'stories')} as ${format === 'md' ? 'Markdown' : 'JSON lines'} (${formatBytes(bytes)}).`,
    files: [{ attachment: Buffer.from(text, 'utf8'), name: exportFileName(format) }],
    allowedMentions: NO_MENTIONS,
  });
}

// ——— components and modal ———

async function turnPage(interaction: MessageComponentInteraction, id: ParsedCustomId, ctx: CommandContext): Promise<void> {
  const state = listStateFrom(id.extra);
  await interaction.update({ ...(await listPayload(ctx, interaction.user.id, state)), allowedMentions: NO_MENTIONS });
}

async function storyFromComponent(interaction: MessageComponentInteraction, id: ParsedCustomId, ctx: CommandContext): Promise<Story | undefined> {
  const storyId = interaction.isStringSelectMenu() ? interaction.values[0] : id.extra;
  return storyId && looksLikeStoryId(storyId) ? ctx.runtime.store.stories.get(interaction.user.id, storyId) : undefined;
}

/** The submitted form handed back when it could not be saved, so the user's writing is not lost. */
function draftFiles(storyId: string, title: string, text: string): { attachment: Buffer; name: string }[] {
  if (text.trim() === '' && title.trim() === '') return [];
  const body = `${title.trim() ? `# ${squash(title)}\n\n` : ''}${text.trim()}\n`;
  return [{ attachment: Buffer.from(body, 'utf8'), name: `draft-${storyId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)}.md` }];
}

function fieldValue(interaction: ModalSubmitInteraction, name: string): string {
  try {
    return interaction.fields.getTextInputValue(name);
  } catch {
    return '';
  }
}

async function saveEdit(interaction: ModalSubmitInteraction, id: ParsedCustomId, ctx: CommandContext): Promise<void> {
  const userId = interaction.user.id;
  const title = fieldValue(interaction, FIELD_TITLE);
  const text = fieldValue(interaction, FIELD_TEXT);
  const storyId = id.extra ?? '';
  const fail = async (message: string) => {
    const files = draftFiles(storyId || 'story', title, text);
    const note = files.length > 0 ? '\nYour draft is attached, so you can copy it back.' : '';
    await interaction.reply({ content: `${message}${note}`, files, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
  };
  const check = validateEdit(title, text);
  if (!check.ok) return fail(check.error);
  const story = looksLikeStoryId(storyId) ? await ctx.runtime.store.stories.get(userId, storyId) : undefined;
  if (!story) return fail(NOT_FOUND);
  const patch = {
    ...(check.title !== squash(story.title) ? { title: check.title } : {}),
    ...(check.text !== story.text.trim() ? { text: check.text } : {}),
  };
  if (patch.title === undefined && patch.text === undefined) return replyPrivately(interaction, 'Nothing changed, so your story stays as it was.');
  let updated: Story | undefined;
  try {
    updated = await ctx.runtime.store.stories.edit(userId, storyId, patch);
  } catch (err) {
    if (isStorageError(err) && err.code === 'INVALID_INPUT') return fail(`I could not save that: ${err.message} I changed nothing.`);
    throw err;
  }
  if (!updated) return fail(NOT_FOUND);
  const what = [patch.title !== undefined ? 'title' : '', patch.text !== undefined ? 'text' : ''].filter(Boolean).join(' and ');
  await replyPrivately(interaction, `Saved the new ${what} of **${userText(updated.title, 200)}**. See it with \`/stories view\`.`);
}

// ——— the command ———

export const stories: Command = {
  data: data.toJSON(),
  scopes: [SCOPE],

  async execute(interaction, ctx) {
    const sub = interaction.options.getSubcommand();
    if (sub === 'list') return list(interaction, ctx);
    if (sub === 'export') return exportLibrary(interaction, ctx);
    const story = await storyFromOption(interaction, ctx);
    if (!story) return;
    switch (sub) {
      case 'view':
        return view(interaction, ctx, story);
      case 'edit':
        return openEditor(interaction, story);
      case 'share':
        return share(interaction, ctx, story);
      case 'delete':
        return askDelete(interaction, story);
      default:
        return replyPrivately(interaction, 'I do not know that subcommand. Try `/help`.');
    }
  },

  async autocomplete(interaction: AutocompleteInteraction, ctx) {
    const focused = interaction.options.getFocused(true);
    if (focused.name !== 'story') return interaction.respond([]);
    const typed = String(focused.value);
    const userId = interaction.user.id;
    const started = Date.now();
    const seen: StorySummary[] = [];
    let choices: AutocompleteChoice[] = [];
    for (let page = 1; page <= AUTOCOMPLETE_MAX_PAGES; page++) {
      const result = await ctx.runtime.store.stories.list({ userId, sort: 'newest', page, pageSize: AUTOCOMPLETE_PAGE });
      seen.push(...result.items);
      choices = filterStoryChoices(seen, typed);
      // Nothing typed: the newest 25 are the answer. Otherwise scan on while there is room and time.
      if (typed.trim() === '' || choices.length >= LIMITS.autocomplete.choices || page >= result.pages || Date.now() - started > AUTOCOMPLETE_BUDGET_MS) break;
    }
    await interaction.respond(choices);
  },

  async component(interaction, id, ctx) {
    switch (id.action) {
      case STORY_ACTIONS.prev:
      case STORY_ACTIONS.next:
        return turnPage(interaction, id, ctx);
      case STORY_ACTIONS.deleteNo:
        return interaction.update({ content: 'Kept. Your story stays in your library.', embeds: [], components: [], allowedMentions: NO_MENTIONS }).then(() => undefined);
      case STORY_ACTIONS.deleteYes: {
        const storyId = id.extra ?? '';
        const deleted = looksLikeStoryId(storyId) ? await ctx.runtime.store.stories.delete(interaction.user.id, storyId) : undefined;
        const content = deleted ? deletedMessage(deleted) : `${NOT_FOUND} It may already be deleted.`;
        return interaction.update({ content, embeds: [], components: [], allowedMentions: NO_MENTIONS }).then(() => undefined);
      }
      case STORY_ACTIONS.open:
      case STORY_ACTIONS.edit:
      case STORY_ACTIONS.share:
      case STORY_ACTIONS.delete: {
        const story = await storyFromComponent(interaction, id, ctx);
        if (!story) return replyPrivately(interaction, NOT_FOUND);
        if (id.action === STORY_ACTIONS.open) return view(interaction, ctx, story);
        if (id.action === STORY_ACTIONS.edit) return openEditor(interaction, story);
        if (id.action === STORY_ACTIONS.share) return share(interaction, ctx, story);
        return askDelete(interaction, story);
      }
      default:
        return replyPrivately(interaction, 'These buttons belong to an older version of Zega. Run `/stories list` again.');
    }
  },

  async modal(interaction, id, ctx) {
    if (id.action === STORY_ACTIONS.saveEdit) return saveEdit(interaction, id, ctx);
    return replyPrivately(interaction, 'This form belongs to an older version of Zega. Run `/stories edit` again.');
  },
};
