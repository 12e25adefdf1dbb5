/**
 * Wire-format builders for the loopback Discord: users, the guild and its channels, messages, and the
 * interaction specs a test hands to `sim.sendInteraction(...)`. The builders only describe *what*
 * happened (which command, which button, which user); the simulator fills in ids, the token, the
 * application, guild, channel, permissions and the rest of the INTERACTION_CREATE payload.
 */

export type JsonObject = Record<string, unknown>;

/** A Discord user as tests see it. */
export interface SimUser {
  id: string;
  username: string;
  globalName?: string | null;
  bot?: boolean;
}

// Permission bits (https://discord.com/developers/docs/topics/permissions).
export const Permission = {
  AddReactions: 1n << 6n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  UseExternalEmojis: 1n << 18n,
  ChangeNickname: 1n << 26n,
  UseApplicationCommands: 1n << 31n,
  CreatePublicThreads: 1n << 35n,
  SendMessagesInThreads: 1n << 38n,
} as const;

/** What a bot invited with the usual scopes holds in the test guild. */
export const BOT_PERMISSIONS =
  Permission.AddReactions |
  Permission.ViewChannel |
  Permission.SendMessages |
  Permission.EmbedLinks |
  Permission.AttachFiles |
  Permission.ReadMessageHistory |
  Permission.UseExternalEmojis |
  Permission.UseApplicationCommands |
  Permission.SendMessagesInThreads;

/** @everyone in the test guild. */
export const EVERYONE_PERMISSIONS =
  Permission.AddReactions |
  Permission.ViewChannel |
  Permission.SendMessages |
  Permission.EmbedLinks |
  Permission.AttachFiles |
  Permission.ReadMessageHistory |
  Permission.UseExternalEmojis |
  Permission.ChangeNickname |
  Permission.UseApplicationCommands |
  Permission.CreatePublicThreads |
  Permission.SendMessagesInThreads;

export const MessageFlag = {
  SuppressEmbeds: 1 << 2,
  Ephemeral: 1 << 6,
  Loading: 1 << 7,
  SuppressNotifications: 1 << 12,
  IsComponentsV2: 1 << 15,
} as const;

export const InteractionType = { Ping: 1, ApplicationCommand: 2, MessageComponent: 3, Autocomplete: 4, ModalSubmit: 5 } as const;

export const CallbackType = {
  Pong: 1,
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  DeferredUpdateMessage: 6,
  UpdateMessage: 7,
  AutocompleteResult: 8,
  Modal: 9,
  LaunchActivity: 12,
} as const;

export const OptionType = {
  Subcommand: 1,
  SubcommandGroup: 2,
  String: 3,
  Integer: 4,
  Boolean: 5,
  User: 6,
  Channel: 7,
  Role: 8,
  Mentionable: 9,
  Number: 10,
  Attachment: 11,
} as const;

export const ComponentType = {
  ActionRow: 1,
  Button: 2,
  StringSelect: 3,
  TextInput: 4,
  UserSelect: 5,
  RoleSelect: 6,
  MentionableSelect: 7,
  ChannelSelect: 8,
  TextDisplay: 10,
  Label: 18,
} as const;

export function apiUser(user: SimUser): JsonObject {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.globalName ?? (user.bot ? null : user.username),
    avatar: null,
    bot: user.bot ?? false,
    system: false,
    public_flags: 0,
    flags: 0,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
  };
}

export function apiMember(user: SimUser, opts: { roles?: string[]; joinedAt: string; permissions?: bigint; withUser?: boolean }): JsonObject {
  const member: JsonObject = {
    avatar: null,
    banner: null,
    communication_disabled_until: null,
    deaf: false,
    flags: 0,
    joined_at: opts.joinedAt,
    mute: false,
    nick: null,
    pending: false,
    premium_since: null,
    roles: opts.roles ?? [],
    unusual_dm_activity_until: null,
  };
  if (opts.withUser !== false) member.user = apiUser(user);
  if (opts.permissions !== undefined) member.permissions = opts.permissions.toString();
  return member;
}

// ---------------------------------------------------------------------------------------------
// Interaction specs

/** Values of slash command / autocomplete options. A SimUser becomes a USER option (with resolved data). */
export type OptionValue = string | number | boolean | SimUser | { type: number; value: string | number | boolean; focused?: boolean };

