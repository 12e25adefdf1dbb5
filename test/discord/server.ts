/**
 * A loopback Discord for the bot's tests: REST v10 under `/api/v10/...` and a JSON gateway on
 * `/gateway`, both on one 127.0.0.1 port, good enough for the real discord.js client to log in,
 * cache the test guild, receive interactions and answer them.
 *
 *   const sim = await startDiscordSimulator();
 *   const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: sim.restApi } });
 *   await client.login(sim.token);                      // + wait for Events.ClientReady
 *   const cmd = sim.sendInteraction(slashCommand({ name: 'ping' }));
 *   const reply = await cmd.waitForOriginal((m) => !m.loading);
 *   expect(sim.violations).toEqual([]);
 *
 * Everything the bot sends is recorded (`sim.requests`), validated against Discord's OpenAPI file
 * (`sim.violations`), and applied to a message store (`sim.messages()`, `sim.message(id)`).
 * Discord's rules that bite in production are enforced: the 3 s answer deadline, the 15 min
 * interaction token (401/50027), per-route rate limits with real headers (429s land in
 * `sim.rateLimitHits`), 30046 on edits of old messages, 403/50013 on channels the bot may not post in,
 * 403/50007 for users who block DMs, ephemeral messages only reachable through the token.
 *
 * Times (token lifetime, message age, edit timestamps) use the simulator clock, which is the real
 * clock plus whatever `advanceClock(ms)` added; rate-limit windows use the real clock because
 * discord.js waits in real time; the 3 s deadline uses `responseClock` (real by default; a test
 * where the deadline is not the point passes a clock it moves itself).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { findDiscordOperation, normalizeDiscordPath, validateDiscordRequest } from './openapi.ts';
import {
  apiMember,
  apiUser,
  BOT_PERMISSIONS,
  button,
  CallbackType,
  ComponentType,
  EVERYONE_PERMISSIONS,
  findComponent,
  InteractionType,
  MessageFlag,
  Permission,
  selectMenu,
  submitModalComponents,
  type InteractionSpec,
  type JsonObject,
  type SimUser,
} from './payloads.ts';
import { snowflake } from './snowflake.ts';
import { maxInWindow } from './window.ts';
import type {
  RateLimitOptions,
  DiscordSimulatorOptions,
  UploadedFile,
  RecordedRequest,
  Violation,
  RateLimitHit,
  SimAttachment,
  MessageOrigin,
  SimMessage,
  InteractionCallback,
  RegisteredCommand,
  SimChannel,
  InteractionHandle,
  DiscordSimulator,
} from './types.ts';

export type * from './types.ts';

// ---------------------------------------------------------------------------------------------
// Internals

/** How long a wait for the bot gives up after: generous, so a loaded machine only slows a test down. */
const DEFAULT_TIMEOUT_MS = 20_000;
const FIFTEEN_MINUTES = 15 * 60 * 1000;
const TEN_MIB = 10 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: JsonObject,
  ) {
    super(typeof body.message === 'string' ? body.message : String(status));
  }
}

const err = {
  unauthorized: () => new HttpError(401, { message: '401: Unauthorized', code: 0 }),
  invalidWebhookToken: () => new HttpError(401, { message: 'Invalid Webhook Token', code: 50027 }),
  unknownWebhook: () => new HttpError(404, { message: 'Unknown Webhook', code: 10015 }),
  unknownInteraction: () => new HttpError(404, { message: 'Unknown interaction', code: 10062 }),
  alreadyAcknowledged: () => new HttpError(400, { message: 'Interaction has already been acknowledged.', code: 40060 }),
  unknownMessage: () => new HttpError(404, { message: 'Unknown Message', code: 10008 }),
  unknownChannel: () => new HttpError(404, { message: 'Unknown Channel', code: 10003 }),
  unknownUser: () => new HttpError(404, { message: 'Unknown User', code: 10013 }),
  missingPermissions: () => new HttpError(403, { message: 'Missing Permissions', code: 50013 }),
  cannotDm: () => new HttpError(403, { message: 'Cannot send messages to this user', code: 50007 }),
  notAuthor: () => new HttpError(403, { message: 'Cannot edit a message authored by another user', code: 50005 }),
  emptyMessage: () => new HttpError(400, { message: 'Cannot send an empty message', code: 50006 }),
  oldMessage: () => new HttpError(400, { message: 'Maximum number of edits to messages older than 1 hour reached. Try again later', code: 30046 }),
  notYourApplication: () => new HttpError(403, { message: 'You are not authorized to perform this action on this application', code: 20012 }),
  tooLarge: () => new HttpError(413, { message: 'Request entity too large', code: 40005 }),
  invalidForm: (errors: JsonObject) => new HttpError(400, { message: 'Invalid Form Body', code: 50035, errors }),
  notFound: () => new HttpError(404, { message: '404: Not Found', code: 0 }),
};

function formError(field: string, code: string, message: string): HttpError {
  return err.invalidForm({ [field]: { _errors: [{ code, message }] } });
}

interface StoredMessage {
  id: string;
  channelId: string;
  guildId: string | null;
  authorId: string;
  type: number;
  content: string;
  embeds: JsonObject[];
  components: JsonObject[];
  attachments: SimAttachment[];
  allowedMentions: JsonObject | null;
  flags: number;
  origin: MessageOrigin;
  interactionId: string | null;
  interactionMetadata: JsonObject | null;
  webhookId: string | null;
  messageReference: JsonObject | null;
  createdAt: number;
  editedAt: number | null;
  editTimes: number[];
  oldEdits: number;
  deleted: boolean;
}

interface InteractionRecord {
  id: string;
  token: string;
  type: number;
  payload: JsonObject;
  channelId: string;
  guildId: string | null;
  user: SimUser;
  createdAt: number;
  /** Creation time on `responseClock`, for the 3 s response deadline. */
  createdReal: number;
  expiresAt: number;
  callback?: InteractionCallback;
  originalMessageId?: string;
  componentMessageId?: string;
  followUpIds: string[];
}

interface Session {
  id: string;
  socket: WebSocket | null;
  seq: number;
  identified: boolean;
  sent: { s: number; t: string; d: unknown }[];
}

interface Bucket {
  limit: number;
  windowMs: number;
  start: number;
  count: number;
  hash: string;
}

interface BucketRef {
  name: string;
  major: string;
  kind: 'edit' | 'default';
}

interface RouteContext {
  req: RecordedRequest;
  params: Record<string, string>;
  query: Record<string, string>;
  body: JsonObject;
  files: UploadedFile[];
}

type RouteResult = { status: number; body?: unknown };

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  auth: boolean;
  /**
   * Rate-limit bucket (null = no rate-limit headers, e.g. interaction callbacks): `name` identifies the
   * route (and the X-RateLimit-Bucket hash), `major` the major parameter (channel, guild, webhook+token).
   */
  bucket: ((params: Record<string, string>) => BucketRef) | null;
  handle: (ctx: RouteContext) => RouteResult | Promise<RouteResult>;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asObjects(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function parseMultipart(raw: Buffer, contentType: string): Promise<{ body: unknown; files: UploadedFile[] }> {
  const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  let body: unknown;
  const files: UploadedFile[] = [];
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') {
      if (field === 'payload_json') body = JSON.parse(value);
      continue;
    }
    const data = Buffer.from(await value.arrayBuffer());
    const match = /^files\[(\d+)\]$/.exec(field);
    files.push({ field, index: match ? Number(match[1]) : null, filename: value.name, contentType: value.type || 'application/octet-stream', size: data.length, data });
  }
  return { body, files };
}

const DEFAULT_TOKEN_PREFIX = 'Zega-loopback';

export async function startDiscordSimulator(options: DiscordSimulatorOptions = {}): Promise<DiscordSimulator> {
  const sim = new Simulator(options);
  await sim.listen();
  return sim;
}

