/**
 * Dispatches every interaction to its command module, enforces button ownership centrally, and
 * turns any failure into a friendly private message plus a log line.
 */
import type { Interaction } from 'discord.js';
import { parseCustomId } from '../discord/customId.ts';
import type { Command, CommandContext } from '../commands/types.ts';
import { failInteraction, ownerOfToken, refuseNotOwner, replyPrivately } from '../discord/replies.ts';

export function createRouter(commands: readonly Command[], ctx: CommandContext) {
  const byName = new Map(commands.map((c) => [c.data.name, c]));
  const byScope = new Map(commands.flatMap((c) => c.scopes.map((s) => [s, c] as const)));

  return async function route(interaction: Interaction): Promise<void> {
    try {
      await dispatch(interaction);
      // Never silence: a handler that returned without answering still gets the user a reply.
      if (interaction.isRepliable() && !interaction.replied && !interaction.deferred) {
        ctx.logger.warn({ interaction: interaction.id, user: interaction.user.id, what: describe(interaction) }, 'interaction left unanswered');
        await replyPrivately(interaction, 'That did nothing: this control may be out of date. Run the command again.');
      }
    } catch (err) {
      await failInteraction(interaction, ctx.logger, err, describe(interaction));
    }
  };

  async function dispatch(interaction: Interaction): Promise<void> {
    if (interaction.isChatInputCommand()) {
      const command = byName.get(interaction.commandName);
      if (!command) return replyPrivately(interaction, 'I do not know this command any more; it will disappear shortly.');
      return command.execute(interaction, ctx);
    }
    if (interaction.isAutocomplete()) {
      const command = byName.get(interaction.commandName);
      // Autocomplete cannot show an error; an empty list is the honest answer.
      if (!command?.autocomplete) return interaction.respond([]);
      return command.autocomplete(interaction, ctx);
    }
    if (interaction.isButton() || interaction.isAnySelectMenu() || interaction.isModalSubmit()) {
      const id = parseCustomId(interaction.customId);
      const command = id ? byScope.get(id.scope) : undefined;
      const handles = interaction.isModalSubmit() ? command?.modal !== undefined : command?.component !== undefined;
      if (!id || !command || !handles) return replyPrivately(interaction, 'These buttons belong to an older version of Zega. Run the command again.');
      // Every Zega token starts with its owner's id: only the owner may press.
      if (ownerOfToken(id.token) !== interaction.user.id) return refuseNotOwner(interaction);
      if (interaction.isModalSubmit()) return command.modal?.(interaction, id, ctx);
      return command.component?.(interaction, id, ctx);
    }
  }
}

function describe(interaction: Interaction): string {
  if (interaction.isChatInputCommand()) return `/${interaction.commandName}`;
  if (interaction.isMessageComponent() || interaction.isModalSubmit()) return interaction.customId;
  return interaction.type.toString();
}
