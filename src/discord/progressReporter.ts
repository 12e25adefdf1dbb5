/**
 * Keeps one progress message up to date for the whole run, within Discord's rules:
 * - edits are coalesced (at most one per `minEditIntervalMs`), the latest state always wins, and
 *   the final state is always delivered;
 * - the interaction token dies after 15 minutes: shortly before, progress moves to a message the
 *   bot owns (in the channel, or a DM when it cannot post there), and the old message points to it;
 * - Discord refuses edits of messages older than an hour (30046): a bot-owned progress message is
 *   reposted now and then, and at once when Discord says so.
 */
import { DiscordAPIError, type Client, type Message, type MessageCreateOptions, type RepliableInteraction } from 'discord.js';
import type { Logger } from 'pino';
import type { MessagePayload } from './embeds/common.ts';
import { NO_MENTIONS } from './replies.ts';

export interface ProgressFile {
  attachment: Buffer;
  name: string;
}

export type ProgressPayload = MessagePayload & { files?: ProgressFile[] };

export interface ProgressLocation {
  channelId: string;
  messageId: string;
  /** `interaction` while the interaction token carries it; `channel` or `dm` after the handover. */
  via: 'interaction' | 'channel' | 'dm';
}

export interface ReporterTimings {
  minEditIntervalMs: number;
  tokenLifetimeMs: number;
  /** How long before the token dies progress moves to a bot-owned message. */
  handoverMarginMs: number;
  /** Age at which a bot-owned progress message is replaced by a fresh one. */
  repostAfterMs: number;
}

export const DEFAULT_TIMINGS: ReporterTimings = {
  minEditIntervalMs: 2_000,
  tokenLifetimeMs: 15 * 60_000,
  handoverMarginMs: 90_000,
  repostAfterMs: 50 * 60_000,
};

export interface ReporterOptions {
  interaction: RepliableInteraction;
  client: Client;
  userId: string;
  channelId: string | null;
  logger: Logger;
  timings?: Partial<ReporterTimings>;
  now?: () => number;
  /** Told whenever progress moves to another message (for `/autotrain status` and the run record). */
  onMove?: (location: ProgressLocation) => void;
}

type Target = { kind: 'interaction' } | { kind: 'message'; message: Message; via: 'channel' | 'dm'; postedAt: number };

/** Discord error codes this reporter reacts to. */
const INVALID_WEBHOOK_TOKEN = 50027;
const UNKNOWN_WEBHOOK = 10015;
const UNKNOWN_MESSAGE = 10008;
const OLD_MESSAGE_EDIT_LIMIT = 30046;

/** Shown on the interaction message when progress cannot move anywhere the bot can keep editing. */
const STUCK_NOTE = 'I cannot post in this channel or send you a DM, so this message stops updating in a few minutes. `/autotrain status` shows the run, and Stop keeps working.';

const codeOf = (err: unknown): number | string | undefined => (err instanceof DiscordAPIError ? err.code : undefined);

export class ProgressReporter {
  private readonly timings: ReporterTimings;
  private readonly now: () => number;
  private readonly tokenIssuedAt: number;
  private target: Target = { kind: 'interaction' };
  private pending: ProgressPayload | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  /** When the shown message was last written (the acknowledgment counts): the next edit waits `minEditIntervalMs` from here. */
  private lastEditAt: number;
  /** Deliveries wait for this (the interaction's acknowledgment, which creates the message they edit). */
  private gate: Promise<boolean> | undefined;
  private abandoned = false;
  /** The bot could post neither in the channel nor by DM: the interaction message carries on while its token lives. */
  private handoverFailed = false;
  /** No route is left for progress (handover failed and the token is dead): only the final state is tried again. */
  private lost = false;
  private closed = false;
  /** Number of edits and posts sent, for tests and logs. */
  deliveries = 0;

  constructor(private readonly options: ReporterOptions) {
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.now = options.now ?? Date.now;
    this.tokenIssuedAt = options.interaction.createdTimestamp;
    this.lastEditAt = this.now();
  }