class Simulator implements DiscordSimulator {
  url = '';
  restApi = '';
  gatewayUrl = '';
  readonly token: string;
  readonly applicationId: string;
  readonly botUser: SimUser;
  readonly users: { readonly alice: SimUser; readonly bob: SimUser };
  readonly guild: { readonly id: string; readonly name: string };
  readonly channel: SimChannel;
  readonly requests: RecordedRequest[] = [];
  readonly violations: Violation[] = [];
  readonly rateLimitHits: RateLimitHit[] = [];
  readonly unhandled: RecordedRequest[] = [];
  readonly identifies: JsonObject[] = [];

  private readonly opts: Required<Omit<DiscordSimulatorOptions, 'token' | 'applicationId' | 'botUsername' | 'guildName' | 'forbiddenChannels' | 'dmBlockedUsers' | 'rateLimit' | 'oldMessageEditLimitMs'>> & {
    oldMessageEditLimitMs: number | null;
    rateLimit: Required<RateLimitOptions>;
  };
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<Socket>();
  private readonly knownUsers = new Map<string, SimUser>();
  private readonly channels = new Map<string, SimChannel>();
  private readonly forbidden = new Set<string>();
  private readonly dmBlocked = new Set<string>();
  private readonly store = new Map<string, StoredMessage>();
  private readonly interactions = new Map<string, InteractionRecord>();
  private readonly byToken = new Map<string, InteractionRecord>();
  private readonly globalCommands = new Map<string, RegisteredCommand>();
  private readonly guildCommands = new Map<string, Map<string, RegisteredCommand>>();
  private readonly sessions = new Map<string, Session>();
  private readonly buckets = new Map<string, Bucket>();
  /** Pending waits: re-check function → cancel (used by close()). */
  private readonly waiters = new Map<() => void, () => void>();
  private readonly routes: Route[];
  private readonly botRoleId: string;
  private readonly joinedAt: string;
  private clockOffset = 0;
  private seqCounter = 0;
  private current: Session | null = null;
  private closed = false;

