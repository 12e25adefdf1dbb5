/**
 * One module per command (discord.js guide / yuudachi style): each holds its definition and
 * every handler of its interactions. The router dispatches by command name and custom-id scope.
 */
import { ApplicationIntegrationType, InteractionContextType } from 'discord.js';
import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  AnySelectMenuInteraction,
  ButtonInteraction,
  ModalSubmitInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { Logger } from 'pino';
import type { ParsedCustomId } from '../discord/customId.ts';
import type { Runtime } from '../app/runtime.ts';
import type { RunManager } from '../bot/runManager.ts';

/**
 * Where every Zega command can be used: in servers that installed the bot and in DMs with it
 * (what the deprecated `setDMPermission(true)` meant). Applied with `setContexts` and
 * `setIntegrationTypes` on each command's builder.
 */
export const COMMAND_CONTEXTS = [InteractionContextType.Guild, InteractionContextType.BotDM] as const;
export const COMMAND_INTEGRATION_TYPES = [ApplicationIntegrationType.GuildInstall] as const;

export interface CommandContext {
  runtime: Runtime;
  runs: RunManager;
  logger: Logger;
}

export interface Command {
  data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  /** Custom-id scopes whose components and modals this command handles. */
  scopes: readonly string[];
  execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void>;
  component?(interaction: ButtonInteraction | AnySelectMenuInteraction, id: ParsedCustomId, ctx: CommandContext): Promise<void>;
  modal?(interaction: ModalSubmitInteraction, id: ParsedCustomId, ctx: CommandContext): Promise<void>;
}
