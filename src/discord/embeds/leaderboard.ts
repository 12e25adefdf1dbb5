/** `/leaderboard`: models ranked by wins, and the most active trainers. */
import { EmbedBuilder } from '@discordjs/builders';
import type { APIEmbed } from 'discord.js';
import { formatCount, plural } from '../format.ts';
import { fitEmbeds, LIMITS, userText } from '../limits.ts';
import { COLORS, mention, compareModelRows, joinLinesWithin, modelRowLine, type ModelRow } from './common.ts';

export interface LeaderboardModelRow extends ModelRow {
  /** Share (0–1) of the scope's decided examples this model won. */
  winRate: number;
}

export interface LeaderboardTrainerRow {
  userId: string;
  examples: number;
  stories: number;
}

export interface LeaderboardInput {
  /** May contain user-provided text (a genre, a server name); it is escaped. */
  title: string;
  /** "Global", "This server", "You", … */
  scopeLabel: string;
  rows: LeaderboardModelRow[];
  trainers?: LeaderboardTrainerRow[];
}

/** Most trainers listed; mentions render as names (and never ping inside embeds). */
const MAX_TRAINERS = 10;

export function leaderboardEmbed(input: LeaderboardInput): APIEmbed {
  const rows = [...input.rows].sort(compareModelRows);
  const header = `**Scope:** ${userText(input.scopeLabel, 200)}`;
  const body =
    rows.length === 0
      ? 'No results yet: train with `/autotrain start` to fill the board.'
      : joinLinesWithin(
          rows.map((r, i) => modelRowLine(i + 1, r)),
          LIMITS.embed.description - header.length - 2,
        );
  const embed = new EmbedBuilder()
    .setTitle(userText(input.title, LIMITS.embed.title) || 'Leaderboard')
    .setColor(COLORS.brand)
    .setDescription(`${header}\n\n${body}`);
  const trainers = input.trainers ?? [];
  if (trainers.length > 0) {
    const lines = trainers
      .slice(0, MAX_TRAINERS)
      .map((t, i) => `**${i + 1}.** ${mention(t.userId)} — ${plural(t.examples, 'example')} · ${plural(t.stories, 'story', 'stories')}`);
    embed.addFields({ name: 'Top trainers', value: joinLinesWithin(lines, LIMITS.embed.fieldValue) });
  }
  const totalWins = rows.reduce((sum, r) => sum + r.wins, 0);
  embed.setFooter({ text: `${plural(rows.length, 'model')} · ${formatCount(totalWins)} examples won` });
  const [fitted] = fitEmbeds([embed.toJSON()]);
  return fitted ?? { title: 'Leaderboard' };
}