  constructor(options: DiscordSimulatorOptions) {
    this.opts = {
      interactionTokenLifetimeMs: options.interactionTokenLifetimeMs ?? FIFTEEN_MINUTES,
      interactionResponseDeadlineMs: options.interactionResponseDeadlineMs ?? 3000,
      responseClock: options.responseClock ?? Date.now,
      oldMessageEditLimitMs: options.oldMessageEditLimitMs ?? null,
      oldMessageEditAllowance: options.oldMessageEditAllowance ?? 0,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      attachmentSizeLimit: options.attachmentSizeLimit ?? TEN_MIB,
      rejectInvalidBodies: options.rejectInvalidBodies ?? false,
      restLatencyMs: options.restLatencyMs ?? 0,
      rateLimit: {
        enforce: options.rateLimit?.enforce ?? true,
        editLimit: options.rateLimit?.editLimit ?? 5,
        editWindowMs: options.rateLimit?.editWindowMs ?? 5000,
        defaultLimit: options.rateLimit?.defaultLimit ?? 50,
        defaultWindowMs: options.rateLimit?.defaultWindowMs ?? 1000,
      },
    };
    const created = Date.now() - 30 * 24 * 3600 * 1000;
    this.applicationId = options.applicationId ?? snowflake(created);
    this.botUser = { id: this.applicationId, username: options.botUsername ?? 'Zega', bot: true };
    this.token = options.token ?? `${Buffer.from(this.applicationId).toString('base64url')}.${DEFAULT_TOKEN_PREFIX}.${randomBytes(12).toString('base64url')}`;
    this.users = {
      alice: { id: snowflake(created - 1e9), username: 'alice', globalName: 'Alice' },
      bob: { id: snowflake(created - 2e9), username: 'bob', globalName: 'Bob' },
    };
    for (const user of [this.botUser, this.users.alice, this.users.bob]) this.knownUsers.set(user.id, user);
    this.guild = { id: snowflake(created - 3e9), name: options.guildName ?? 'Zega Test Guild' };
    this.botRoleId = snowflake(created);
    this.joinedAt = iso(created);
    this.channel = { id: snowflake(created - 3e9 + 1000), name: 'general', type: 0, guildId: this.guild.id };
    this.channels.set(this.channel.id, this.channel);
    for (const id of options.forbiddenChannels ?? []) this.forbidden.add(id);
    for (const id of options.dmBlockedUsers ?? []) this.dmBlocked.add(id);

    this.routes = this.buildRoutes();
    this.server = createServer((req, res) => void this.onHttp(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/gateway' && path !== '/gateway/') {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onGatewayConnection(ws, req));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.restApi = `${this.url}/api`;
    this.gatewayUrl = `ws://127.0.0.1:${port}/gateway`;
  }

  now(): number {
    return Date.now() + this.clockOffset;
  }

  advanceClock(ms: number): void {
    this.clockOffset += ms;
    this.notify();
  }

  // ------------------------------------------------------------------ waiting

  private notify(): void {
    for (const waiter of [...this.waiters.keys()]) waiter();
  }

  waitFor<T>(probe: () => T | null | undefined | false, timeoutMs = DEFAULT_TIMEOUT_MS, what = 'condition'): Promise<T> {
    const first = probe();
    if (first !== null && first !== undefined && first !== false) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        let value: T | null | undefined | false;
        try {
          value = probe();
        } catch (error) {
          cleanup();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value !== null && value !== undefined && value !== false) {
          cleanup();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        const recent = this.requests
          .slice(-8)
          .map((r) => `${r.method} ${r.path} → ${r.status ?? 'pending'}`)
          .join('; ');
        reject(new Error(`Discord simulator: timed out after ${timeoutMs} ms waiting for ${what}. Last requests: ${recent || 'none'}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.set(check, () => {
        cleanup();
        reject(new Error(`Discord simulator: closed while waiting for ${what}`));
      });
    });
  }

  waitForRequest(match: (request: RecordedRequest) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RecordedRequest> {
    return this.waitFor(() => this.requests.find((r) => r.status !== undefined && match(r)), timeoutMs, 'a matching request');
  }

  waitForMessage(match: (message: SimMessage) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SimMessage> {
    return this.waitFor(() => this.messages().find(match), timeoutMs, 'a matching message');
  }

  // ------------------------------------------------------------------ users, channels

  addUser(user: { username: string; id?: string }): SimUser {
    const simUser: SimUser = { id: user.id ?? snowflake(this.now() - 1e10), username: user.username, globalName: user.username };
    this.knownUsers.set(simUser.id, simUser);
    return simUser;
  }

  addChannel(channel: { name: string; type?: number }): SimChannel {
    const simChannel: SimChannel = { id: snowflake(this.now()), name: channel.name, type: channel.type ?? 0, guildId: this.guild.id };
    this.channels.set(simChannel.id, simChannel);
    if (this.current?.identified) this.dispatch('CHANNEL_CREATE', { ...this.apiChannel(simChannel), guild_id: this.guild.id });
    return simChannel;
  }

  dmChannel(userId: string): SimChannel {
    for (const channel of this.channels.values()) if (channel.type === 1 && channel.recipientId === userId) return channel;
    const channel: SimChannel = { id: snowflake(this.now()), name: '', type: 1, guildId: null, recipientId: userId };
    this.channels.set(channel.id, channel);
    return channel;
  }

  setChannelForbidden(channelId: string, forbidden = true): void {
    if (forbidden) this.forbidden.add(channelId);
    else this.forbidden.delete(channelId);
    const channel = this.channels.get(channelId);
    if (channel?.guildId && this.current?.identified) this.dispatch('CHANNEL_UPDATE', { ...this.apiChannel(channel), guild_id: this.guild.id });
  }

  blockDirectMessages(userId: string, blocked = true): void {
    if (blocked) this.dmBlocked.add(userId);
    else this.dmBlocked.delete(userId);
  }

  private permissionOverwrites(channel: SimChannel): JsonObject[] {
    if (!this.forbidden.has(channel.id)) return [];
    return [{ id: this.botRoleId, type: 0, allow: '0', deny: Permission.SendMessages.toString() }];
  }

  /** Permissions of the bot (or of a plain member) in a channel. */
  private channelPermissions(channel: SimChannel, forBot: boolean): bigint {
    if (!channel.guildId) return Permission.ViewChannel | Permission.SendMessages | Permission.EmbedLinks | Permission.AttachFiles | Permission.ReadMessageHistory | Permission.AddReactions | Permission.UseExternalEmojis;
    let perms = forBot ? EVERYONE_PERMISSIONS | BOT_PERMISSIONS : EVERYONE_PERMISSIONS;
    if (forBot && this.forbidden.has(channel.id)) perms &= ~Permission.SendMessages;
    return perms;
  }

  private apiChannel(channel: SimChannel): JsonObject {
    if (channel.type === 1) {
      const recipient = this.knownUsers.get(channel.recipientId ?? '');
      return { id: channel.id, type: 1, flags: 0, last_message_id: null, recipients: recipient ? [apiUser(recipient)] : [] };
    }
    return {
      id: channel.id,
      type: channel.type,
      name: channel.name,
      position: [...this.channels.values()].filter((c) => c.guildId).indexOf(channel),
      permission_overwrites: this.permissionOverwrites(channel),
      parent_id: null,
      topic: null,
      nsfw: false,
      last_message_id: null,
      rate_limit_per_user: 0,
      flags: 0,
    };
  }

  private guildCreatePayload(): JsonObject {
    const guildChannels = [...this.channels.values()].filter((c) => c.guildId === this.guild.id);
    const role = (id: string, name: string, permissions: bigint, position: number, managed: boolean) => ({
      id,
      name,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position,
      permissions: permissions.toString(),
      managed,
      mentionable: false,
      flags: 0,
      ...(managed ? { tags: { bot_id: this.botUser.id } } : {}),
    });
    return {
      id: this.guild.id,
      name: this.guild.name,
      icon: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      owner_id: this.users.alice.id,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      nsfw_level: 0,
      application_id: null,
      system_channel_id: this.channel.id,
      system_channel_flags: 0,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      vanity_url_code: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      premium_progress_bar_enabled: false,
      preferred_locale: 'en-US',
      max_members: 500_000,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      features: [],
      emojis: [],
      stickers: [],
      roles: [role(this.guild.id, '@everyone', EVERYONE_PERMISSIONS, 0, false), role(this.botRoleId, this.botUser.username, BOT_PERMISSIONS, 1, true)],
      joined_at: this.joinedAt,
      large: false,
      unavailable: false,
      member_count: this.knownUsers.size,
      voice_states: [],
      // Discord always includes the bot's own member.
      members: [apiMember(this.botUser, { roles: [this.botRoleId], joinedAt: this.joinedAt })],
      channels: guildChannels.map((c) => this.apiChannel(c)),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      incidents_data: null,
    };
  }

  // ------------------------------------------------------------------ gateway

  private onGatewayConnection(ws: WebSocket, req: IncomingMessage): void {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    if (query.get('encoding') && query.get('encoding') !== 'json') {
      ws.close(4002, 'Only JSON encoding is simulated');
      return;
    }
    if (query.get('compress')) {
      ws.close(4002, 'Transport compression is not simulated');
      return;
    }
    let session: Session | null = null;
    const send = (payload: JsonObject) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(payload));
    };
    send({ op: 10, d: { heartbeat_interval: this.opts.heartbeatIntervalMs, _trace: ['["zega-loopback-gateway"]'] }, s: null, t: null });

    ws.on('message', (raw: RawData) => {
      let payload: JsonObject;
      try {
        const text = Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : Buffer.from(raw as ArrayBuffer).toString('utf8');
        const parsed: unknown = JSON.parse(text);
        if (!isObject(parsed)) throw new Error('not an object');
        payload = parsed;
      } catch {
        ws.close(4002, 'Error while decoding payload.');
        return;
      }
      const d = payload.d;
      switch (payload.op) {
        case 1: // heartbeat
          send({ op: 11, d: null, s: null, t: null });
          return;
        case 2: {
          // identify
          if (session) {
            ws.close(4005, 'Already authenticated.');
            return;
          }
          const identify = isObject(d) ? d : {};
          this.identifies.push(clone(identify));
          const token = typeof identify.token === 'string' ? identify.token.replace(/^Bot\s+/i, '') : '';
          if (token !== this.token) {
            ws.close(4004, 'Authentication failed.');
            return;
          }
          if (typeof identify.intents !== 'number') {
            ws.close(4013, 'Invalid intent(s).');
            return;
          }
          session = { id: randomBytes(16).toString('hex'), socket: ws, seq: 0, identified: true, sent: [] };
          this.sessions.set(session.id, session);
          this.current = session;
          const shard = Array.isArray(identify.shard) ? identify.shard : [0, 1];
          this.sendDispatch(session, 'READY', {
            v: 10,
            user: { ...apiUser(this.botUser), verified: true, mfa_enabled: false, email: null },
            user_settings: {},
            guilds: [{ id: this.guild.id, unavailable: true }],
            presences: [],
            relationships: [],
            private_channels: [],
            guild_join_requests: [],
            geo_ordered_rtc_regions: ['loopback'],
            session_type: 'normal',
            session_id: session.id,
            resume_gateway_url: this.gatewayUrl,
            shard,
            application: { id: this.applicationId, flags: 0 },
            auth: {},
            _trace: ['["zega-loopback-gateway"]'],
          });
          // Promptly, or discord.js holds every event (interactions included) back for up to 15 s.
          this.sendDispatch(session, 'GUILD_CREATE', this.guildCreatePayload());
          this.notify();
          return;
        }
        case 6: {
          // resume
          const resume = isObject(d) ? d : {};
          const known = typeof resume.session_id === 'string' ? this.sessions.get(resume.session_id) : undefined;
          const token = typeof resume.token === 'string' ? resume.token.replace(/^Bot\s+/i, '') : '';
          if (!known || token !== this.token) {
            send({ op: 9, d: false, s: null, t: null });
            return;
          }
          session = known;
          if (known.socket && known.socket !== ws) known.socket.close(4000, 'Resumed elsewhere');
          known.socket = ws;
          this.current = known;
          const after = typeof resume.seq === 'number' ? resume.seq : 0;
          for (const missed of known.sent.filter((e) => e.s > after)) send({ op: 0, s: missed.s, t: missed.t, d: missed.d });
          this.sendDispatch(known, 'RESUMED', { _trace: ['["zega-loopback-gateway"]'] });
          this.notify();
          return;
        }
        case 3: // presence update
        case 4: // voice state update
          return;
        case 8: {
          // request guild members
          if (!session) {
            ws.close(4003, 'Not authenticated.');
            return;
          }
          const request = isObject(d) ? d : {};
          const members = [...this.knownUsers.values()].map((u) => apiMember(u, { roles: u.id === this.botUser.id ? [this.botRoleId] : [], joinedAt: this.joinedAt }));
          this.sendDispatch(session, 'GUILD_MEMBERS_CHUNK', { guild_id: this.guild.id, members, chunk_index: 0, chunk_count: 1, not_found: [], ...(request.nonce ? { nonce: request.nonce } : {}) });
          return;
        }
        default:
          ws.close(4001, 'Unknown opcode.');
      }
    });
    ws.on('close', () => {
      // The session stays known so that a RESUME can continue it; dispatches fail until then.
      if (session?.socket === ws) session.socket = null;
      this.notify();
    });
    ws.on('error', () => undefined);
  }

  private sendDispatch(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    const event = { s: session.seq, t, d };
    session.sent.push(event);
    if (session.sent.length > 1000) session.sent.splice(0, session.sent.length - 1000);
    const socket = session.socket;
    if (socket && socket.readyState === socket.OPEN) socket.send(JSON.stringify({ op: 0, ...event }));
  }

  dispatch(event: string, data: unknown): void {
    const session = this.current;
    if (!session || !session.socket || session.socket.readyState !== session.socket.OPEN) {
      throw new Error('Discord simulator: no gateway session is connected; log the client in and await Events.ClientReady first');
    }
    this.sendDispatch(session, event, data);
  }

  disconnectGateway(code = 4000): void {
    this.current?.socket?.close(code, 'Simulated disconnect');
  }

  // ------------------------------------------------------------------ interactions

  sendInteraction(spec: InteractionSpec): InteractionHandle {
    const user = spec.user ?? this.users.alice;
    if (!this.knownUsers.has(user.id)) this.knownUsers.set(user.id, user);
    const guildId = spec.guildId === undefined ? this.guild.id : spec.guildId;
    const channel = spec.channelId ? this.channels.get(spec.channelId) : guildId ? this.channel : this.dmChannel(user.id);
    if (!channel) throw new Error(`Discord simulator: unknown channel ${spec.channelId}`);
    const now = this.now();
    const id = snowflake(now);
    // Shaped like Discord's: base64 of `interaction:<id>:<random>`.
    const token = Buffer.from(`interaction:${id}:${randomBytes(48).toString('base64url')}`).toString('base64url');
    const data = clone(spec.data);

    if (spec.type === InteractionType.ApplicationCommand || spec.type === InteractionType.Autocomplete) {
      const name = spec.commandName ?? String(data.name);
      const registered = this.commands().find((c) => c.name === name) ?? this.commands(this.guild.id).find((c) => c.name === name);
      if (!data.id) data.id = registered?.id ?? snowflake(now - 1e6);
      if (registered?.guild_id) data.guild_id = registered.guild_id;
      const resolved = isObject(data.resolved) ? data.resolved : null;
      if (resolved && isObject(resolved.users) && guildId) {
        const members: JsonObject = {};
        for (const uid of Object.keys(resolved.users)) {
          const member = apiMember(this.knownUsers.get(uid) ?? { id: uid, username: uid }, { joinedAt: this.joinedAt, withUser: false, permissions: EVERYONE_PERMISSIONS });
          members[uid] = member;
        }
        resolved.members = members;
      }
    }

    let componentMessage: StoredMessage | undefined;
    let messagePayload: JsonObject | undefined;
    if (spec.type === InteractionType.MessageComponent || (spec.type === InteractionType.ModalSubmit && spec.message !== undefined)) {
      if (typeof spec.message === 'string') {
        componentMessage = this.store.get(spec.message);
        if (!componentMessage || componentMessage.deleted) throw new Error(`Discord simulator: no message ${spec.message} to interact with`);
      } else if (isObject(spec.message)) {
        messagePayload = clone(spec.message);
      } else {
        // A stub bot message carrying the component, so that update/deferUpdate have something to edit.
        const customId = String(data.custom_id);
        const component =
          data.component_type === ComponentType.Button
            ? { type: ComponentType.Button, style: 1, label: customId.slice(0, 80), custom_id: customId }
            : { type: data.component_type, custom_id: customId, options: asArray(data.values).map((v) => ({ label: String(v), value: String(v) })), min_values: 1, max_values: Math.max(1, asArray(data.values).length) };
        componentMessage = this.createMessage({
          channelId: channel.id,
          body: { content: 'Stub message for a component interaction', components: [{ type: ComponentType.ActionRow, components: [component] }] },
          files: [],
          origin: 'stub',
          flags: 0,
        });
      }
      if (componentMessage) messagePayload = this.apiMessage(componentMessage);
    }

    const apiCh: JsonObject = { ...this.apiChannel(channel) };
    const payload: JsonObject = {
      id,
      application_id: this.applicationId,
      type: spec.type,
      data,
      token,
      version: 1,
      locale: spec.locale ?? 'en-US',
      app_permissions: this.channelPermissions(channel, true).toString(),
      entitlements: [],
      authorizing_integration_owners: guildId ? { '0': guildId } : { '0': '0' },
      context: guildId ? 0 : 1,
      attachment_size_limit: this.opts.attachmentSizeLimit,
      channel: guildId ? { ...apiCh, guild_id: guildId, permissions: this.channelPermissions(channel, false).toString() } : apiCh,
      channel_id: channel.id,
    };
    if (guildId) {
      payload.guild_id = guildId;
      payload.guild_locale = 'en-US';
      payload.guild = { id: guildId, locale: 'en-US', features: [] };
      payload.member = apiMember(user, { joinedAt: this.joinedAt, permissions: this.channelPermissions(channel, false) });
    } else {
      payload.user = apiUser(user);
    }
    if (messagePayload) payload.message = messagePayload;
    if (spec.raw) Object.assign(payload, clone(spec.raw));

    const record: InteractionRecord = {
      id,
      token,
      type: spec.type,
      payload,
      channelId: channel.id,
      guildId,
      user,
      createdAt: now,
      createdReal: this.opts.responseClock(),
      expiresAt: now + this.opts.interactionTokenLifetimeMs,
      followUpIds: [],
    };
    if (componentMessage) record.componentMessageId = componentMessage.id;
    this.interactions.set(id, record);
    this.byToken.set(token, record);
    this.dispatch('INTERACTION_CREATE', payload);
    this.notify();
    return this.handle(record);
  }

  click(messageId: string, customId: string, user?: SimUser): InteractionHandle {
    const message = this.store.get(messageId);
    if (!message || message.deleted) throw new Error(`Discord simulator: no message ${messageId}`);
    const component = findComponent(message.components, customId);
    if (!component || component.type !== ComponentType.Button) throw new Error(`Discord simulator: message ${messageId} has no button ${JSON.stringify(customId)}`);
    if (component.disabled === true) throw new Error(`Discord simulator: button ${JSON.stringify(customId)} is disabled`);
    return this.sendInteraction(button({ customId, message: messageId, ...this.interactionPlace(message, user) }));
  }

  select(messageId: string, customId: string, values: string[], user?: SimUser): InteractionHandle {
    const message = this.store.get(messageId);
    if (!message || message.deleted) throw new Error(`Discord simulator: no message ${messageId}`);
    const component = findComponent(message.components, customId);
    const selectTypes: number[] = [ComponentType.StringSelect, ComponentType.UserSelect, ComponentType.RoleSelect, ComponentType.MentionableSelect, ComponentType.ChannelSelect];
    if (!component || typeof component.type !== 'number' || !selectTypes.includes(component.type)) throw new Error(`Discord simulator: message ${messageId} has no select menu ${JSON.stringify(customId)}`);
    if (component.disabled === true) throw new Error(`Discord simulator: select menu ${JSON.stringify(customId)} is disabled`);
    const min = typeof component.min_values === 'number' ? component.min_values : 1;
    const max = typeof component.max_values === 'number' ? component.max_values : 1;
    if (values.length < min || values.length > max) throw new Error(`Discord simulator: select menu ${customId} takes ${min}-${max} values, got ${values.length}`);
    if (component.type === ComponentType.StringSelect) {
      const allowed = new Set(asObjects(component.options).map((o) => o.value));
      for (const v of values) if (!allowed.has(v)) throw new Error(`Discord simulator: select menu ${customId} has no option ${JSON.stringify(v)}`);
    }
    return this.sendInteraction(selectMenu({ customId, values, message: messageId, componentType: component.type, ...this.interactionPlace(message, user) }));
  }

  private interactionPlace(message: StoredMessage, user?: SimUser): { user: SimUser; guildId: string | null; channelId: string } {
    const channel = this.channels.get(message.channelId);
    const recipient = channel?.recipientId ? this.knownUsers.get(channel.recipientId) : undefined;
    return { user: user ?? recipient ?? this.users.alice, guildId: message.guildId, channelId: message.channelId };
  }

  private handle(record: InteractionRecord): InteractionHandle {
    const original = () => (record.originalMessageId ? this.message(record.originalMessageId) : undefined);
    const requireOriginal = (what: string) => {
      const id = record.originalMessageId ?? record.componentMessageId;
      if (!id) throw new Error(`Discord simulator: interaction ${record.id} has no message to ${what}`);
      return id;
    };
    return {
      id: record.id,
      token: record.token,
      payload: record.payload,
      response: () => record.callback,
      waitForResponse: (timeoutMs) => this.waitFor(() => record.callback, timeoutMs, `the response to interaction ${record.id}`),
      original,
      waitForOriginal: (predicate = (m) => !m.loading, timeoutMs) =>
        this.waitFor(
          () => {
            const m = original();
            return m && predicate(m) ? m : undefined;
          },
          timeoutMs,
          `the original response of interaction ${record.id}`,
        ),
      followUps: () => record.followUpIds.map((id) => this.message(id)).filter((m): m is SimMessage => m !== undefined),
      waitForFollowUps: (count, timeoutMs) =>
        this.waitFor(
          () => {
            const list = record.followUpIds.map((id) => this.message(id)).filter((m): m is SimMessage => m !== undefined);
            return list.length >= count ? list : undefined;
          },
          timeoutMs,
          `${count} follow-up(s) of interaction ${record.id}`,
        ),
      requests: () => this.requests.filter((r) => r.interactionId === record.id),
      autocompleteChoices: () => (record.callback?.type === CallbackType.AutocompleteResult ? asObjects(record.callback.data?.choices) : undefined),
      modal: () => (record.callback?.type === CallbackType.Modal ? (record.callback.data ?? undefined) : undefined),
      submitModal: (values, user) => {
        const modal = record.callback?.type === CallbackType.Modal ? record.callback.data : null;
        if (!modal) throw new Error(`Discord simulator: interaction ${record.id} did not open a modal`);
        const components = submitModalComponents(asArray(modal.components), values);
        const spec: InteractionSpec = {
          type: InteractionType.ModalSubmit,
          data: { custom_id: modal.custom_id, components },
          user: user ?? record.user,
          guildId: record.guildId,
          channelId: record.channelId,
        };
        if (record.componentMessageId) spec.message = record.componentMessageId;
        return this.sendInteraction(spec);
      },
      click: (customId, user) => this.click(requireOriginal('click on'), customId, user ?? record.user),
      select: (customId, values, user) => this.select(requireOriginal('select in'), customId, values, user ?? record.user),
      expireToken: () => {
        record.expiresAt = this.now() - 1;
      },
    };
  }

  // ------------------------------------------------------------------ messages

  private snapshot(m: StoredMessage): SimMessage {
    return {
      id: m.id,
      channelId: m.channelId,
      guildId: m.guildId,
      authorId: m.authorId,
      content: m.content,
      embeds: clone(m.embeds),
      components: clone(m.components),
      attachments: m.attachments.map((a) => ({ ...a })),
      allowedMentions: m.allowedMentions ? clone(m.allowedMentions) : null,
      flags: m.flags,
      ephemeral: (m.flags & MessageFlag.Ephemeral) !== 0,
      loading: (m.flags & MessageFlag.Loading) !== 0,
      origin: m.origin,
      interactionId: m.interactionId,
      createdAt: m.createdAt,
      editedAt: m.editedAt,
      editCount: m.editTimes.length,
      deleted: m.deleted,
      raw: this.apiMessage(m),
    };
  }

  messages(filter: { channelId?: string; includeDeleted?: boolean } = {}): SimMessage[] {
    return [...this.store.values()]
      .filter((m) => (filter.includeDeleted || !m.deleted) && (!filter.channelId || m.channelId === filter.channelId))
      .map((m) => this.snapshot(m));
  }

  message(id: string): SimMessage | undefined {
    const m = this.store.get(id);
    return m ? this.snapshot(m) : undefined;
  }

  editTimestamps(messageId: string): number[] {
    return [...(this.store.get(messageId)?.editTimes ?? [])];
  }

  maxEditsInWindow(messageId: string, windowMs = 1000): number {
    return maxInWindow(this.editTimestamps(messageId), windowMs);
  }

  errorResponses(): RecordedRequest[] {
    return this.requests.filter((r) => (r.status ?? 0) >= 400);
  }

  commands(guildId?: string): RegisteredCommand[] {
    const map = guildId ? this.guildCommands.get(guildId) : this.globalCommands;
    return [...(map?.values() ?? [])].map((c) => clone(c));
  }

  private attachmentUrl(channelId: string, a: SimAttachment): string {
    return `${this.url}/attachments/${channelId}/${a.id}/${encodeURIComponent(a.filename)}`;
  }

  private apiMessage(m: StoredMessage): JsonObject {
    const author = this.knownUsers.get(m.authorId) ?? this.botUser;
    const message: JsonObject = {
      id: m.id,
      type: m.type,
      channel_id: m.channelId,
      content: m.content,
      author: apiUser(author),
      attachments: m.attachments.map((a) => ({
        id: a.id,
        filename: a.filename,
        size: a.size,
        url: this.attachmentUrl(m.channelId, a),
        proxy_url: this.attachmentUrl(m.channelId, a),
        content_type: a.contentType,
        ...(a.description ? { description: a.description } : {}),
        ...((m.flags & MessageFlag.Ephemeral) !== 0 ? { ephemeral: true } : {}),
      })),
      embeds: clone(m.embeds),
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      pinned: false,
      tts: false,
      timestamp: iso(m.createdAt),
      edited_timestamp: m.editedAt === null ? null : iso(m.editedAt),
      flags: m.flags,
      components: clone(m.components),
    };
    if (m.webhookId) {
      message.webhook_id = m.webhookId;
      message.application_id = this.applicationId;
    }
    if (m.interactionMetadata) {
      message.interaction_metadata = clone(m.interactionMetadata);
      const meta = m.interactionMetadata;
      message.interaction = { id: meta.id, type: meta.type, name: meta.name ?? '', user: meta.user };
    }
    if (m.messageReference) message.message_reference = clone(m.messageReference);
    return message;
  }

  /** Checks a create/edit body's attachments and files, returns the resulting attachment list. */
  private resolveAttachments(body: JsonObject, files: UploadedFile[], existing: SimAttachment[]): SimAttachment[] {
    for (const file of files) if (file.size > this.opts.attachmentSizeLimit) throw err.tooLarge();
    const byIndex = new Map<number, UploadedFile>();
    files.forEach((file, i) => byIndex.set(file.index ?? i, file));
    const used = new Set<UploadedFile>();
    const out: SimAttachment[] = [];
    const toAttachment = (file: UploadedFile, meta: JsonObject): SimAttachment => ({
      id: snowflake(this.now()),
      filename: typeof meta.filename === 'string' && meta.filename ? meta.filename : file.filename,
      size: file.size,
      contentType: file.contentType,
      description: typeof meta.description === 'string' ? meta.description : null,
      data: file.data,
    });
    if (Array.isArray(body.attachments)) {
      for (const meta of asObjects(body.attachments)) {
        const ref = String(meta.id);
        const kept = existing.find((a) => a.id === ref);
        if (kept) {
          out.push({ ...kept });
          continue;
        }
        const file = /^\d{1,2}$/.test(ref) ? byIndex.get(Number(ref)) : undefined;
        if (!file) throw formError('attachments', 'ATTACHMENT_NOT_FOUND', `Unknown attachment reference ${ref}`);
        used.add(file);
        out.push(toAttachment(file, meta));
      }
    } else {
      out.push(...existing.map((a) => ({ ...a })));
    }
    for (const file of files) if (!used.has(file)) out.push(toAttachment(file, {}));
    if (out.length > 10) throw formError('attachments', 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.');
    return out;
  }

  private createMessage(args: {
    channelId: string;
    body: JsonObject;
    files: UploadedFile[];
    origin: MessageOrigin;
    flags: number;
    record?: InteractionRecord;
    type?: number;
  }): StoredMessage {
    const { body } = args;
    const channel = this.channels.get(args.channelId);
    const attachments = this.resolveAttachments(body, args.files, []);
    const content = typeof body.content === 'string' ? body.content : '';
    const embeds = asObjects(body.embeds).map((e) => ({ type: 'rich', ...clone(e) }));
    const components = asObjects(body.components).map((c) => clone(c));
    const loading = (args.flags & MessageFlag.Loading) !== 0;
    const hasPoll = isObject(body.poll);
    const hasStickers = Array.isArray(body.sticker_ids) && body.sticker_ids.length > 0;
    if (!loading && !content && !embeds.length && !components.length && !attachments.length && !hasPoll && !hasStickers) throw err.emptyMessage();
    const now = this.now();
    const record = args.record;
    const message: StoredMessage = {
      id: snowflake(now),
      channelId: args.channelId,
      guildId: channel?.guildId ?? null,
      authorId: this.botUser.id,
      type: args.type ?? (isObject(body.message_reference) ? 19 : 0),
      content,
      embeds,
      components,
      attachments,
      allowedMentions: isObject(body.allowed_mentions) ? clone(body.allowed_mentions) : null,
      flags: args.flags,
      origin: args.origin,
      interactionId: record?.id ?? null,
      interactionMetadata: record
        ? {
            id: record.id,
            type: record.type,
            user: apiUser(record.user),
            authorizing_integration_owners: record.payload.authorizing_integration_owners,
            ...(record.type === InteractionType.ApplicationCommand && isObject(record.payload.data) ? { name: record.payload.data.name, command_type: 1 } : {}),
            ...(record.componentMessageId ? { interacted_message_id: record.componentMessageId } : {}),
          }
        : null,
      webhookId: record ? this.applicationId : null,
      messageReference: isObject(body.message_reference) ? { type: 0, channel_id: args.channelId, ...clone(body.message_reference) } : null,
      createdAt: now,
      editedAt: null,
      editTimes: [],
      oldEdits: 0,
      deleted: false,
    };
    this.store.set(message.id, message);
    return message;
  }

  private editMessage(message: StoredMessage, body: JsonObject, files: UploadedFile[]): StoredMessage {
    const now = this.now();
    const limit = this.opts.oldMessageEditLimitMs;
    const old = limit !== null && now - message.createdAt > limit;
    if (old && message.oldEdits >= this.opts.oldMessageEditAllowance) throw err.oldMessage();
    const attachments = files.length || Array.isArray(body.attachments) ? this.resolveAttachments(body, files, message.attachments) : message.attachments;
    const content = 'content' in body ? (typeof body.content === 'string' ? body.content : '') : message.content;
    const embeds = 'embeds' in body ? asObjects(body.embeds).map((e) => ({ type: 'rich', ...clone(e) })) : message.embeds;
    const components = 'components' in body ? asObjects(body.components).map((c) => clone(c)) : message.components;
    if (!content && !embeds.length && !components.length && !attachments.length) throw err.emptyMessage();
    message.content = content;
    message.embeds = embeds;
    message.components = components;
    message.attachments = attachments;
    message.allowedMentions = isObject(body.allowed_mentions) ? clone(body.allowed_mentions) : null;
    if (typeof body.flags === 'number') {
      // Only SUPPRESS_EMBEDS (and turning on components v2) can be changed by an edit.
      message.flags = (message.flags & ~MessageFlag.SuppressEmbeds) | (body.flags & (MessageFlag.SuppressEmbeds | MessageFlag.IsComponentsV2));
    }
    message.flags &= ~MessageFlag.Loading;
    message.editedAt = now;
    message.editTimes.push(now);
    if (old) message.oldEdits += 1;
    return message;
  }

  // ------------------------------------------------------------------ REST

  private buildRoutes(): Route[] {
    const routes: Route[] = [];
    const add = (method: string, pattern: string, auth: boolean, bucket: Route['bucket'], handle: Route['handle']) =>
      routes.push({ method, pattern, segments: pattern.split('/').filter(Boolean), auth, bucket, handle });
    const byRoute = (name: string, major?: string) => (params: Record<string, string>): BucketRef => ({ name, major: major ? (params[major] ?? '') : '', kind: 'default' });

    add('GET', '/gateway', false, byRoute('gateway'), () => ({ status: 200, body: { url: this.gatewayUrl } }));
    add('GET', '/gateway/bot', true, byRoute('gateway/bot'), () => ({
      status: 200,
      body: { url: this.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: 1 } },
    }));
    add('GET', '/users/@me', true, byRoute('users/@me'), () => ({ status: 200, body: { ...apiUser(this.botUser), verified: true, mfa_enabled: false, locale: 'en-US', email: null } }));
    add('GET', '/users/:userId', true, byRoute('users'), ({ params }) => {
      const user = this.knownUsers.get(params.userId ?? '');
      if (!user) throw err.unknownUser();
      return { status: 200, body: apiUser(user) };
    });
    add('POST', '/users/@me/channels', true, byRoute('users/@me/channels'), ({ body }) => {
      const recipient = typeof body.recipient_id === 'string' ? body.recipient_id : '';
      if (!this.knownUsers.has(recipient)) throw err.unknownUser();
      return { status: 200, body: this.apiChannel(this.dmChannel(recipient)) };
    });
    add('GET', '/applications/@me', true, byRoute('applications/@me'), () => ({
      status: 200,
      body: {
        id: this.applicationId,
        name: this.botUser.username,
        icon: null,
        description: '',
        summary: '',
        type: null,
        bot: apiUser(this.botUser),
        bot_public: false,
        bot_require_code_grant: false,
        verify_key: '0'.repeat(64),
        flags: 0,
        owner: apiUser(this.users.alice),
        team: null,
        guild_id: null,
        tags: [],
        redirect_uris: [],
        interactions_endpoint_url: null,
        approximate_guild_count: 1,
      },
    }));

    // application commands
    const commandsOf = (params: Record<string, string>) => {
      if (params.appId !== this.applicationId) throw err.notYourApplication();
      if (!params.guildId) return this.globalCommands;
      if (params.guildId !== this.guild.id) throw new HttpError(403, { message: 'Missing Access', code: 50001 });
      let map = this.guildCommands.get(params.guildId);
      if (!map) this.guildCommands.set(params.guildId, (map = new Map<string, RegisteredCommand>()));
      return map;
    };
    const storeCommand = (map: Map<string, RegisteredCommand>, raw: JsonObject, guildId?: string): RegisteredCommand => {
      const name = String(raw.name);
      const previous = [...map.values()].find((c) => c.name === name && (c.type ?? 1) === (raw.type ?? 1));
      const command: RegisteredCommand = {
        type: 1,
        description: '',
        options: [],
        default_member_permissions: null,
        dm_permission: true,
        nsfw: false,
        integration_types: [0],
        contexts: null,
        name_localizations: null,
        description_localizations: null,
        ...clone(raw),
        id: previous?.id ?? snowflake(this.now()),
        name,
        application_id: this.applicationId,
        version: snowflake(this.now()),
        ...(guildId ? { guild_id: guildId } : {}),
      };
      map.set(command.id, command);
      return command;
    };
    for (const pattern of ['/applications/:appId/commands', '/applications/:appId/guilds/:guildId/commands']) {
      add('GET', pattern, true, byRoute('commands', 'appId'), ({ params }) => ({ status: 200, body: [...commandsOf(params).values()] }));
      add('PUT', pattern, true, byRoute('commands-put', 'appId'), ({ params, req }) => {
        const map = commandsOf(params);
        const list = Array.isArray(req.body) ? asObjects(req.body) : [];
        const next = new Map<string, RegisteredCommand>();
        const stored = list.map((raw) => {
          const previous = [...map.values()].find((c) => c.name === raw.name && (c.type ?? 1) === (raw.type ?? 1));
          const command = storeCommand(next, { ...raw }, params.guildId);
          if (previous) {
            next.delete(command.id);
            command.id = previous.id;
            next.set(command.id, command);
          }
          return command;
        });
        map.clear();
        for (const [id, command] of next) map.set(id, command);
        return { status: 200, body: stored };
      });
      add('POST', pattern, true, byRoute('commands-post', 'appId'), ({ params, body }) => {
        const map = commandsOf(params);
        const existed = [...map.values()].some((c) => c.name === body.name);
        return { status: existed ? 200 : 201, body: storeCommand(map, body, params.guildId) };
      });
    }

    // channels and messages
    const channelOf = (params: Record<string, string>) => {
      const channel = this.channels.get(params.channelId ?? '');
      if (!channel) throw err.unknownChannel();
      return channel;
    };
    const channelMessage = (params: Record<string, string>) => {
      const channel = channelOf(params);
      const message = this.store.get(params.messageId ?? '');
      // Ephemeral messages exist only for the interaction token.
      if (!message || message.deleted || message.channelId !== channel.id || (message.flags & MessageFlag.Ephemeral) !== 0) throw err.unknownMessage();
      return message;
    };
    add('GET', '/channels/:channelId', true, byRoute('channels', 'channelId'), ({ params }) => {
      const channel = channelOf(params);
      return { status: 200, body: channel.guildId ? { ...this.apiChannel(channel), guild_id: channel.guildId } : this.apiChannel(channel) };
    });
    add('POST', '/channels/:channelId/typing', true, byRoute('typing', 'channelId'), ({ params }) => {
      channelOf(params);
      return { status: 204 };
    });
    add('GET', '/channels/:channelId/messages', true, byRoute('messages-get', 'channelId'), ({ params, query }) => {
      const channel = channelOf(params);
      const limit = Math.min(100, Number(query.limit ?? 50) || 50);
      const list = [...this.store.values()].filter((m) => m.channelId === channel.id && !m.deleted && (m.flags & MessageFlag.Ephemeral) === 0);
      return { status: 200, body: list.reverse().slice(0, limit).map((m) => this.apiMessage(m)) };
    });
    add('POST', '/channels/:channelId/messages', true, byRoute('messages-post', 'channelId'), ({ params, body, files }) => {
      const channel = channelOf(params);
      if (this.forbidden.has(channel.id)) throw err.missingPermissions();
      if (channel.type === 1 && channel.recipientId && this.dmBlocked.has(channel.recipientId)) throw err.cannotDm();
      const flags = typeof body.flags === 'number' ? body.flags & (MessageFlag.SuppressEmbeds | MessageFlag.SuppressNotifications | MessageFlag.IsComponentsV2) : 0;
      const message = this.createMessage({ channelId: channel.id, body, files, origin: 'channel', flags });
      return { status: 200, body: this.apiMessage(message) };
    });
    add('GET', '/channels/:channelId/messages/:messageId', true, byRoute('message-get', 'channelId'), ({ params }) => ({ status: 200, body: this.apiMessage(channelMessage(params)) }));
    add('PATCH', '/channels/:channelId/messages/:messageId', true, (p) => ({ name: 'edit-channel-message', major: p.channelId ?? '', kind: 'edit' }), ({ params, body, files }) => {
      const message = channelMessage(params);
      if (message.authorId !== this.botUser.id) throw err.notAuthor();
      return { status: 200, body: this.apiMessage(this.editMessage(message, body, files)) };
    });
    add('DELETE', '/channels/:channelId/messages/:messageId', true, byRoute('message-delete', 'channelId'), ({ params }) => {
      const message = channelMessage(params);
      if (message.authorId !== this.botUser.id) throw err.missingPermissions();
      message.deleted = true;
      return { status: 204 };
    });

    // interaction callback
    add('POST', '/interactions/:interactionId/:token/callback', false, null, (ctx) => this.interactionCallback(ctx));

    // interaction webhooks
    const webhookRecord = (ctx: RouteContext) => {
      const { params } = ctx;
      if (params.appId !== this.applicationId) throw err.unknownWebhook();
      const record = this.byToken.get(params.token ?? '');
      if (!record || this.now() >= record.expiresAt) throw err.invalidWebhookToken();
      ctx.req.interactionId = record.id;
      return record;
    };
    const webhookMessage = (ctx: RouteContext) => {
      const record = webhookRecord(ctx);
      const ref = ctx.params.messageId ?? '';
      const id = ref === '@original' ? record.originalMessageId : ref;
      const owned = id && (id === record.originalMessageId || record.followUpIds.includes(id));
      const message = owned ? this.store.get(id) : undefined;
      if (!message || message.deleted) throw err.unknownMessage();
      return { record, message };
    };
    const webhookBucket = (kind: 'edit' | 'default', name: string) => (p: Record<string, string>): BucketRef => ({ name, major: `${p.appId}/${p.token}`, kind });
    add('POST', '/webhooks/:appId/:token', false, webhookBucket('default', 'webhook-post'), (ctx) => {
      const record = webhookRecord(ctx);
      if (!record.callback) throw err.unknownWebhook();
      const wait = ctx.query.wait === 'true';
      const original = record.originalMessageId ? this.store.get(record.originalMessageId) : undefined;
      let message: StoredMessage;
      if (original && !original.deleted && (original.flags & MessageFlag.Loading) !== 0) {
        // A follow-up while the deferred reply is loading edits the loading message (its ephemeral flag stays).
        message = this.editMessage(original, ctx.body, ctx.files);
      } else {
        const flags = typeof ctx.body.flags === 'number' ? ctx.body.flags & (MessageFlag.Ephemeral | MessageFlag.SuppressEmbeds | MessageFlag.SuppressNotifications | MessageFlag.IsComponentsV2) : 0;
        message = this.createMessage({ channelId: record.channelId, body: ctx.body, files: ctx.files, origin: 'followup', flags, record });
        record.followUpIds.push(message.id);
      }
      return wait ? { status: 200, body: this.apiMessage(message) } : { status: 204 };
    });
    add('GET', '/webhooks/:appId/:token/messages/:messageId', false, webhookBucket('default', 'webhook-get'), (ctx) => ({ status: 200, body: this.apiMessage(webhookMessage(ctx).message) }));
    add('PATCH', '/webhooks/:appId/:token/messages/:messageId', false, webhookBucket('edit', 'edit-webhook-message'), (ctx) => {
      const { message } = webhookMessage(ctx);
      return { status: 200, body: this.apiMessage(this.editMessage(message, ctx.body, ctx.files)) };
    });
    add('DELETE', '/webhooks/:appId/:token/messages/:messageId', false, webhookBucket('default', 'webhook-delete'), (ctx) => {
      const { message } = webhookMessage(ctx);
      message.deleted = true;
      return { status: 204 };
    });
    return routes;
  }

  private interactionCallback(ctx: RouteContext): RouteResult {
    const record = this.interactions.get(ctx.params.interactionId ?? '');
    if (!record || record.token !== ctx.params.token) throw err.unknownInteraction();
    ctx.req.interactionId = record.id;
    const latencyMs = this.opts.responseClock() - record.createdReal;
    if (record.callback) throw err.alreadyAcknowledged();
    if (latencyMs > this.opts.interactionResponseDeadlineMs) throw err.unknownInteraction();
    const body = ctx.body;
    const type = typeof body.type === 'number' ? body.type : -1;
    const allowed: Record<number, number[]> = {
      [InteractionType.Ping]: [CallbackType.Pong],
      [InteractionType.ApplicationCommand]: [CallbackType.ChannelMessageWithSource, CallbackType.DeferredChannelMessageWithSource, CallbackType.Modal, CallbackType.LaunchActivity],
      [InteractionType.MessageComponent]: [CallbackType.ChannelMessageWithSource, CallbackType.DeferredChannelMessageWithSource, CallbackType.DeferredUpdateMessage, CallbackType.UpdateMessage, CallbackType.Modal],
      [InteractionType.Autocomplete]: [CallbackType.AutocompleteResult],
      [InteractionType.ModalSubmit]: record.componentMessageId
        ? [CallbackType.ChannelMessageWithSource, CallbackType.DeferredChannelMessageWithSource, CallbackType.DeferredUpdateMessage, CallbackType.UpdateMessage]
        : [CallbackType.ChannelMessageWithSource, CallbackType.DeferredChannelMessageWithSource],
    };
    if (!(allowed[record.type] ?? []).includes(type)) throw formError('type', 'INTERACTION_RESPONSE_TYPE_INVALID', `Callback type ${type} is not valid for interaction type ${record.type}`);
    const data = isObject(body.data) ? body.data : {};
    let message: StoredMessage | undefined;
    switch (type) {
      case CallbackType.ChannelMessageWithSource:
      case CallbackType.DeferredChannelMessageWithSource: {
        const requested = typeof data.flags === 'number' ? data.flags : 0;
        let flags = requested & (MessageFlag.Ephemeral | MessageFlag.SuppressEmbeds | MessageFlag.SuppressNotifications | MessageFlag.IsComponentsV2);
        if (type === CallbackType.DeferredChannelMessageWithSource) flags = (requested & MessageFlag.Ephemeral) | MessageFlag.Loading;
        message = this.createMessage({
          channelId: record.channelId,
          body: type === CallbackType.DeferredChannelMessageWithSource ? {} : data,
          files: ctx.files,
          origin: 'interaction',
          flags,
          record,
          type: record.type === InteractionType.ApplicationCommand ? 20 : 0,
        });
        record.originalMessageId = message.id;
        break;
      }
      case CallbackType.DeferredUpdateMessage:
      case CallbackType.UpdateMessage: {
        message = record.componentMessageId ? this.store.get(record.componentMessageId) : undefined;
        if (!message || message.deleted) throw err.unknownMessage();
        if (type === CallbackType.UpdateMessage) this.editMessage(message, data, ctx.files);
        record.originalMessageId = message.id;
        break;
      }
      case CallbackType.AutocompleteResult: {
        const choices = asArray(data.choices);
        if (choices.length > 25) throw formError('data.choices', 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
        break;
      }
      default:
        break;
    }
    record.callback = { type, data: isObject(body.data) ? clone(body.data) : null, files: ctx.files, withResponse: ctx.query.with_response === 'true', at: this.now(), latencyMs };
    if (ctx.query.with_response !== 'true') return { status: 204 };
    const interaction: JsonObject = { id: record.id, type: record.type };
    if (message) {
      interaction.response_message_id = message.id;
      interaction.response_message_loading = (message.flags & MessageFlag.Loading) !== 0;
      interaction.response_message_ephemeral = (message.flags & MessageFlag.Ephemeral) !== 0;
    }
    const resource: JsonObject = { type };
    if (message && type !== CallbackType.DeferredUpdateMessage) resource.message = this.apiMessage(message);
    return { status: 200, body: { interaction, resource } };
  }

  private matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } | null {
    const segments = path.split('/').filter(Boolean);
    let best: { route: Route; params: Record<string, string>; literals: number } | null = null;
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let literals = 0;
      const ok = route.segments.every((s, i) => {
        const actual = segments[i] ?? '';
        if (s.startsWith(':')) {
          params[s.slice(1)] = actual;
          return true;
        }
        literals++;
        return s === actual;
      });
      if (ok && (!best || literals > best.literals)) best = { route, params, literals };
    }
    return best;
  }

  private takeRateLimit(ref: BucketRef): { headers: Record<string, string>; limited: number | null } {
    const { kind } = ref;
    const bucketKey = `${ref.name} ${ref.major}`;
    const rl = this.opts.rateLimit;
    const limit = kind === 'edit' ? rl.editLimit : rl.defaultLimit;
    const windowMs = kind === 'edit' ? rl.editWindowMs : rl.defaultWindowMs;
    const realNow = Date.now();
    let bucket = this.buckets.get(bucketKey);
    if (!bucket || realNow - bucket.start >= bucket.windowMs) {
      bucket = { limit, windowMs, start: realNow, count: 0, hash: createHash('sha1').update(ref.name).digest('hex').slice(0, 16) };
      this.buckets.set(bucketKey, bucket);
    }
    const resetAfter = Math.max(0, bucket.start + bucket.windowMs - realNow) / 1000;
    let limited: number | null = null;
    if (bucket.count >= bucket.limit && rl.enforce) limited = resetAfter;
    else bucket.count += 1;
    const headers = {
      'X-RateLimit-Limit': String(bucket.limit),
      'X-RateLimit-Remaining': String(Math.max(0, bucket.limit - bucket.count)),
      'X-RateLimit-Reset': ((bucket.start + bucket.windowMs) / 1000).toFixed(3),
      'X-RateLimit-Reset-After': resetAfter.toFixed(3),
      'X-RateLimit-Bucket': bucket.hash,
    };
    return { headers, limited };
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const parsedUrl = new URL(rawUrl, 'http://127.0.0.1');
    const query: Record<string, string> = {};
    for (const [k, v] of parsedUrl.searchParams) query[k] = v;
    const raw = await readBody(req);
    const contentType = req.headers['content-type'] ?? null;

    // Attachment downloads (the CDN part of Discord).
    const attachment = /^\/attachments\/(\d+)\/(\d+)\//.exec(parsedUrl.pathname);
    if (method === 'GET' && attachment) {
      const found = [...this.store.values()].flatMap((m) => m.attachments).find((a) => a.id === attachment[2]);
      if (!found) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': found.contentType, 'Content-Length': String(found.size) }).end(found.data);
      return;
    }

    const versioned = /^\/api\/v10(\/|$)/.test(parsedUrl.pathname);
    const path = normalizeDiscordPath(parsedUrl.pathname);
    const record: RecordedRequest = {
      seq: ++this.seqCounter,
      method,
      url: rawUrl,
      path,
      route: null,
      query,
      headers: req.headers,
      authorization: typeof req.headers.authorization === 'string' ? req.headers.authorization : null,
      contentType,
      body: undefined,
      files: [],
      at: this.now(),
      violations: [],
    };
    this.requests.push(record);

    const respond = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      record.response = body;
      const finish = () => {
        if (res.writableEnded) return;
        if (status === 204 || body === undefined) res.writeHead(status, headers).end();
        else {
          const text = JSON.stringify(body);
          res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers }).end(text);
        }
        this.notify();
      };
      if (this.opts.restLatencyMs > 0) setTimeout(finish, this.opts.restLatencyMs);
      else finish();
    };

    try {
      if (raw.length) {
        if (contentType?.startsWith('multipart/form-data')) {
          const parsed = await parseMultipart(raw, contentType);
          record.body = parsed.body;
          record.files = parsed.files;
        } else {
          record.body = JSON.parse(raw.toString('utf8'));
        }
      }
    } catch {
      respond(400, { message: '400: Bad Request', code: 50109 });
      return;
    }

    const matched = versioned ? this.matchRoute(method, path) : !parsedUrl.pathname.startsWith('/api') ? this.matchRoute(method, path) : null;
    if (!matched || (!versioned && matched.route.pattern !== '/gateway')) {
      this.unhandled.push(record);
      respond(404, { message: '404: Not Found', code: 0 });
      return;
    }
    const { route, params } = matched;
    record.route = `${route.method} ${route.pattern}`;
    if (params.interactionId) record.interactionId = params.interactionId;

    // OpenAPI validation of everything the bot sends.
    const operation = findDiscordOperation(method, path);
    const problems = validateDiscordRequest(method, path, record.body);
    if (problems.length) {
      record.violations = problems;
      this.violations.push({ method, path, operation: operation?.template ?? null, errors: problems, body: record.body, requestSeq: record.seq });
    }

    let headers: Record<string, string> = {};
    try {
      if (route.auth) {
        const expected = `Bot ${this.token}`;
        if (record.authorization !== expected) throw err.unauthorized();
      }
      if (problems.length && this.opts.rejectInvalidBodies) throw err.invalidForm({ _errors: problems.map((message) => ({ code: 'SCHEMA', message })) });
      if (route.bucket) {
        const ref = route.bucket(params);
        const rl = this.takeRateLimit(ref);
        headers = rl.headers;
        if (rl.limited !== null) {
          const retryAfter = Math.max(0.001, rl.limited);
          this.rateLimitHits.push({ method, path, bucket: ref.name, retryAfter, at: this.now() });
          respond(429, { message: 'You are being rate limited.', retry_after: retryAfter, global: false }, { ...headers, 'Retry-After': retryAfter.toFixed(3), 'X-RateLimit-Scope': 'user' });
          return;
        }
      }
      const body = isObject(record.body) ? record.body : {};
      const result = await route.handle({ req: record, params, query, body, files: record.files });
      respond(result.status, result.body, headers);
    } catch (error) {
      if (error instanceof HttpError) respond(error.status, error.body, headers);
      else respond(500, { message: `simulator error: ${error instanceof Error ? error.message : String(error)}`, code: 0 });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const cancel of [...this.waiters.values()]) cancel();
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
  }
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
