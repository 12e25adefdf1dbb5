/**
 * Public types of the loopback Discord (see server.ts): options, recorded requests, stored messages,
 * interaction handles and the simulator handle itself.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { InteractionSpec, JsonObject, SimUser } from './payloads.ts';

export interface RateLimitOptions {
  /** Answer 429 when a bucket is exhausted (default true). Headers are sent either way. */
  enforce?: boolean;
  /** Message edits (PATCH of a channel or webhook message): requests per window per channel / per token. Default 5. */
  editLimit?: number;
  /** Default 5000. */
  editWindowMs?: number;
  /** Every other route: requests per window per route and major parameter. Default 50. */
  defaultLimit?: number;
  /** Default 1000. */
  defaultWindowMs?: number;
}

export interface DiscordSimulatorOptions {
  /** The bot token the gateway and REST accept (default: a fixed fake token, see `sim.token`). */
  token?: string;
  applicationId?: string;
  botUsername?: string;
  guildName?: string;
  /** Lifetime of an interaction token; afterwards webhook calls get 401 / 50027. Default 15 min. */
  interactionTokenLifetimeMs?: number;
  /** The initial response must arrive within this time on `responseClock`, else 404 / 10062. Default 3000; Infinity disables. */
  interactionResponseDeadlineMs?: number;
  /**
   * The clock the response deadline is measured on (default: the real clock, as Discord does). A
   * test where the deadline is not the point passes one it advances itself, so a loaded machine
   * cannot make a fast bot look late.
   */
  responseClock?: () => number;
  /** Edits of messages older than this fail with 400 / 30046 (after `oldMessageEditAllowance` edits). Default: never. */
  oldMessageEditLimitMs?: number;
  /** Edits still allowed on an old message before 30046. Default 0. */
  oldMessageEditAllowance?: number;
  /** Channel ids where the bot may not post: POST messages → 403 / 50013 (and SEND_MESSAGES is denied in the guild data). */
  forbiddenChannels?: string[];
  /** User ids whose DMs are closed: posting in their DM channel → 403 / 50007. */
  dmBlockedUsers?: string[];
  rateLimit?: RateLimitOptions;
  /** Gateway heartbeat interval announced in HELLO. Default 41250. */
  heartbeatIntervalMs?: number;
  /** Per-attachment upload limit (and the interactions' attachment_size_limit). Default 10 MiB. */
  attachmentSizeLimit?: number;
  /** Answer 400 / 50035 to bodies that fail OpenAPI validation (they are recorded in `violations` either way). Default false. */
  rejectInvalidBodies?: boolean;
  /** Delay before each REST answer (real ms). Default 0. */
  restLatencyMs?: number;
}

export interface UploadedFile {
  /** Form field name, e.g. `files[0]`. */
  field: string;
  /** Index n of `files[n]` (null for other field names). */
  index: number | null;
  filename: string;
  contentType: string;
  size: number;
  data: Buffer;
}

export interface RecordedRequest {
  seq: number;
  method: string;
  /** The URL as received (path + query, still URL-encoded). */
  url: string;
  /** Path below `/api/v10`, decoded: `/webhooks/1/abc/messages/@original`. */
  path: string;
  /** The simulator route that handled it, e.g. `PATCH /webhooks/:appId/:token/messages/:messageId`; null if none. */
  route: string | null;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  authorization: string | null;
  contentType: string | null;
  /** Parsed JSON body, or the parsed `payload_json` of a multipart body; undefined if none. */
  body: unknown;
  files: UploadedFile[];
  /** Simulator-clock ms when it arrived. */
  at: number;
  /** Filled in once answered. */
  status?: number;
  response?: unknown;
  /** OpenAPI/documented-limit problems found in this request. */
  violations: string[];
  interactionId?: string;
}

export interface Violation {
  method: string;
  path: string;
  operation: string | null;
  errors: string[];
  body: unknown;
  requestSeq: number;
}

export interface RateLimitHit {
  method: string;
  path: string;
  bucket: string;
  retryAfter: number;
  at: number;
}

export interface SimAttachment {
  id: string;
  filename: string;
  size: number;
  contentType: string;
  description: string | null;
  data: Buffer;
}

export type MessageOrigin = 'interaction' | 'followup' | 'channel' | 'stub';

export interface SimMessage {
  id: string;
  channelId: string;
  guildId: string | null;
  authorId: string;
  content: string;
  embeds: JsonObject[];
  components: JsonObject[];
  attachments: SimAttachment[];
  /** `allowed_mentions` of the last create/edit (null when that write carried none). */
  allowedMentions: JsonObject | null;
  flags: number;
  ephemeral: boolean;
  /** A deferred reply not yet edited ("Bot is thinking…"). */
  loading: boolean;
  origin: MessageOrigin;
  interactionId: string | null;
  createdAt: number;
  editedAt: number | null;
  editCount: number;
  deleted: boolean;
  /** The API object discord.js receives. */
  raw: JsonObject;
}

