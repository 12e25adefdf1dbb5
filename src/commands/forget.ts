/**
 * /forget — erase everything Zega keeps about you: stories, runs, your part of the statistics,
 * memory, fine-tuning dataset, fine-tune rounds and your personal model. Asks first (privately);
 * only the user who asked can confirm (the router checks the token), and the answer says what was
 * erased.
 */
import { SlashCommandBuilder } from '@discordjs/builders';
import { ButtonStyle, MessageFlags } from 'discord.js';
import { NO_MENTIONS, replyPrivately } from '../discord/replies.ts';
import { customId } from '../discord/customId.ts';
import { button, row } from '../discord/embeds/common.ts';
import { ollamaConnector } from '../personal/fineTuneRounds.ts';
import { describeErase, eraseUser, type EraseReport } from '../personal/forget.ts';
import { personalFor } from '../personal/runtime.ts';
import { ActiveRunError } from '../runs/types.ts';
import { COMMAND_CONTEXTS, COMMAND_INTEGRATION_TYPES, type Command } from './types.ts';

const SCOPE = 'forget';
export const FORGET_ACTIONS = { yes: 'yes', no: 'no' } as const;

const data = new SlashCommandBuilder()
  .setName('forget')
  .setDescription('Erase everything Zega keeps about you: stories, runs, statistics, memory, dataset, personal model')
  .setContexts(...COMMAND_CONTEXTS)
  .setIntegrationTypes(...COMMAND_INTEGRATION_TYPES);

const RUN_IN_PROGRESS = 'You have a training run in progress. Stop it (or let it finish), then run `/forget` again.';

export const FORGET_WARNING =
  '**Erase everything Zega keeps about you?** Your saved stories, training runs, your part of the leaderboards, your memory, ' +
  'your fine-tuning dataset, your fine-tune rounds and your personal model go, for good. This cannot be undone.';

export const forget: Command = {
  data: data.toJSON(),
  scopes: [SCOPE],

  async execute(interaction) {
    const userId = interaction.user.id;
    await interaction.reply({
      content: FORGET_WARNING,
      components: [
        row(
          button({ customId: customId(SCOPE, FORGET_ACTIONS.yes, userId), label: 'Erase everything', style: ButtonStyle.Danger, emoji: '🗑️' }),
          button({ customId: customId(SCOPE, FORGET_ACTIONS.no, userId), label: 'Keep my data', style: ButtonStyle.Secondary }),
        ).toJSON(),
      ],
      allowedMentions: NO_MENTIONS,
      flags: MessageFlags.Ephemeral,
    });
  },

  async component(interaction, id, ctx) {
    if (id.action === FORGET_ACTIONS.no) {
      await interaction.update({ content: 'Kept. Nothing was erased.', components: [], allowedMentions: NO_MENTIONS });
      return;
    }
    if (id.action !== FORGET_ACTIONS.yes) return replyPrivately(interaction, 'These buttons belong to an older version of Zega. Run `/forget` again.');
    const userId = interaction.user.id;
    if (await ctx.runs.active(userId)) {
      await interaction.update({ content: RUN_IN_PROGRESS, components: [], allowedMentions: NO_MENTIONS });
      return;
    }
    // Removing a personal model from Ollama can take longer than Discord's 3 s.
    await interaction.deferUpdate();
    let report: EraseReport;
    try {
      report = await eraseUser(ctx.runtime.store, ollamaConnector(personalFor(ctx.runtime).settings.ollamaHost), userId, ctx.runs);
    } catch (err) {
      // A run started (from another shard) since the check above: nothing was erased.
      if (!(err instanceof ActiveRunError)) throw err;
      await interaction.editReply({ content: RUN_IN_PROGRESS, components: [], allowedMentions: NO_MENTIONS });
      return;
    }
    const lines = describeErase(report).map((line) => `• ${line}`);
    await interaction.editReply({ content: ['**Erased.** Zega no longer keeps anything about you:', ...lines].join('\n'), components: [], allowedMentions: NO_MENTIONS });
  },
};