export interface InteractionBase {
  /** Who acts; default: the simulator's first user (alice). */
  user?: SimUser;
  /** null = a DM with the bot; default: the simulator's guild. */
  guildId?: string | null;
  /** Default: the guild's text channel (or the DM channel when guildId is null). */
  channelId?: string;
  locale?: string;
  /** The gateway shard that receives it; default: the one Discord would pick (the guild's, shard 0 for DMs). */
  shard?: number;
  /** Fields merged last into the raw INTERACTION_CREATE payload (for odd cases). */
  raw?: JsonObject;
}

/** A message a component sits on: a simulator message id, or a raw API message object. */
export type MessageRef = string | JsonObject;

export interface InteractionSpec extends InteractionBase {
  type: number;
  data: JsonObject;
  /** Only for components and modal submits coming from a component. */
  message?: MessageRef;
  /** For slash commands / autocomplete: the command name, used to find a registered command id. */
  commandName?: string;
}

export interface SlashCommandInit extends InteractionBase {
  name: string;
  options?: Record<string, OptionValue>;
  subcommand?: string;
  subcommandGroup?: string;
  /** Default: the id of the registered command with that name, else a fresh snowflake. */
  commandId?: string;
}

export interface AutocompleteInit extends SlashCommandInit {
  /** Name of the focused option; alternatively mark one option `{ type, value, focused: true }`. */
  focused?: string;
}

export interface ButtonInit extends InteractionBase {
  customId: string;
  /** The message holding the button; default: a stub bot message carrying it is created. */
  message?: MessageRef;
}

export interface SelectMenuInit extends InteractionBase {
  customId: string;
  values: string[];
  message?: MessageRef;
  /** 3 string select (default), 5 user, 6 role, 7 mentionable, 8 channel. */
  componentType?: number;
}

export interface ModalSubmitInit extends InteractionBase {
  customId: string;
  /** Text input custom_id → value. */
  fields: Record<string, string>;
  /** The message when the modal was opened from a component. */
  message?: MessageRef;
  /** Shape of the submitted components: classic action rows (default) or label components. */
  layout?: 'actionRow' | 'label';
}

export interface Resolved {
  users?: Record<string, JsonObject>;
  members?: Record<string, JsonObject>;
}

function isSimUser(value: unknown): value is SimUser {
  return typeof value === 'object' && value !== null && 'id' in value && 'username' in value;
}

/** Builds the `options` array (and `resolved`) of a command interaction. */
export function commandOptions(
  options: Record<string, OptionValue> | undefined,
  focused: string | undefined,
  resolved: Resolved,
): JsonObject[] {
  return Object.entries(options ?? {}).map(([name, value]) => {
    if (isSimUser(value)) {
      (resolved.users ??= {})[value.id] = apiUser(value);
      return { name, type: OptionType.User, value: value.id };
    }
    if (typeof value === 'object') {
      const option: JsonObject = { name, type: value.type, value: value.value };
      if (value.focused || focused === name) option.focused = true;
      return option;
    }
    const type = typeof value === 'string' ? OptionType.String : typeof value === 'boolean' ? OptionType.Boolean : Number.isInteger(value) ? OptionType.Integer : OptionType.Number;
    const option: JsonObject = { name, type, value };
    if (focused === name) {
      option.focused = true;
      // While typing, Discord sends the partial input as a string, whatever the option type.
      option.value = String(value);
    }
    return option;
  });
}

function nestOptions(options: JsonObject[], subcommand?: string, group?: string): JsonObject[] {
  if (!subcommand) return options;
  const sub = { name: subcommand, type: OptionType.Subcommand, options };
  return group ? [{ name: group, type: OptionType.SubcommandGroup, options: [sub] }] : [sub];
}

function base(init: InteractionBase): InteractionBase {
  const out: InteractionBase = {};
  if (init.user) out.user = init.user;
  if (init.guildId !== undefined) out.guildId = init.guildId;
  if (init.channelId) out.channelId = init.channelId;
  if (init.locale) out.locale = init.locale;
  if (init.shard !== undefined) out.shard = init.shard;
  if (init.raw) out.raw = init.raw;
  return out;
}

/** A chat-input command, e.g. `slashCommand({ name: 'train', options: { genre: 'horror', rounds: 3 } })`. */
export function slashCommand(init: SlashCommandInit): InteractionSpec {
  const resolved: Resolved = {};
  const options = nestOptions(commandOptions(init.options, undefined, resolved), init.subcommand, init.subcommandGroup);
  const data: JsonObject = { name: init.name, type: 1, options };
  if (init.commandId) data.id = init.commandId;
  if (resolved.users) data.resolved = resolved;
  return { ...base(init), type: InteractionType.ApplicationCommand, data, commandName: init.name };
}