export interface InteractionCallback {
  type: number;
  data: JsonObject | null;
  files: UploadedFile[];
  withResponse: boolean;
  /** Simulator-clock ms. */
  at: number;
  /** Real ms between dispatch and the callback's arrival. */
  latencyMs: number;
}

export interface RegisteredCommand extends JsonObject {
  id: string;
  name: string;
}

export interface SimChannel {
  id: string;
  name: string;
  type: number;
  guildId: string | null;
  /** For DM channels. */
  recipientId?: string;
}

export interface InteractionHandle {
  readonly id: string;
  readonly token: string;
  /** The INTERACTION_CREATE payload as dispatched. */
  readonly payload: JsonObject;
  /** The first accepted callback (reply, defer, update, modal, autocomplete result). */
  response(): InteractionCallback | undefined;
  waitForResponse(timeoutMs?: number): Promise<InteractionCallback>;
  /** Current state of the original response message (for components: the message after type 6/7). */
  original(): SimMessage | undefined;
  /** Waits until the original exists and matches (default: exists and is no longer loading). */
  waitForOriginal(predicate?: (message: SimMessage) => boolean, timeoutMs?: number): Promise<SimMessage>;
  followUps(): SimMessage[];
  waitForFollowUps(count: number, timeoutMs?: number): Promise<SimMessage[]>;
  /** Every request made with this interaction's id or token. */
  requests(): RecordedRequest[];
  /** Choices of an autocomplete result (callback type 8). */
  autocompleteChoices(): JsonObject[] | undefined;
  /** Data of the modal the bot opened (callback type 9). */
  modal(): JsonObject | undefined;
  /** Submits the modal the bot opened with these values (throws if it opened none or a field is unknown). */
  submitModal(values: Record<string, string | string[]>, user?: SimUser): InteractionHandle;
  /** Clicks a button on the original message (throws if it is missing or disabled). */
  click(customId: string, user?: SimUser): InteractionHandle;
  /** Picks values in a select menu on the original message. */
  select(customId: string, values: string[], user?: SimUser): InteractionHandle;
  /** Makes the token expire now (webhook calls → 401 / 50027). */
  expireToken(): void;
}

export interface DiscordSimulator {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** http://127.0.0.1:PORT/api — for `new Client({ rest: { api } })` / `new REST({ api })`. */
  readonly restApi: string;
  /** ws://127.0.0.1:PORT/gateway */
  readonly gatewayUrl: string;
  readonly token: string;
  readonly applicationId: string;
  readonly botUser: SimUser;
  readonly users: { readonly alice: SimUser; readonly bob: SimUser };
  readonly guild: { readonly id: string; readonly name: string };
  /** The guild's text channel (#general). */
  readonly channel: SimChannel;
  readonly requests: RecordedRequest[];
  readonly violations: Violation[];
  readonly rateLimitHits: RateLimitHit[];
  /** Requests no simulator route handled (answered 404). */
  readonly unhandled: RecordedRequest[];
  /** IDENTIFY payloads received. */
  readonly identifies: JsonObject[];

  sendInteraction(spec: InteractionSpec): InteractionHandle;
  /** Clicks a button on a stored message (throws if it is missing or disabled). */
  click(messageId: string, customId: string, user?: SimUser): InteractionHandle;
  select(messageId: string, customId: string, values: string[], user?: SimUser): InteractionHandle;
  /** Sends a raw gateway dispatch to the connected client. */
  dispatch(event: string, data: unknown): void;
  /** Closes the client's gateway connection (default code 4000, which discord.js resumes after). */
  disconnectGateway(code?: number): void;

  messages(filter?: { channelId?: string; includeDeleted?: boolean }): SimMessage[];
  message(id: string): SimMessage | undefined;
  commands(guildId?: string): RegisteredCommand[];
  /** Simulator-clock times of the successful edits of a message. */
  editTimestamps(messageId: string): number[];
  /** Largest number of edits of the message inside any window of `windowMs` (default 1000). */
  maxEditsInWindow(messageId: string, windowMs?: number): number;
  /** Requests answered with a 4xx/5xx. */
  errorResponses(): RecordedRequest[];

  /**
   * Resolves with the probe's first truthy result. The probe runs now and again after every
   * simulator event (request arrival or answer, gateway message, clock change) — no polling, so it
   * must look at simulator state; for the bot's own state await the bot's promises instead.
   */
  waitFor<T>(probe: () => T | null | undefined | false, timeoutMs?: number, what?: string): Promise<T>;
  /** Waits for an answered request matching the predicate. */
  waitForRequest(match: (request: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  waitForMessage(match: (message: SimMessage) => boolean, timeoutMs?: number): Promise<SimMessage>;

  addUser(user: { username: string; id?: string }): SimUser;
  addChannel(channel: { name: string; type?: number }): SimChannel;
  /** The DM channel between the bot and this user (created if needed). */
  dmChannel(userId: string): SimChannel;
  setChannelForbidden(channelId: string, forbidden?: boolean): void;
  blockDirectMessages(userId: string, blocked?: boolean): void;
  /** Moves the simulator clock forward (token expiry, message age, timestamps). */
  advanceClock(ms: number): void;
  now(): number;
  close(): Promise<void>;
}

