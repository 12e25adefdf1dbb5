/**
 * /leaderboard [genre] [scope] — the teacher models ranked by wins (with average quality and win
 * rate) over the whole bot, this server or the caller alone, plus this server's top trainers.
 * Public in a channel (mentions inside embeds never ping, and allowedMentions is empty anyway);
 * the caller's own board and the results message's button answer privately.
 */
import { SlashCommandBuilder } from '@discordjs/builders';
import { MessageFlags, type APIEmbed, type RepliableInteraction } from 'discord.js';
import { NO_MENTIONS, replyPrivately } from '../discord/replies.ts';
import { leaderboardEmbed, type LeaderboardModelRow, type LeaderboardTrainerRow } from '../discord/embeds/leaderboard.ts';
import type { LeaderboardQuery, LeaderboardRow, TrainerRow } from '../storage/index.ts';
import { GENRES, isGenre, type Genre } from '../trainer/genres.ts';
import { COMMAND_CONTEXTS, COMMAND_INTEGRATION_TYPES, type Command, type CommandContext } from './types.ts';

export type BoardScope = 'global' | 'server' | 'me';

/** Trainers listed under a server board. */
const TOP_TRAINERS = 10;

const data = new SlashCommandBuilder()
  .setName('leaderboard')
  .setDescription('Which teacher models win most, and who trains most here')
  .setContexts(...COMMAND_CONTEXTS)
  .setIntegrationTypes(...COMMAND_INTEGRATION_TYPES)
  .addStringOption((o) => o.setName('genre').setDescription('Only examples of this genre').addChoices(...GENRES.map((g) => ({ name: g, value: g }))))
  .addStringOption((o) =>
    o
      .setName('scope')
      .setDescription('Whose results (default: this server, or global in DMs)')
      .addChoices({ name: 'global (everyone)', value: 'global' }, { name: 'this server', value: 'server' }, { name: 'only me (private)', value: 'me' }),
  );

// ——— pure helpers (unit-tested) ———

export interface ResolvedScope {
  scope: BoardScope;
  query: Omit<LeaderboardQuery, 'genre' | 'limit'>;
  /** Shown in the embed. */
  label: string;
  /** Said above the board when the asked scope could not be used. */
  note?: string;
}

/** The store query for a board; `server` outside a server falls back to global with a note. */
export function resolveScope(asked: BoardScope, where: { userId: string; guildId: string | null; guildName?: string | undefined }): ResolvedScope {
  if (asked === 'me') return { scope: 'me', query: { scope: 'user', id: where.userId }, label: 'You (your own runs)' };
  if (asked === 'server') {
    if (where.guildId) return { scope: 'server', query: { scope: 'guild', id: where.guildId }, label: where.guildName ? `This server: ${where.guildName}` : 'This server' };
    return {
      scope: 'global',
      query: { scope: 'global' },
      label: 'Global (every server)',
      note: 'A server leaderboard exists only inside a server, so here is the global one.',
    };
  }
  return { scope: 'global', query: { scope: 'global' }, label: 'Global (every server)' };
}

export function toModelRows(rows: readonly LeaderboardRow[]): LeaderboardModelRow[] {
  return rows.map((r) => ({
    model: r.teacherId,
    wins: r.wins,
    averageQuality: r.averageQuality,
    ...(r.averageStoryQuality !== undefined ? { averageStoryQuality: r.averageStoryQuality } : {}),
    winRate: r.winRate,
    skipped: r.skipped,
  }));
}

/** Trainers as the embed lists them: examples that produced a winning story, and stories kept. */
export function toTrainerRows(rows: readonly TrainerRow[]): LeaderboardTrainerRow[] {
  return rows.map((t) => ({ userId: t.userId, examples: t.successful, stories: t.stories }));
}

export function boardTitle(genre?: Genre): string {
  return genre ? `🏆 Leaderboard · ${genre}` : '🏆 Leaderboard';
}

// ——— building and sending ———

export interface BoardMessage {
  content?: string;
  embeds: APIEmbed[];
}

async function buildBoard(
  ctx: CommandContext,
  where: { userId: string; guildId: string | null; guildName?: string | undefined },
  opts: { scope: BoardScope; genre?: Genre },
): Promise<BoardMessage> {
  const resolved = resolveScope(opts.scope, where);
  const rows = await ctx.runtime.store.stats.leaderboard({ ...resolved.query, ...(opts.genre ? { genre: opts.genre } : {}) });
  // Trainers are a server's: listed with that server's or the global board, never with "me".
  const trainers = where.guildId && resolved.scope !== 'me' ? await ctx.runtime.store.stats.topTrainers(where.guildId, TOP_TRAINERS) : [];
  const embed = leaderboardEmbed({
    title: boardTitle(opts.genre),
    scopeLabel: resolved.label,
    rows: toModelRows(rows),
    trainers: toTrainerRows(trainers),
  });
  return { ...(resolved.note ? { content: resolved.note } : {}), embeds: [embed] };
}

function whereOf(interaction: RepliableInteraction) {
  return { userId: interaction.user.id, guildId: interaction.guildId, guildName: interaction.guild?.name };
}

/**
 * The leaderboard, privately: an ephemeral reply, or an ephemeral follow-up when the interaction
 * was already answered (the results message's "Leaderboard" button).
 */
export async function sendLeaderboard(
  interaction: RepliableInteraction,
  ctx: CommandContext,
  opts: { scope: 'global' | 'server' | 'me'; genre?: Genre },
): Promise<void> {
  const message = await buildBoard(ctx, whereOf(interaction), opts);
  const body = { ...message, allowedMentions: NO_MENTIONS, flags: MessageFlags.Ephemeral as const };
  if (interaction.replied || interaction.deferred) await interaction.followUp(body);
  else await interaction.reply(body);
}

function parseScope(value: string | null, inGuild: boolean): BoardScope {
  if (value === 'global' || value === 'server' || value === 'me') return value;
  return inGuild ? 'server' : 'global';
}

export const leaderboard: Command = {
  data: data.toJSON(),
  scopes: [],

  async execute(interaction, ctx) {
    const genreValue = interaction.options.getString('genre');
    if (genreValue !== null && !isGenre(genreValue)) return replyPrivately(interaction, 'I do not know that genre. Pick one from the list.');
    const genre = genreValue ?? undefined;
    const asked = parseScope(interaction.options.getString('scope'), interaction.guildId !== null);
    if (asked === 'me') return sendLeaderboard(interaction, ctx, { scope: 'me', ...(genre ? { genre } : {}) });
    const message = await buildBoard(ctx, whereOf(interaction), { scope: asked, ...(genre ? { genre } : {}) });
    await interaction.reply({ ...message, allowedMentions: NO_MENTIONS });
  },
};
