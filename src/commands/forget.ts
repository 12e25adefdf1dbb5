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
import { describeErase, eraseUser } from '../personal/forget.ts';
import { personalFor } from '../personal/runtime.ts';
import { COMMAND_CONTEXTS, COMMAND_INTEGRATION_TYPES, type Command } from './types.ts';

const SCOPE = 'forget';
export const FORGET_ACTIONS = { yes: 'yes', no: 'no' } as const;

const data = new SlashCommandBuilder()
  .setName('forget')
  .setDescription('Erase everything Zega keeps about you: stories, runs, statistics, memory, dataset, personal model')
  .setContexts(...COMMAND_CONTEXTS)
  .setIntegrationTypes(...COMMAND_INTEGRATION_TYPES);

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
    if (ctx.runs.active(userId)) {
      await interaction.update({ content: 'You have a training run in progress. Stop it (or let it finish), then run `/forget` again.', components: [], allowedMentions: NO_MENTIONS });
      return;
    }
    // Removing a personal model from Ollama can take longer than Discord's 3 s.
    await interaction.deferUpdate();
    const report = await eraseUser(ctx.runtime.store, ollamaConnector(personalFor(ctx.runtime).settings.ollamaHost), userId);
    const lines = describeErase(report).map((line) => `• ${line}`);
    await interaction.editReply({ content: ['**Erased.** Zega no longer keeps anything about you:', ...lines].join('\n'), components: [], allowedMentions: NO_MENTIONS });
  },
};