  /**
   * Holds every delivery until `acknowledged` settles (it writes the message this reporter then
   * edits). When it fails, the reporter gives up quietly: there is no message to keep up to date.
   */
  startAfter(acknowledged: Promise<unknown>): void {
    this.gate = acknowledged.then(
      () => {
        this.lastEditAt = this.now();
        return true;
      },
      () => {
        this.abandoned = true;
        return false;
      },
    );
  }

  /** The state asked for but not shown yet (cleared): lets the acknowledgment show it instead. */
  takePending(): ProgressPayload | undefined {
    const payload = this.pending;
    this.pending = undefined;
    return payload;
  }

  /** Shows this state soon (coalesced). */
  show(payload: ProgressPayload): void {
    if (this.closed || this.lost) return;
    this.pending = payload;
    this.schedule();
  }

  /**
   * Delivers the final state (after the minimum interval since the last edit), whatever happened
   * before; resolves when it is shown, or false when every route failed.
   */
  async finish(payload: ProgressPayload): Promise<boolean> {
    if (this.closed) return false;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    if (this.gate && !(await this.gate)) return false;
    await this.inflight;
    await sleep(this.lastEditAt + this.timings.minEditIntervalMs - this.now());
    try {
      await this.deliver(payload);
      return true;
    } catch (err) {
      this.options.logger.warn({ err }, 'progress: final message failed on its usual route; sending it by DM');
      return this.sendDirect(payload);
    } finally {
      this.lastEditAt = this.now();
    }
  }