/** An autocomplete request; the focused option carries the partial input. */
export function autocomplete(init: AutocompleteInit): InteractionSpec {
  const resolved: Resolved = {};
  const options = nestOptions(commandOptions(init.options, init.focused, resolved), init.subcommand, init.subcommandGroup);
  const data: JsonObject = { name: init.name, type: 1, options };
  if (init.commandId) data.id = init.commandId;
  return { ...base(init), type: InteractionType.Autocomplete, data, commandName: init.name };
}

export function button(init: ButtonInit): InteractionSpec {
  const spec: InteractionSpec = { ...base(init), type: InteractionType.MessageComponent, data: { custom_id: init.customId, component_type: ComponentType.Button } };
  if (init.message !== undefined) spec.message = init.message;
  return spec;
}

export function selectMenu(init: SelectMenuInit): InteractionSpec {
  const spec: InteractionSpec = {
    ...base(init),
    type: InteractionType.MessageComponent,
    data: { custom_id: init.customId, component_type: init.componentType ?? ComponentType.StringSelect, values: [...init.values] },
  };
  if (init.message !== undefined) spec.message = init.message;
  return spec;
}

export function modalSubmit(init: ModalSubmitInit): InteractionSpec {
  let nextId = 1;
  const components = Object.entries(init.fields).map(([customId, value]) => {
    const input = { type: ComponentType.TextInput, id: 0, custom_id: customId, value };
    if (init.layout === 'label') {
      const id = nextId++;
      input.id = nextId++;
      return { type: ComponentType.Label, id, component: input };
    }
    const id = nextId++;
    input.id = nextId++;
    return { type: ComponentType.ActionRow, id, components: [input] };
  });
  const spec: InteractionSpec = { ...base(init), type: InteractionType.ModalSubmit, data: { custom_id: init.customId, components } };
  if (init.message !== undefined) spec.message = init.message;
  return spec;
}

/**
 * The components of a modal the bot opened (callback type 9), submitted with the given values.
 * Mirrors the modal's layout (action rows or labels); text inputs not in `values` are sent empty.
 * Throws if `values` names an input the modal does not have.
 */
export function submitModalComponents(modalComponents: unknown[], values: Record<string, string | string[]>): JsonObject[] {
  const known = new Set<string>();
  const convert = (component: unknown): JsonObject | null => {
    if (typeof component !== 'object' || component === null) return null;
    const c = component as JsonObject;
    const id = typeof c.id === 'number' ? c.id : undefined;
    if (c.type === ComponentType.ActionRow && Array.isArray(c.components)) {
      return { type: c.type, id, components: c.components.map(convert).filter((x): x is JsonObject => x !== null) };
    }
    if (c.type === ComponentType.Label && c.component) {
      const inner = convert(c.component);
      return inner ? { type: c.type, id, component: inner } : null;
    }
    if (c.type === ComponentType.TextDisplay) return { type: c.type, id };
    if (typeof c.custom_id !== 'string') return null;
    known.add(c.custom_id);
    const given = values[c.custom_id];
    if (c.type === ComponentType.TextInput) {
      return { type: c.type, id, custom_id: c.custom_id, value: Array.isArray(given) ? given.join(',') : (given ?? (typeof c.value === 'string' ? c.value : '')) };
    }
    return { type: c.type, id, custom_id: c.custom_id, values: given === undefined ? [] : Array.isArray(given) ? given : [given] };
  };
  const out = modalComponents.map(convert).filter((x): x is JsonObject => x !== null);
  for (const key of Object.keys(values)) if (!known.has(key)) throw new Error(`the modal has no input with custom_id ${JSON.stringify(key)} (has: ${[...known].join(', ')})`);
  return out;
}

/** Finds a component by custom_id anywhere in a message's component tree. */
export function findComponent(components: unknown, customId: string): JsonObject | undefined {
  if (!Array.isArray(components)) return undefined;
  for (const component of components) {
    if (typeof component !== 'object' || component === null) continue;
    const c = component as JsonObject;
    if (c.custom_id === customId) return c;
    const nested = findComponent(c.components, customId) ?? (c.accessory ? findComponent([c.accessory], customId) : undefined) ?? (c.component ? findComponent([c.component], customId) : undefined);
    if (nested) return nested;
  }
  return undefined;
}
