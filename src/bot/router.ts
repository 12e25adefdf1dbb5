/**
 * Dispatches every interaction to its command module, enforces button ownership centrally, and
 * turns any failure into a friendly private message plus a log line.
 */
import type { Interaction } from 'discord.js';
import { parseCustomId } from '../discord/customId.ts';
import type { Command, CommandContext } from '../commands/types.ts';
import { failInteraction, ownerOfToken, refuseNotOwner, replyPrivately } from './replies.ts';

export function createRouter(commands: readonly Command[], ctx: CommandContext) {
  const byName = new Map(commands.map((c) => [c.data.name, c]));
  const byScope = new Map(commands.flatMap((c) => c.scopes.map((s) => [s, c] as const)));

  return async function route(interaction: Interaction): Promise<void> {
    try {
      if (interaction.isChatInputCommand()) {
        const command = byName.get(interaction.commandName);
        if (!command) return await replyPrivately(interaction, 'I do not know this command any more; it will disappear shortly.');
        return await command.execute(interaction, ctx);
      }
      if (interaction.isAutocomplete()) {
        const command = byName.get(interaction.commandName);
        // Autocomplete cannot show an error; an empty list is the honest answer.
        if (!command?.autocomplete) return await interaction.respond([]);
        return await command.autocomplete(interaction, ctx);
      }
      if (interaction.isButton() || interaction.isAnySelectMenu() || interaction.isModalSubmit()) {
        const id = parseCustomId(interaction.customId);
        const command = id ? byScope.get(id.scope) : undefined;
        if (!id || !command) return await replyPrivately(interaction, 'These buttons belong to an older version of Zega. Run the command again.');
        // Every Zega token starts with its owner's id: only the owner may press.
        if (ownerOfToken(id.token) !== interaction.user.id) return await refuseNotOwner(interaction);
        if (interaction.isModalSubmit()) return await command.modal?.(interaction, id, ctx);
        return await command.component?.(interaction, id, ctx);
      }
    } catch (err) {
      await failInteraction(interaction, ctx.logger, err, describe(interaction));
    }
  };
}

function describe(interaction: Interaction): string {
  if (interaction.isChatInputCommand()) return `/${interaction.commandName}`;
  if (interaction.isMessageComponent() || interaction.isModalSubmit()) return interaction.customId;
  return interaction.type.toString();
}