  private schedule(): void {
    if (this.timer || this.closed || this.inflight) return;
    const wait = Math.max(0, this.lastEditAt + this.timings.minEditIntervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  private async flush(): Promise<void> {
    if (this.gate && !(await this.gate)) return;
    if (this.inflight || this.closed || this.abandoned || this.lost) return;
    // The acknowledgment may have landed after this timer was set: keep the interval from it.
    if (this.now() < this.lastEditAt + this.timings.minEditIntervalMs) return this.schedule();
    const payload = this.pending;
    if (!payload) return;
    this.pending = undefined;
    this.inflight = this.deliver(payload)
      .catch((err: unknown) => this.options.logger.warn({ err }, 'progress: update failed; the next one will try again'))
      .finally(() => {
        // Measured from the answer, so Discord never sees two edits closer than the interval.
        this.lastEditAt = this.now();
        this.inflight = undefined;
      });
    await this.inflight;
    if (this.pending) this.schedule();
  }

  private tokenUsable(): boolean {
    return this.now() < this.tokenIssuedAt + this.timings.tokenLifetimeMs - this.timings.handoverMarginMs;
  }

  private tokenAlive(): boolean {
    return this.now() < this.tokenIssuedAt + this.timings.tokenLifetimeMs;
  }

  private async deliver(payload: ProgressPayload): Promise<void> {
    this.deliveries += 1;
    const body = { ...payload, allowedMentions: NO_MENTIONS };
    if (this.target.kind === 'interaction') {
      // After a failed handover the token is used to its very end rather than retrying posts that fail.
      if (this.tokenUsable() || (this.handoverFailed && this.tokenAlive())) {
        try {
          // The note goes with progress, not with the final state.
          await this.options.interaction.editReply(this.handoverFailed ? { ...body, content: this.closed ? '' : STUCK_NOTE } : body);
          return;
        } catch (err) {
          const code = codeOf(err);
          if (code !== INVALID_WEBHOOK_TOKEN && code !== UNKNOWN_WEBHOOK && code !== UNKNOWN_MESSAGE && code !== OLD_MESSAGE_EDIT_LIMIT) throw err;
        }
      }
      return this.handover(payload);
    }
    const target = this.target;
    if (this.now() - target.postedAt >= this.timings.repostAfterMs && (await this.repost(payload, target, false))) return;
    try {
      await target.message.edit(body);
    } catch (err) {
      const code = codeOf(err);
      if (code === OLD_MESSAGE_EDIT_LIMIT || code === UNKNOWN_MESSAGE) {
        await this.repost(payload, target, true);
        return;
      }
      throw err;
    }
  }

  /** Moves progress from the interaction message to a message the bot owns. */
  private async handover(payload: ProgressPayload): Promise<void> {
    let posted: { message: Message; via: 'channel' | 'dm' };
    try {
      posted = await this.postOwned(payload);
    } catch (err) {
      // Retrying every interval would pile up 403s (10,000 invalid requests in 10 minutes get the bot banned).
      const firstFailure = !this.handoverFailed;
      this.handoverFailed = true;
      if (firstFailure && this.tokenAlive()) {
        this.options.logger.warn({ err, user: this.options.userId }, 'progress: cannot post in the channel or by DM; the interaction message carries on while its token lives');
        await this.options.interaction.editReply({ ...payload, content: STUCK_NOTE, allowedMentions: NO_MENTIONS }).catch(() => undefined);
        return;
      }
      this.lost = true;
      throw err;
    }
    this.target = { kind: 'message', ...posted, postedAt: this.now() };
    this.options.onMove?.({ channelId: posted.message.channelId, messageId: posted.message.id, via: posted.via });
    // Best effort: the token may be dead, or the message too old to edit; then remove it rather than leave a stale Stop button.
    if (this.tokenAlive()) {
      const interaction = this.options.interaction;
      await interaction
        .editReply({ content: `Progress continues here: ${posted.message.url}`, embeds: [], components: [], files: [], attachments: [], allowedMentions: NO_MENTIONS })
        .catch((err: unknown) => (codeOf(err) === OLD_MESSAGE_EDIT_LIMIT ? interaction.deleteReply() : undefined))
        .catch(() => undefined);
    }
  }

  /**
   * Replaces the bot's progress message by a fresh one. Returns false when a posting failed but the
   * old message can still be edited (`forced` false: it only reached `repostAfterMs`); the next
   * try waits another `repostAfterMs`. When it cannot (`forced`), progress is lost and this throws.
   */
  private async repost(payload: ProgressPayload, old: Extract<Target, { kind: 'message' }>, forced: boolean): Promise<boolean> {
    let posted: { message: Message; via: 'channel' | 'dm' };
    try {
      posted = await this.postOwned(payload, old.via === 'dm');
    } catch (err) {
      if (!forced) {
        this.options.logger.warn({ err, user: this.options.userId }, 'progress: could not post a fresh progress message; editing the old one for now');
        old.postedAt = this.now();
        return false;
      }
      this.lost = true;
      throw err;
    }
    this.target = { kind: 'message', ...posted, postedAt: this.now() };
    this.options.onMove?.({ channelId: posted.message.channelId, messageId: posted.message.id, via: posted.via });
    await old.message
      .edit({ content: `Progress continues here: ${posted.message.url}`, embeds: [], components: [], files: [], attachments: [], allowedMentions: NO_MENTIONS })
      .catch(() => old.message.delete())
      .catch(() => undefined);
    return true;
  }

  /** Posts in the run's channel, or by DM when the bot cannot post there. */
  private async postOwned(payload: ProgressPayload, dmOnly = false): Promise<{ message: Message; via: 'channel' | 'dm' }> {
    const body: MessageCreateOptions = { ...payload, allowedMentions: NO_MENTIONS };
    if (!dmOnly && this.options.channelId) {
      try {
        const channel = await this.options.client.channels.fetch(this.options.channelId);
        if (channel?.isSendable()) return { message: await channel.send(body), via: 'channel' };
      } catch (err) {
        this.options.logger.info({ err, channel: this.options.channelId }, 'progress: cannot post in the channel; using a DM');
      }
    }
    const user = await this.options.client.users.fetch(this.options.userId);
    return { message: await user.send(body), via: 'dm' };
  }

  private async sendDirect(payload: ProgressPayload): Promise<boolean> {
    try {
      const user = await this.options.client.users.fetch(this.options.userId);
      await user.send({ ...payload, allowedMentions: NO_MENTIONS });
      return true;
    } catch (err) {
      this.options.logger.error({ err, user: this.options.userId }, 'progress: the final result could not be delivered');
      return false;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
