/**
 * /finetune status — the countdown to the next fine-tune round, the rounds done, the personal
 * model in effect and the best parameters (privately).
 * /finetune export [format] — the user's dataset as a JSON-lines file (privately): chat-format
 * SFT lines (default), Alpaca, or DPO preference pairs.
 */
import { SlashCommandBuilder } from '@discordjs/builders';
import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import { NO_MENTIONS, replyPrivately } from '../discord/replies.ts';
import { plural } from '../discord/format.ts';
import { DPO_MARGIN, FORMAT_LABELS, datasetFileName, isDatasetFormat, type DatasetFormat } from '../personal/datasets.ts';
import { exportDataset } from '../personal/export.ts';
import { personalFor } from '../personal/runtime.ts';
import { statusMessage } from '../discord/embeds/personal.ts';
import { attachmentLimit, formatBytes } from './stories.ts';
import { COMMAND_CONTEXTS, COMMAND_INTEGRATION_TYPES, type Command, type CommandContext } from './types.ts';
import { FINE_TUNE_THRESHOLD, thresholdText } from '../trainer/types.ts';

const data = new SlashCommandBuilder()
  .setName('finetune')
  .setDescription('Your personal model: fine-tune rounds, best parameters, dataset export')
  .setContexts(...COMMAND_CONTEXTS)
  .setIntegrationTypes(...COMMAND_INTEGRATION_TYPES)
  .addSubcommand((sub) => sub.setName('status').setDescription('Rounds done, the next round, your personal model (only you see it)'))
  .addSubcommand((sub) =>
    sub
      .setName('export')
      .setDescription('Download your fine-tuning dataset as JSON lines (only you see it)')
      .addStringOption((o) =>
        o
          .setName('format')
          .setDescription('Training format (default: SFT chat lines)')
          .addChoices(
            { name: 'SFT chat lines (messages)', value: 'sft' },
            { name: 'Alpaca (instruction, input, output)', value: 'alpaca' },
            { name: 'DPO preference pairs (prompt, chosen, rejected)', value: 'dpo' },
          ),
      ),
  );

async function status(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const current = await personalFor(ctx.runtime).fineTune.status(interaction.user.id);
  await interaction.reply({ ...statusMessage({ status: current, qualityScore: ctx.runtime.config.QUALITY_SCORE }), allowedMentions: NO_MENTIONS, flags: MessageFlags.Ephemeral });
}

/** The message that goes with an export file. */
export function exportSummary(format: DatasetFormat, lines: number, examples: number, bytes: number): string {
  const what =
    format === 'dpo'
      ? `${plural(lines, 'preference pair')} from ${plural(examples, 'example')} (a pair needs a losing candidate at least ${DPO_MARGIN} below the winner)`
      : `${plural(lines, 'example')}`;
  return `Your dataset: ${what}, as ${FORMAT_LABELS[format]} (${formatBytes(bytes)}). How to train with it: see docs/fine-tuning.md.`;
}

async function exportFile(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const userId = interaction.user.id;
  const chosen = interaction.options.getString('format') ?? 'sft';
  if (!isDatasetFormat(chosen)) return replyPrivately(interaction, `I don't know the format "${chosen.slice(0, 20)}". Pick sft, alpaca or dpo.`);
  const format: DatasetFormat = chosen;
  const fineTune = ctx.runtime.store.fineTune;
  const count = await fineTune.count(userId);
  if (count === 0) {
    return replyPrivately(interaction, `You have no fine-tuning examples yet: every example with ${thresholdText(ctx.runtime.config.QUALITY_SCORE, FINE_TUNE_THRESHOLD)} joins your dataset. Train with \`/autotrain start\`.`);
  }
  // Reading a large dataset can take longer than Discord's 3 s: acknowledge first (privately).
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const file = await exportDataset(fineTune, userId, format);
  if (file.lines === 0) {
    return replyPrivately(
      interaction,
      `None of your ${plural(count, 'example')} gives a preference pair yet: a pair needs a losing candidate whose story score is at least ${DPO_MARGIN} below the winner's. Try the SFT format, or train more.`,
    );
  }
  const bytes = Buffer.byteLength(file.text, 'utf8');
  const limit = attachmentLimit(interaction.attachmentSizeLimit);
  if (bytes > limit) {
    return replyPrivately(
      interaction,
      `Your dataset (${formatBytes(bytes)}) is larger than the ${formatBytes(limit)} Discord lets me attach here. ` +
        `Whoever runs this bot can export it with the command line: \`npm run --silent cli -- dataset export --user ${userId} --format ${format}\`.`,
    );
  }
  await interaction.editReply({
    content: exportSummary(format, file.lines, count, bytes),
    files: [{ attachment: Buffer.from(file.text, 'utf8'), name: datasetFileName(format) }],
    allowedMentions: NO_MENTIONS,
  });
}

export const finetune: Command = {
  data: data.toJSON(),
  scopes: [],

  async execute(interaction, ctx) {
    const sub = interaction.options.getSubcommand();
    if (sub === 'status') return status(interaction, ctx);
    if (sub === 'export') return exportFile(interaction, ctx);
    return replyPrivately(interaction, 'I do not know that subcommand. Try `/help`.');
  },
};
