/**
 * /write prompt:<text> [genre] — a story from the caller's personal model (or, without one, the
 * teacher that wins most for them in the genre, with their best settings), with the most relevant
 * stories of their memory as style examples. The story comes with Save (to the caller's library)
 * and Regenerate; the buttons carry `<userId>-<random>` as token, so only the caller can press
 * them (the router checks). Drafts live on the store's key-value state for DRAFT_TTL_MS (see
 * buttonState.ts): they survive a restart, and any bot process can serve the buttons.
 */
import { randomBytes } from 'node:crypto';
import { SlashCommandBuilder } from '@discordjs/builders';
import { MessageFlags, type ButtonInteraction, type AnySelectMenuInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { NO_MENTIONS, replyPrivately } from '../discord/replies.ts';
import { userText } from '../discord/limits.ts';
import { personalFor } from '../personal/runtime.ts';
import { busyComponents, WRITE_ACTIONS, WRITE_SCOPE, writeMessage, writeTitle, type WriteView } from '../discord/embeds/personal.ts';
import { MAX_PROMPT, writeStory, type WriteOutcome } from '../personal/writer.ts';
import { textQuality } from '../trainer/scoring.ts';
import { storyQuality } from '../trainer/storyScore.ts';
import { GENRES, isGenre, type Genre } from '../trainer/genres.ts';
import type { ParsedCustomId } from '../discord/customId.ts';
import { stateKeys } from '../storage/state.ts';
import { ButtonState } from './buttonState.ts';
import { COMMAND_CONTEXTS, COMMAND_INTEGRATION_TYPES, type Command, type CommandContext } from './types.ts';

/** How long Save and Regenerate keep working after the story was written. */
export const DRAFT_TTL_MS = 6 * 60 * 60_000;
/** The run id stories saved from /write carry. */
export const WRITE_RUN_ID = 'write';

export const EXPIRED = 'This story has expired (Save and Regenerate work for 6 hours after it was written), so I cannot save or rewrite it. Run `/write` again.';

interface Draft extends WriteView {
  guildId?: string;
  /** The genre the user chose (Regenerate keeps it open when they chose none). */
  genre?: Genre;
  createdAt: number;
}

/**
 * What a button press of this process is doing to a draft right now (by token): a second press
 * meanwhile is refused, not repeated. Discord delivers a message's presses to the process (shard)
 * that serves its guild or DM, so this guard lives in the process; the draft itself does not.
 */
const busy = new Map<string, 'saving' | 'writing'>();

const BUSY_REPLY = {
  saving: 'I am saving it right now.',
  writing: 'I am still writing the new version. Save it once it is shown.',
} as const;

const STORAGE_TROUBLE = 'I could not read or write your data just now (a storage problem on my side, logged for the bot’s owner). Please try again in a moment.';

/** A /write call that failed, told privately: the deferred public "thinking…" message goes away. */
async function failPrivately(interaction: ChatInputCommandInteraction, content: string): Promise<void> {
  // A follow-up while the deferred reply is loading would replace it publicly; delete it first.
  await interaction.deleteReply();
  await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
}

/** Runs the writer; a failing model or store is logged in full and told to the user in a friendly line. */
async function writeLogged(request: Parameters<typeof writeStory>[0], ctx: CommandContext): Promise<WriteOutcome | { ok: false; message: string; storage: true }> {
  let outcome: WriteOutcome;
  try {
    outcome = await writeStory(request, personalFor(ctx.runtime).writer);
  } catch (err) {
    ctx.logger.error({ err, user: request.userId }, '/write: storage error');
    return { ok: false, message: STORAGE_TROUBLE, storage: true };
  }
  const problems = outcome.ok ? outcome.result.problems : outcome.problems;
  if (problems.length > 0) ctx.logger.warn({ user: request.userId, problems }, outcome.ok ? '/write: some models failed before one wrote' : '/write: no model could write');
  return outcome;
}

export const drafts = new ButtonState<Draft>(stateKeys.draft, DRAFT_TTL_MS, 'draft:');

/** Forgets which presses are under way (tests). */
export function clearDrafts(): void {
  busy.clear();
}

const data = new SlashCommandBuilder()
  .setName('write')
  .setDescription('Write a story with your personal model, in the style of your best stories')
  .setContexts(...COMMAND_CONTEXTS)
  .setIntegrationTypes(...COMMAND_INTEGRATION_TYPES)
  .addStringOption((o) => o.setName('prompt').setDescription('What the story is about').setRequired(true).setMinLength(3).setMaxLength(MAX_PROMPT))
  .addStringOption((o) =>
    o
      .setName('genre')
      .setDescription('Genre (default: from your memory or your favourite)')
      .addChoices(...GENRES.map((g) => ({ name: g, value: g }))),
  );

async function runWrite(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const userId = interaction.user.id;
  const prompt = interaction.options.getString('prompt', true).trim();
  const genreOption = interaction.options.getString('genre');
  if (prompt.length < 3) return replyPrivately(interaction, 'Tell me what the story is about: the prompt needs a few words.');
  if (genreOption !== null && !isGenre(genreOption)) return replyPrivately(interaction, `I don't know the genre "${userText(genreOption, 50)}". Pick one from the list.`);
  const genre = genreOption ?? undefined;

  // A model takes seconds to write: acknowledge within Discord's 3 s first.
  await interaction.deferReply();
  const outcome = await writeLogged({ userId, prompt, ...(genre ? { genre } : {}) }, ctx);
  if (!outcome.ok) return failPrivately(interaction, outcome.message);
  const now = Date.now();
  const token = `${userId}-${randomBytes(6).toString('base64url')}`;
  const draft: Draft = {
    ownerId: userId,
    token,
    prompt,
    result: outcome.result,
    attempt: 0,
    createdAt: now,
    ...(genre ? { genre } : {}),
    ...(interaction.guildId ? { guildId: interaction.guildId } : {}),
  };
  await drafts.set(ctx.runtime.store.state, userId, token, draft);
  await interaction.editReply({ ...writeMessage(draft), allowedMentions: NO_MENTIONS });
  await drafts.sweep(ctx.runtime.store.state).catch((err: unknown) => ctx.logger.warn({ err }, '/write: could not sweep expired drafts'));
}

const alreadySaved = (saved: NonNullable<Draft['saved']>) => `Already saved as **${userText(saved.title, 200)}**. See it with \`/stories view\`.`;

async function save(interaction: ButtonInteraction | AnySelectMenuInteraction, draft: Draft, ctx: CommandContext): Promise<void> {
  if (draft.saved) return replyPrivately(interaction, alreadySaved(draft.saved));
  const pressed = busy.get(draft.token);
  if (pressed) return replyPrivately(interaction, BUSY_REPLY[pressed]);
  // Set before the first await: a second Save pressed while this one is saving is refused, not saved twice.
  busy.set(draft.token, 'saving');
  try {
    // Read again under the guard: a press that finished since this one read the draft has saved it.
    const current = (await drafts.get(ctx.runtime.store.state, draft.ownerId, draft.token)) ?? draft;
    if (current.saved) return replyPrivately(interaction, alreadySaved(current.saved));
    await saveDraft(interaction, current, ctx);
  } finally {
    busy.delete(draft.token);
  }
}

async function saveDraft(interaction: ButtonInteraction | AnySelectMenuInteraction, draft: Draft, ctx: CommandContext): Promise<void> {
  const { result } = draft;
  const quality = textQuality(result.text);
  const story = await ctx.runtime.store.stories.save({
    userId: draft.ownerId,
    ...(draft.guildId ? { guildId: draft.guildId } : {}),
    title: writeTitle(draft),
    genre: result.genre,
    prompt: draft.prompt,
    style: '',
    text: result.text,
    // One writer, no vote: the text quality is the only score, and there is no ensemble confidence.
    finalQuality: quality,
    textQuality: quality,
    storyQuality: storyQuality(result.text, { prompt: draft.prompt }),
    confidence: 0,
    winner: { teacherId: result.teacherId, settings: result.settings },
    runId: WRITE_RUN_ID,
    autoGenerated: true,
  });
  draft.saved = { storyId: story.id, title: story.title };
  // Before telling anyone: a later press (in any process) finds it saved.
  await drafts.set(ctx.runtime.store.state, draft.ownerId, draft.token, draft);
  const { embeds, components } = writeMessage(draft);
  await interaction.update({ embeds, components, allowedMentions: NO_MENTIONS });
  await interaction.followUp({
    content: `Saved to your library as **${userText(story.title, 200)}**. See it with \`/stories view\`.`,
    flags: MessageFlags.Ephemeral,
    allowedMentions: NO_MENTIONS,
  });
}

async function regenerate(interaction: ButtonInteraction | AnySelectMenuInteraction, draft: Draft, ctx: CommandContext): Promise<void> {
  const pressed = busy.get(draft.token);
  if (pressed) return replyPrivately(interaction, pressed === 'writing' ? 'I am already writing a new version.' : BUSY_REPLY.saving);
  busy.set(draft.token, 'writing');
  try {
    // Acknowledge at once with the buttons disabled; the new story replaces the old one.
    await interaction.update({ components: busyComponents(draft), allowedMentions: NO_MENTIONS });
    const outcome = await writeLogged({ userId: draft.ownerId, prompt: draft.prompt, ...(draft.genre ? { genre: draft.genre } : {}) }, ctx);
    if (!outcome.ok) {
      await interaction.editReply({ components: writeMessage(draft).components, allowedMentions: NO_MENTIONS });
      await interaction.followUp({ content: `${outcome.message} The story above is unchanged.`, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
      return;
    }
    draft.result = outcome.result;
    draft.attempt = (draft.attempt ?? 0) + 1;
    delete draft.saved;
    draft.createdAt = Date.now();
    await drafts.set(ctx.runtime.store.state, draft.ownerId, draft.token, draft);
    const payload = writeMessage(draft);
    await interaction.editReply({ embeds: payload.embeds, components: payload.components, files: payload.files ?? [], attachments: [], allowedMentions: NO_MENTIONS });
  } finally {
    busy.delete(draft.token);
  }
}

export const write: Command = {
  data: data.toJSON(),
  scopes: [WRITE_SCOPE],

  async execute(interaction, ctx) {
    return runWrite(interaction, ctx);
  },

  async component(interaction, id: ParsedCustomId, ctx) {
    // The router lets only the owner press: the presser's id is the owner's.
    const draft = await drafts.get(ctx.runtime.store.state, interaction.user.id, id.token);
    if (!draft) return replyPrivately(interaction, EXPIRED);
    if (id.action === WRITE_ACTIONS.save) return save(interaction, draft, ctx);
    if (id.action === WRITE_ACTIONS.regenerate) return regenerate(interaction, draft, ctx);
    return replyPrivately(interaction, 'These buttons belong to an older version of Zega. Run `/write` again.');
  },
};
