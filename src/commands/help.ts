/**
 * /help — a short private guide: every command, the teachers this bot has enabled, and the
 * caller's own figures (saved stories, fine-tuning examples, examples until the next fine-tune).
 */
import { EmbedBuilder, SlashCommandBuilder } from '@discordjs/builders';
import { MessageFlags, type APIEmbed } from 'discord.js';
import { NO_MENTIONS } from '../discord/replies.ts';
import { COLORS, joinLinesWithin, modelLabel } from '../discord/embeds/common.ts';
import { formatCount, plural } from '../discord/format.ts';
import { fitEmbeds, LIMITS, userText } from '../discord/limits.ts';
import { SAVE_THRESHOLD, thresholdText, type QualityScore } from '../trainer/types.ts';
import { personalFor } from '../personal/runtime.ts';
import { COMMAND_CONTEXTS, COMMAND_INTEGRATION_TYPES, type Command } from './types.ts';

const data = new SlashCommandBuilder().setName('help').setDescription('How Zega works, its commands and your figures').setContexts(...COMMAND_CONTEXTS).setIntegrationTypes(...COMMAND_INTEGRATION_TYPES);

export const COMMAND_GUIDE: readonly (readonly [string, string])[] = [
  ['/autotrain start', 'Open the training panel: pick examples, genres and options, then press Start. The 7 teachers write, vote, and your model learns from the best.'],
  ['/autotrain status', 'Your current or last training run.'],
  ['/write', 'Write a story with your personal model (built every 50 fine-tuning examples), in the style of your best stories. Save it or regenerate it.'],
  ['/finetune status', 'Your fine-tune rounds, the next one, your personal model and its best parameters. Only you see it.'],
  ['/finetune export', 'Download your dataset: SFT chat lines, Alpaca, or DPO preference pairs.'],
  ['/stories list', 'Your saved stories, 5 a page, by genre and newest or best. Only you see it.'],
  ['/stories view', 'Read one of your stories (start typing its title).'],
  ['/stories edit', 'Change the title or text of one of your stories.'],
  ['/stories share', 'Post one of your stories in the channel for everyone.'],
  ['/stories delete', 'Delete one of your stories (asks first).'],
  ['/stories export', 'Download your whole library as Markdown or JSON lines.'],
  ['/leaderboard', 'Which teacher models win most (global, this server or only you), and the top trainers here.'],
  ['/forget', 'Erase everything Zega keeps about you, personal model included (asks first).'],
  ['/help', 'This guide.'],
];

export interface HelpInput {
  teachers: readonly { id: string; provider: string }[];
  /** Teachers of the roster that are not enabled (their provider is not configured). */
  disabled: readonly { id: string; provider: string }[];
  stories: number;
  fineTune: { total: number; untilNext: number; due: boolean; every: number };
  /** Which score decides the thresholds (QUALITY_SCORE). */
  qualityScore: QualityScore;
}

export function helpEmbed(input: HelpInput): APIEmbed {
  const commands = COMMAND_GUIDE.map(([name, what]) => `\`${name}\` — ${what}`).join('\n');
  const teacherLines = input.teachers.map((t) => `• **${modelLabel(t.id)}** (${userText(t.provider, 20)})`);
  const teachers =
    input.teachers.length === 0
      ? 'None is enabled yet: whoever runs this bot needs to add at least one provider key.'
      : joinLinesWithin(
          [
            ...teacherLines,
            ...(input.disabled.length > 0 ? [`*Not enabled here: ${input.disabled.map((t) => modelLabel(t.id)).join(', ')}*`] : []),
          ],
          LIMITS.embed.fieldValue,
        );
  const { total, untilNext, due, every } = input.fineTune;
  const next = due ? 'a fine-tune round is due now' : `${plural(untilNext, 'example')} until the next fine-tune (every ${every})`;
  const mine = [
    `📚 ${plural(input.stories, 'saved story', 'saved stories')} (kept when a story has ${thresholdText(input.qualityScore, SAVE_THRESHOLD)})`,
    `🧠 ${formatCount(total)} fine-tuning ${total === 1 ? 'example' : 'examples'} · ${next}`,
  ].join('\n');
  const embed = new EmbedBuilder()
    .setTitle('Zega — your personal story model')
    .setColor(COLORS.brand)
    .setDescription(
      `Zega trains a story-writing model just for you. Teacher models write stories for the same prompt, vote on the best, and the good ones become your training data and your library.\n\n${commands}`,
    )
    .addFields(
      { name: `Teachers on this bot (${input.teachers.length})`, value: teachers },
      { name: 'You', value: mine },
    )
    .setFooter({ text: 'Everything /help, /stories and /autotrain status show is private to you, except what you share.' });
  const [fitted] = fitEmbeds([embed.toJSON()]);
  return fitted ?? { title: 'Zega' };
}

export const help: Command = {
  data: data.toJSON(),
  scopes: [],

  async execute(interaction, ctx) {
    const userId = interaction.user.id;
    const { store, teachers, roster } = ctx.runtime;
    const [stories, status] = await Promise.all([store.stories.count(userId), personalFor(ctx.runtime).fineTune.status(userId)]);
    const enabled = new Set(teachers.map((t) => t.id));
    const embed = helpEmbed({
      teachers: teachers.map((t) => ({ id: t.id, provider: t.provider })),
      disabled: roster.filter((e) => !enabled.has(e.id)).map((e) => ({ id: e.id, provider: e.provider })),
      stories,
      fineTune: { total: status.examples, untilNext: status.untilNext, due: status.due, every: status.every },
      qualityScore: ctx.runtime.config.QUALITY_SCORE,
    });
    await interaction.reply({ embeds: [embed], flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
  },
};
