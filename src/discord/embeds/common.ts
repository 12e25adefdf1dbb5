/** Pieces shared by the embed builders of this folder. */
import { ActionRowBuilder, ButtonBuilder, type MessageActionRowComponentBuilder } from '@discordjs/builders';
import type { APIEmbed, APIMessageComponentEmoji, ButtonStyle } from 'discord.js';
import { GENRES, type Genre } from '../../trainer/genres.ts';
import { formatQuality, starRating } from '../format.ts';
import { ELLIPSIS, fitEmbeds, LIMITS, truncate, userText, type MessageComponents } from '../limits.ts';

export const COLORS = {
  brand: 0x5865f2,
  success: 0x57f287,
  warning: 0xfee75c,
  danger: 0xed4245,
  neutral: 0x99aab5,
} as const;

/** What every builder here returns: ready for `reply`, `editReply`, `update` or `message.edit`. */
export interface MessagePayload {
  embeds: APIEmbed[];
  components: MessageComponents;
}

export function toPayload(embeds: APIEmbed[], rows: ActionRowBuilder<MessageActionRowComponentBuilder>[]): MessagePayload {
  return {
    embeds: fitEmbeds(embeds),
    components: rows.slice(0, LIMITS.message.actionRows).map((row) => row.toJSON()),
  };
}

export function button(opts: {
  customId: string;
  label: string;
  style: ButtonStyle;
  emoji?: string;
  disabled?: boolean;
}): ButtonBuilder {
  const b = new ButtonBuilder()
    .setCustomId(opts.customId)
    .setLabel(truncate(opts.label, LIMITS.component.buttonLabel))
    .setStyle(opts.style)
    .setDisabled(opts.disabled ?? false);
  if (opts.emoji) b.setEmoji({ name: opts.emoji } satisfies APIMessageComponentEmoji);
  return b;
}

export function row(...components: MessageActionRowComponentBuilder[]): ActionRowBuilder<MessageActionRowComponentBuilder> {
  return new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(
    components.slice(0, LIMITS.component.buttonsPerRow),
  );
}

/** `<@id>` for a snowflake; anything else is shown as escaped text, so it can never form markup. */
export function mention(userId: string): string {
  return /^\d{1,20}$/.test(userId) ? `<@${userId}>` : userText(userId, 40);
}

/** Longest model id shown in lists; longer ids (custom rosters allow 63, tests try 100) are cut. */
export const MODEL_LABEL_MAX = 40;

/** A teacher id for display: Markdown-escaped and cut to `max`. */
export function modelLabel(id: string, max = MODEL_LABEL_MAX): string {
  return userText(id, max);
}

/**
 * Lines joined by `\n` up to `max` characters; when some do not fit, the last line says how many
 * were left out (`…and 3 more`).
 */
export function joinLinesWithin(lines: readonly string[], max: number, more = (n: number) => `${ELLIPSIS}and ${n} more`): string {
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = truncate(lines[i] ?? '', max);
    const left = lines.length - i - 1;
    const tail = left > 0 ? more(left).length + 1 : 0;
    const cost = (out.length > 0 ? 1 : 0) + line.length;
    if (used + cost + tail > max) {
      const note = more(lines.length - i);
      if (used + (out.length > 0 ? 1 : 0) + note.length <= max) out.push(note);
      break;
    }
    out.push(line);
    used += cost;
  }
  return out.join('\n');
}

/**
 * Genre counts on one compact line, most first (ties in display order): `Horror 4 · Comedy 2 · …`.
 * Fits in `max` (a field value, 1024, by default) even with all 25 genres; `"–"` when empty.
 */
export function genreCountsLine(counts: Partial<Record<Genre, number>>, max: number = LIMITS.embed.fieldValue): string {
  const entries = GENRES.map((g) => [g, counts[g] ?? 0] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return '–';
  const parts: string[] = [];
  let used = 0;
  for (let i = 0; i < entries.length; i++) {
    const [genre, n] = entries[i] ?? ['', 0];
    const part = `${genre} **${n}**`;
    const rest = entries.length - i - 1;
    const reserve = rest > 0 ? ` · +${rest} more`.length : 0;
    if (used + (parts.length > 0 ? 3 : 0) + part.length + reserve > max) {
      parts.push(`+${entries.length - i} more`);
      break;
    }
    used += (parts.length > 0 ? 3 : 0) + part.length;
    parts.push(part);
  }
  return parts.join(' · ');
}

export interface ModelRow {
  model: string;
  wins: number;
  averageQuality: number;
  /** Average story score of the wins (storyScore.ts), when known. */
  averageStoryQuality?: number;
  /** Wins ÷ examples the model took part in (examples it was skipped in do not count). */
  winRate?: number;
  calls?: number;
  /** Examples it was not asked in for lack of quota (skipped, not failed). */
  skipped?: number;
  /** Why it is out of the run, if it is. */
  out?: string;
}

/** Most wins first, then the higher average quality, then the id, so equal rows keep one order. */
export function compareModelRows(a: ModelRow, b: ModelRow): number {
  return b.wins - a.wins || b.averageQuality - a.averageQuality || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0);
}

const MEDALS = ['🥇', '🥈', '🥉'];

/** `🥇 **model** — 5 wins · avg 8.42 ★★★☆☆ · story 6.10` and the like, for one ranked row. */
export function modelRowLine(rank: number, row: ModelRow): string {
  const badge = MEDALS[rank - 1] ?? `\`${String(rank).padStart(2, ' ')}.\``;
  const parts = [`${row.wins} ${row.wins === 1 ? 'win' : 'wins'}`];
  if (row.winRate !== undefined) parts.push(`${Math.round(row.winRate * 100)}% win rate`);
  parts.push(row.wins > 0 ? `avg ${formatQuality(row.averageQuality)} ${starRating(row.averageQuality)}` : 'avg –');
  if (row.wins > 0 && row.averageStoryQuality !== undefined) parts.push(`story ${formatQuality(row.averageStoryQuality)}`);
  if (row.calls !== undefined) parts.push(`${row.calls} calls`);
  if (row.skipped) parts.push(`${row.skipped} skipped`);
  if (row.out) parts.push(`out: ${userText(row.out, 120)}`);
  return `${badge} **${modelLabel(row.model)}** — ${parts.join(' · ')}`;
}
