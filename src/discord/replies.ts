/**
 * How Zega answers interactions: never pings (every send and edit carries an explicit empty
 * `allowedMentions`, because edits otherwise re-parse mentions), and never leaves a user with
 * Discord's bare "This interaction failed".
 */
import { MessageFlags, type Interaction, type MessageMentionOptions, type RepliableInteraction } from 'discord.js';
import type { Logger } from 'pino';
import { redactSecrets } from '../security/redact.ts';

export const NO_MENTIONS: MessageMentionOptions = { parse: [] };

/**
 * A private one-line answer, whatever state the interaction is in (fresh, deferred or replied).
 * Once answered, it is an ephemeral follow-up: after `deferReply` that replaces the "thinking"
 * message (which keeps the visibility chosen when deferring), and after `deferUpdate` or `update`
 * it is a new private message — `editReply` there would rewrite the public message the button is on.
 */
export async function replyPrivately(interaction: RepliableInteraction, content: string): Promise<void> {
  // These lines can quote an error or a model name: no secret leaves with them, even privately.
  const payload = { content: redactSecrets(content), allowedMentions: NO_MENTIONS, flags: MessageFlags.Ephemeral as const };
  if (interaction.deferred || interaction.replied) await interaction.followUp(payload);
  else await interaction.reply(payload);
}

export function refuseNotOwner(interaction: RepliableInteraction): Promise<void> {
  return replyPrivately(interaction, 'Only the person who started this can use these buttons. Run the command yourself to get your own.');
}

/** Friendly error for the user, full error for the log (without secrets: the logger scrubs them). */
export async function failInteraction(interaction: Interaction, logger: Logger, err: unknown, what: string): Promise<void> {
  logger.error({ err, interaction: interaction.id, user: interaction.user.id, what }, 'interaction failed');
  if (!interaction.isRepliable()) return;
  try {
    await replyPrivately(interaction, 'Something went wrong on my side — nothing you did. Please try again in a moment.');
  } catch (replyErr) {
    logger.warn({ err: replyErr }, 'could not tell the user about the failure');
  }
}

/** Owner of a run token (`<userId>-<random>`) or a story-list token (`<userId>`). */
export function ownerOfToken(token: string): string {
  return token.split('-')[0] ?? '';
}
