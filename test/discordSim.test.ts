/**
 * The loopback Discord (test/discord/) driven by the real discord.js client: login and READY,
 * interactions and their answers, follow-ups, channel messages, token expiry, permissions, DMs,
 * command registration, rate limits, old-message edits, and the OpenAPI request validator.
 */
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  ChannelType,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  MessageFlags,
  ModalBuilder,
  PermissionFlagsBits,
  REST,
  Routes,
  StringSelectMenuBuilder,
  TextInputBuilder,
  TextInputStyle,
  type Interaction,
  type TextChannel,
} from 'discord.js';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { matchDiscordPath, validateDiscordRequest } from './discord/openapi.ts';
import { autocomplete, button, modalSubmit, selectMenu, slashCommand } from './discord/payloads.ts';
import { startDiscordSimulator, type DiscordSimulator, type DiscordSimulatorOptions } from './discord/server.ts';
import { isSnowflake } from './discord/snowflake.ts';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

interface Harness {
  sim: DiscordSimulator;
  client: Client;
  /** Errors thrown by interaction handlers (asserted empty unless a test expects some). */
  handlerErrors: unknown[];
  onInteraction: (handler: (interaction: Interaction) => Promise<void>) => void;
  /** Moves the clock the 3 s response deadline is measured on (it stands still otherwise). */
  advanceResponseClock: (ms: number) => void;
}

/**
 * The response deadline runs on a clock of the test's own: a loaded machine cannot push a prompt
 * answer past 3 s, and the deadline test moves the clock past it on purpose.
 */
async function setup(options: DiscordSimulatorOptions = {}): Promise<Harness> {
  let responseTime = 0;
  const sim = await startDiscordSimulator({ responseClock: () => responseTime, ...options });
  cleanups.push(() => sim.close());
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: sim.restApi } });
  cleanups.push(() => client.destroy());
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(sim.token);
  await ready;
  const handlerErrors: unknown[] = [];
  return {
    sim,
    client,
    handlerErrors,
    advanceResponseClock: (ms) => {
      responseTime += ms;
    },
    onInteraction(handler) {
      client.on(Events.InteractionCreate, (interaction) => {
        handler(interaction).catch((error: unknown) => handlerErrors.push(error));
      });
    },
  };
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const quiet = { allowedMentions: { parse: [] } } as const;

/** A plain HTTP call that ignores rate-limit headers (node:http; fetch keeps internal promises alive). */
function rawRequest(method: string, url: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const bodyHeaders = text ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) } : {};
    const req = httpRequest(url, { method, headers: { ...headers, ...bodyHeaders } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: raw ? (JSON.parse(raw) as unknown) : undefined });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(text);
  });
}

describe('Discord simulator: gateway and login', () => {
  it('lets the real discord.js client log in, get ready and cache the guild and channel', async () => {
    const { sim, client } = await setup();
    expect(client.isReady()).toBe(true);
    expect(client.user?.id).toBe(sim.botUser.id);
    expect(client.application?.id).toBe(sim.applicationId);
    const guild = client.guilds.cache.get(sim.guild.id);
    expect(guild?.name).toBe(sim.guild.name);
    expect(guild?.available).toBe(true);
    const channel = client.channels.cache.get(sim.channel.id);
    expect(channel?.type).toBe(ChannelType.GuildText);
    expect(guild?.members.me?.id).toBe(sim.botUser.id);
    expect(sim.identifies).toHaveLength(1);
    expect(sim.identifies[0]?.intents).toBe(GatewayIntentBits.Guilds);
    const gatewayBot = sim.requests.find((r) => r.path === '/gateway/bot');
    expect(gatewayBot?.authorization).toBe(`Bot ${sim.token}`);
    for (const id of [sim.applicationId, sim.guild.id, sim.channel.id, sim.users.alice.id, sim.users.bob.id]) expect(isSnowflake(id)).toBe(true);
    expect(sim.violations).toEqual([]);
    expect(sim.unhandled).toEqual([]);
  });

  it('rejects a wrong token like Discord does (401 on /gateway/bot)', async () => {
    const sim = await startDiscordSimulator();
    cleanups.push(() => sim.close());
    const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: sim.restApi } });
    cleanups.push(() => client.destroy());
    await expect(client.login('not-the-token')).rejects.toThrow(/token/i);
    expect(sim.requests.at(-1)?.status).toBe(401);
  });

  it('resumes after a gateway disconnect and keeps delivering interactions', async () => {
    const { sim, client, onInteraction } = await setup();
    onInteraction(async (i) => {
      if (i.isChatInputCommand()) await i.reply({ content: 'still here', ...quiet });
    });
    const resumed = new Promise<void>((resolve) => client.ws.shards.first()?.once('resumed', () => resolve()));
    sim.disconnectGateway(4000);
    await resumed;
    const handle = sim.sendInteraction(slashCommand({ name: 'ping' }));
    expect((await handle.waitForOriginal()).content).toBe('still here');
    expect(sim.identifies).toHaveLength(1);
  });
});

describe('Discord simulator: interactions', () => {
  it('delivers a slash command with options and stores the reply', async () => {
    const { sim, onInteraction, handlerErrors } = await setup();
    const seen: Record<string, unknown> = {};
    onInteraction(async (i) => {
      if (!i.isChatInputCommand()) return;
      Object.assign(seen, {
        name: i.commandName,
        genre: i.options.getString('genre'),
        rounds: i.options.getInteger('rounds'),
        temp: i.options.getNumber('temperature'),
        dry: i.options.getBoolean('dry_run'),
        rival: i.options.getUser('rival')?.username,
        user: i.user.username,
        guild: i.guildId,
        channel: i.channelId,
        canSend: i.appPermissions.has(PermissionFlagsBits.SendMessages),
        limit: i.attachmentSizeLimit,
      });
      await i.reply({ content: `Training <@${i.user.id}> on ${i.options.getString('genre')}`, ...quiet });
    });
    const handle = sim.sendInteraction(
      slashCommand({ name: 'train', options: { genre: 'horror', rounds: 3, temperature: 0.7, dry_run: true, rival: sim.users.bob }, user: sim.users.alice }),
    );
    const response = await handle.waitForResponse();
    expect(response.type).toBe(4);
    expect(response.latencyMs).toBeLessThan(3000);
    expect(seen).toEqual({
      name: 'train',
      genre: 'horror',
      rounds: 3,
      temp: 0.7,
      dry: true,
      rival: 'bob',
      user: 'alice',
      guild: sim.guild.id,
      channel: sim.channel.id,
      canSend: true,
      limit: 10 * 1024 * 1024,
    });
    const original = await handle.waitForOriginal();
    expect(original.content).toBe(`Training <@${sim.users.alice.id}> on horror`);
    expect(original.allowedMentions).toEqual({ parse: [] });
    expect(original.origin).toBe('interaction');
    expect(original.ephemeral).toBe(false);
    expect(sim.message(original.id)?.channelId).toBe(sim.channel.id);
    // The callback carries no Authorization header.
    const callback = handle.requests().find((r) => r.route?.includes('/callback'));
    expect(callback?.authorization).toBeNull();
    expect(callback?.status).toBe(204);
    expect(handlerErrors).toEqual([]);
    expect(sim.violations).toEqual([]);
  });

  it('answers ?with_response=true with a callback response object', async () => {
    const { sim, onInteraction } = await setup();
    const got = deferred<string | undefined>();
    onInteraction(async (i) => {
      if (!i.isChatInputCommand()) return;
      const response = await i.reply({ content: 'hello', withResponse: true, ...quiet });
      got.resolve(response.resource?.message?.id);
    });
    const handle = sim.sendInteraction(slashCommand({ name: 'hello' }));
    const messageId = await got.promise;
    expect(messageId).toBe(handle.original()?.id);
    expect(handle.response()?.withResponse).toBe(true);
  });

  it('defers, then edits the reply; a follow-up while still loading edits the loading message', async () => {
    const { sim, onInteraction, handlerErrors } = await setup();
    onInteraction(async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply({ flags: MessageFlags.Ephemeral });
      if (i.commandName === 'edit') {
        await i.editReply({ content: 'done', ...quiet });
        await i.followUp({ content: 'and a follow-up', ...quiet });
      } else {
        await i.followUp({ content: 'follow-up first', ...quiet });
      }
    });
    const edit = sim.sendInteraction(slashCommand({ name: 'edit' }));
    expect((await edit.waitForResponse()).type).toBe(5);
    const followUps = await edit.waitForFollowUps(1);
    expect(edit.original()).toMatchObject({ content: 'done', loading: false, ephemeral: true, editCount: 1 });
    expect(followUps[0]?.content).toBe('and a follow-up');
    expect(followUps[0]?.ephemeral).toBe(false);
    const followRequest = edit.requests().find((r) => r.method === 'POST' && r.path.startsWith('/webhooks/'));
    expect(followRequest?.query.wait).toBe('true');
    const patch = edit.requests().find((r) => r.method === 'PATCH');
    expect(patch?.url).toContain('%40original');

    const first = sim.sendInteraction(slashCommand({ name: 'first' }));
    const original = await first.waitForOriginal((m) => !m.loading);
    expect(original.content).toBe('follow-up first');
    expect(original.ephemeral).toBe(true);
    expect(first.followUps()).toEqual([]);
    expect(handlerErrors).toEqual([]);
    expect(sim.violations).toEqual([]);
  });

  it('clicks a button on the reply and the bot updates the message', async () => {
    const { sim, onInteraction, handlerErrors } = await setup();
    onInteraction(async (i) => {
      if (i.isChatInputCommand()) {
        const row = new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId('go').setLabel('Go').setStyle(ButtonStyle.Primary));
        await i.reply({ content: 'Ready?', components: [row], ...quiet });
      } else if (i.isButton()) {
        await i.update({ content: `${i.user.username} pressed ${i.customId}`, components: [], ...quiet });
      }
    });
    const command = sim.sendInteraction(slashCommand({ name: 'start' }));
    const reply = await command.waitForOriginal();
    expect(reply.components).toHaveLength(1);
    const click = command.click('go', sim.users.bob);
    expect((await click.waitForResponse()).type).toBe(7);
    const updated = await click.waitForOriginal((m) => m.editCount > 0);
    expect(updated.id).toBe(reply.id);
    expect(updated.content).toBe('bob pressed go');
    expect(updated.components).toEqual([]);
    expect(sim.editTimestamps(reply.id)).toHaveLength(1);
    expect(() => command.click('go')).toThrow(/no button/);
    expect(handlerErrors).toEqual([]);
    expect(sim.violations).toEqual([]);
  });

  it('handles a deferred update on a stub message, select menus, modals and autocomplete', async () => {
    const { sim, onInteraction, handlerErrors } = await setup();
    onInteraction(async (i) => {
      if (i.isButton()) {
        await i.deferUpdate();
        await i.editReply({ content: 'updated later', ...quiet });
      } else if (i.isStringSelectMenu()) {
        await i.update({ content: `picked ${i.values.join(',')}`, components: [], ...quiet });
      } else if (i.isChatInputCommand() && i.commandName === 'menu') {
        const menu = new StringSelectMenuBuilder().setCustomId('genre').addOptions({ label: 'Horror', value: 'horror' }, { label: 'Comedy', value: 'comedy' });
        await i.reply({ content: 'Pick one', components: [new ActionRowBuilder<StringSelectMenuBuilder>().addComponents(menu)], ...quiet });
      } else if (i.isChatInputCommand() && i.commandName === 'feedback') {
        const input = new TextInputBuilder().setCustomId('text').setLabel('Your feedback').setStyle(TextInputStyle.Paragraph);
        await i.showModal(new ModalBuilder().setCustomId('fb').setTitle('Feedback').addComponents(new ActionRowBuilder<TextInputBuilder>().addComponents(input)));
      } else if (i.isModalSubmit()) {
        await i.reply({ content: `thanks: ${i.fields.getTextInputValue('text')}`, flags: MessageFlags.Ephemeral, ...quiet });
      } else if (i.isAutocomplete()) {
        const typed = i.options.getFocused();
        await i.respond(['horror', 'history', 'comedy'].filter((g) => g.startsWith(typed)).map((g) => ({ name: g, value: g })));
      }
    });

    const stub = sim.sendInteraction(button({ customId: 'refresh' }));
    expect((await stub.waitForResponse()).type).toBe(6);
    expect((await stub.waitForOriginal((m) => m.content === 'updated later')).origin).toBe('stub');

    const menu = sim.sendInteraction(slashCommand({ name: 'menu' }));
    await menu.waitForOriginal();
    expect(() => menu.select('genre', ['western'])).toThrow(/no option/);
    const pick = menu.select('genre', ['comedy']);
    expect((await pick.waitForOriginal((m) => m.content.startsWith('picked'))).content).toBe('picked comedy');

    const direct = sim.sendInteraction(selectMenu({ customId: 'genre', values: ['horror'] }));
    expect((await direct.waitForOriginal((m) => m.content.startsWith('picked'))).content).toBe('picked horror');

    const feedback = sim.sendInteraction(slashCommand({ name: 'feedback' }));
    expect((await feedback.waitForResponse()).type).toBe(9);
    expect(feedback.modal()?.custom_id).toBe('fb');
    const submitted = feedback.submitModal({ text: 'lovely stories' });
    expect((await submitted.waitForOriginal()).content).toBe('thanks: lovely stories');
    expect(() => feedback.submitModal({ nope: 'x' })).toThrow(/no input/);
    const raw = sim.sendInteraction(modalSubmit({ customId: 'fb', fields: { text: 'label layout' }, layout: 'label' }));
    expect((await raw.waitForOriginal()).content).toBe('thanks: label layout');

    const ac = sim.sendInteraction(autocomplete({ name: 'train', options: { genre: 'h' }, focused: 'genre' }));
    await ac.waitForResponse();
    expect(ac.autocompleteChoices()).toEqual([
      { name: 'horror', value: 'horror' },
      { name: 'history', value: 'history' },
    ]);
    expect(handlerErrors).toEqual([]);
    expect(sim.violations).toEqual([]);
  });

  it('works in DMs (user instead of member, context 1)', async () => {
    const { sim, onInteraction } = await setup();
    const inGuild = deferred<boolean>();
    onInteraction(async (i) => {
      if (!i.isChatInputCommand()) return;
      inGuild.resolve(i.inGuild());
      await i.reply({ content: 'dm reply', ...quiet });
    });
    const handle = sim.sendInteraction(slashCommand({ name: 'help', guildId: null, user: sim.users.bob }));
    expect(await inGuild.promise).toBe(false);
    expect(handle.payload.user).toBeDefined();
    expect(handle.payload.member).toBeUndefined();
    const original = await handle.waitForOriginal();
    expect(original.guildId).toBeNull();
    expect(original.channelId).toBe(sim.dmChannel(sim.users.bob.id).id);
  });

  it('uploads attachments through multipart callbacks and follow-ups', async () => {
    const { sim, onInteraction, handlerErrors } = await setup();
    onInteraction(async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.reply({ content: 'model attached', files: [{ attachment: Buffer.from('{"weights":[1,2,3]}'), name: 'model.json', description: 'the model' }], ...quiet });
      await i.followUp({ content: 'log', files: [{ attachment: Buffer.from('line 1\n'), name: 'train.log' }], ...quiet });
    });
    const handle = sim.sendInteraction(slashCommand({ name: 'export' }));
    const original = await handle.waitForOriginal();
    expect(original.attachments).toHaveLength(1);
    expect(original.attachments[0]).toMatchObject({ filename: 'model.json', description: 'the model', size: 19 });
    expect(original.attachments[0]?.data.toString()).toBe('{"weights":[1,2,3]}');
    const [followUp] = await handle.waitForFollowUps(1);
    expect(followUp?.attachments[0]?.filename).toBe('train.log');
    const callback = handle.requests().find((r) => r.route?.includes('/callback'));
    expect(callback?.contentType).toMatch(/^multipart\/form-data/);
    expect(callback?.files[0]?.field).toBe('files[0]');
    const download = await rawRequest('GET', String((original.raw.attachments as { url: string }[])[0]?.url), {}, undefined);
    expect(download.body).toEqual({ weights: [1, 2, 3] });
    expect(handlerErrors).toEqual([]);
    expect(sim.violations).toEqual([]);
  });

  it('enforces the 3 s deadline and a single acknowledgement', async () => {
    const { sim, onInteraction, advanceResponseClock } = await setup();
    const gate = deferred();
    const late = deferred<unknown>();
    const second = deferred<unknown>();
    onInteraction(async (i) => {
      if (!i.isChatInputCommand()) return;
      if (i.commandName === 'slow') {
        await gate.promise;
        await i.reply({ content: 'too late', ...quiet }).then(() => late.resolve(null), late.resolve);
      } else {
        await i.reply({ content: 'once', ...quiet });
        // discord.js guards against double replies itself; go around it to see Discord's answer.
        await i.client.rest
          .post(Routes.interactionCallback(i.id, i.token), { body: { type: 4, data: { content: 'twice' } }, auth: false })
          .then(() => second.resolve(null), second.resolve);
      }
    });
    const slow = sim.sendInteraction(slashCommand({ name: 'slow' }));
    advanceResponseClock(3001);
    gate.resolve();
    const lateError = await late.promise;
    expect(lateError).toBeInstanceOf(DiscordAPIError);
    expect((lateError as DiscordAPIError).code).toBe(10062);
    expect(slow.response()).toBeUndefined();

    const twice = sim.sendInteraction(slashCommand({ name: 'twice' }));
    expect(await second.promise).toMatchObject({ code: 40060, status: 400 });
    expect((await twice.waitForOriginal()).content).toBe('once');
  });
});

describe('Discord simulator: token lifetime, channels, permissions', () => {
  it('surfaces an expired interaction token as DiscordAPIError 50027 (401)', async () => {
    const { sim, onInteraction } = await setup({ interactionTokenLifetimeMs: 15 * 60 * 1000 });
    const gate = deferred();
    const failure = deferred<unknown>();
    onInteraction(async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply();
      await gate.promise;
      await i.editReply({ content: 'after 15 minutes', ...quiet }).then(
        () => failure.resolve(null),
        (e: unknown) => failure.resolve(e),
      );
    });
    const handle = sim.sendInteraction(slashCommand({ name: 'long' }));
    await handle.waitForResponse();
    sim.advanceClock(15 * 60 * 1000 + 1);
    gate.resolve();
    const error = await failure.promise;
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).code).toBe(50027);
    expect((error as DiscordAPIError).status).toBe(401);
    expect(handle.original()?.loading).toBe(true);
    expect(sim.errorResponses().map((r) => r.status)).toEqual([401]);
  });

  it('expires tokens after interactionTokenLifetimeMs, and expireToken() does it at once', async () => {
    const { sim, onInteraction } = await setup({ interactionTokenLifetimeMs: 100 });
    const outcomes: unknown[] = [];
    const done = deferred();
    const gate = deferred();
    onInteraction(async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.reply({ content: 'first', ...quiet });
      if (i.commandName === 'wait') await new Promise((r) => setTimeout(r, 150));
      else await gate.promise;
      await i.followUp({ content: 'second', ...quiet }).then(
        () => outcomes.push(null),
        (e: unknown) => outcomes.push(e),
      );
      if (outcomes.length === 2) done.resolve();
    });
    sim.sendInteraction(slashCommand({ name: 'wait' }));
    const manual = sim.sendInteraction(slashCommand({ name: 'manual' }));
    await manual.waitForResponse();
    manual.expireToken();
    gate.resolve();
    await done.promise;
    expect(outcomes).toEqual([expect.objectContaining({ code: 50027 }), expect.objectContaining({ code: 50027 })]);
  });

  it('posts to channels with the bot token and edits its own messages', async () => {
    const { sim, client } = await setup();
    const channel = (await client.channels.fetch(sim.channel.id)) as TextChannel;
    const message = await channel.send({ content: 'Training 0%', ...quiet });
    expect(sim.message(message.id)).toMatchObject({ content: 'Training 0%', origin: 'channel', channelId: sim.channel.id });
    await message.edit({ content: 'Training 50%', ...quiet });
    const fetched = await channel.messages.fetch({ message: message.id, force: true });
    expect(fetched.content).toBe('Training 50%');
    expect(sim.editTimestamps(message.id)).toHaveLength(1);
    const post = sim.requests.find((r) => r.method === 'POST' && r.path === `/channels/${sim.channel.id}/messages`);
    expect(post?.authorization).toBe(`Bot ${sim.token}`);
    expect(post?.headers['x-ratelimit-precision']).toBeUndefined();
    await message.delete();
    expect(sim.message(message.id)?.deleted).toBe(true);
    expect(sim.messages()).toEqual([]);
    expect(sim.violations).toEqual([]);
  });

  it('answers 403 / 50013 in a forbidden channel, so the bot can fall back to a DM', async () => {
    const { sim, client, onInteraction } = await setup();
    sim.setChannelForbidden(sim.channel.id);
    const outcome = deferred<{ canSend: boolean; error: unknown }>();
    onInteraction(async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.reply({ content: 'Starting; progress follows.', flags: MessageFlags.Ephemeral, ...quiet });
      const canSend = i.appPermissions.has(PermissionFlagsBits.SendMessages);
      try {
        await (i.channel as TextChannel).send({ content: 'progress', ...quiet });
        outcome.resolve({ canSend, error: null });
      } catch (error) {
        await i.user.send({ content: 'progress (DM)', ...quiet });
        outcome.resolve({ canSend, error });
      }
    });
    sim.sendInteraction(slashCommand({ name: 'train', user: sim.users.bob }));
    const { canSend, error } = await outcome.promise;
    expect(canSend).toBe(false);
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).code).toBe(50013);
    expect((error as DiscordAPIError).status).toBe(403);
    const dm = await sim.waitForMessage((m) => m.content === 'progress (DM)');
    expect(dm.channelId).toBe(sim.dmChannel(sim.users.bob.id).id);
    expect(dm.guildId).toBeNull();
    // The guild data agrees: the bot's permissions in the channel lack SEND_MESSAGES.
    await sim.waitFor(() => client.channels.cache.get(sim.channel.id), 2000);
    const channel = client.channels.cache.get(sim.channel.id) as TextChannel;
    await sim.waitFor(() => !channel.permissionsFor(channel.guild.members.me!)?.has(PermissionFlagsBits.SendMessages), 2000, 'CHANNEL_UPDATE');
    sim.blockDirectMessages(sim.users.alice.id);
    await expect(client.users.send(sim.users.alice.id, { content: 'hi', ...quiet })).rejects.toMatchObject({ code: 50007, status: 403 });
  });

  it('fails edits of old messages with 30046', async () => {
    const { sim, client } = await setup({ oldMessageEditLimitMs: 60 * 60 * 1000, oldMessageEditAllowance: 1 });
    const channel = client.channels.cache.get(sim.channel.id) as TextChannel;
    const message = await channel.send({ content: 'progress', ...quiet });
    await message.edit({ content: 'young edit', ...quiet });
    sim.advanceClock(61 * 60 * 1000);
    await message.edit({ content: 'one old edit allowed', ...quiet });
    await expect(message.edit({ content: 'too many', ...quiet })).rejects.toMatchObject({ code: 30046, status: 400 });
    expect(sim.message(message.id)?.content).toBe('one old edit allowed');
  });
});

describe('Discord simulator: commands, rate limits', () => {
  it('bulk-overwrites global and guild commands over REST and reuses ids', async () => {
    const { sim, onInteraction } = await setup();
    const rest = new REST({ api: sim.restApi }).setToken(sim.token);
    const body = [
      { name: 'train', description: 'Train the model', options: [{ type: 3, name: 'genre', description: 'Genre', required: true, autocomplete: true }] },
      { name: 'status', description: 'Show status' },
    ];
    const stored = (await rest.put(Routes.applicationCommands(sim.applicationId), { body })) as { id: string; name: string; application_id: string }[];
    expect(stored.map((c) => c.name)).toEqual(['train', 'status']);
    expect(stored.every((c) => isSnowflake(c.id) && c.application_id === sim.applicationId)).toBe(true);
    const again = (await rest.put(Routes.applicationCommands(sim.applicationId), { body: body.slice(0, 1) })) as { id: string }[];
    expect(again[0]?.id).toBe(stored[0]?.id);
    const listed = (await rest.get(Routes.applicationCommands(sim.applicationId))) as { name: string }[];
    expect(listed.map((c) => c.name)).toEqual(['train']);
    await rest.put(Routes.applicationGuildCommands(sim.applicationId, sim.guild.id), { body: [{ name: 'debug', description: 'Debug' }] });
    expect(sim.commands(sim.guild.id).map((c) => c.name)).toEqual(['debug']);
    await expect(rest.put(Routes.applicationCommands('123456789012345678'), { body: [] })).rejects.toMatchObject({ code: 20012 });

    const commandId = deferred<string>();
    onInteraction(async (i) => {
      if (!i.isChatInputCommand()) return;
      commandId.resolve(i.commandId);
      await i.reply({ content: 'ok', ...quiet });
    });
    sim.sendInteraction(slashCommand({ name: 'train', options: { genre: 'horror' } }));
    expect(await commandId.promise).toBe(stored[0]?.id);
    expect(sim.violations).toEqual([]);
  });

  it('flags invalid command definitions (the spec omits the name rules)', async () => {
    const { sim } = await setup();
    const rest = new REST({ api: sim.restApi }).setToken(sim.token);
    await rest.put(Routes.applicationCommands(sim.applicationId), { body: [{ name: 'Train Now', description: 'bad name' }] });
    expect(sim.violations).toHaveLength(1);
    expect(sim.violations[0]?.errors.join('\n')).toMatch(/not a valid chat-input name/);
  });

  it('sends rate-limit headers that discord.js obeys, and answers 429 when they are ignored', async () => {
    const { sim, client } = await setup({ rateLimit: { editLimit: 2, editWindowMs: 400 } });
    const channel = client.channels.cache.get(sim.channel.id) as TextChannel;
    const message = await channel.send({ content: 'p 0', ...quiet });
    for (let n = 1; n <= 5; n++) await message.edit({ content: `p ${n}`, ...quiet });
    expect(sim.editTimestamps(message.id)).toHaveLength(5);
    expect(sim.maxEditsInWindow(message.id, 390)).toBeLessThanOrEqual(2);
    expect(sim.rateLimitHits).toEqual([]);
    const edit = sim.requests.find((r) => r.method === 'PATCH' && r.status === 200);
    expect(edit?.route).toBe('PATCH /channels/:channelId/messages/:messageId');

    // A client that ignores the headers gets 429s with retry_after.
    const url = `${sim.restApi}/v10/channels/${sim.channel.id}/messages/${message.id}`;
    const patch = () => rawRequest('PATCH', url, { Authorization: `Bot ${sim.token}` }, { content: 'spam', allowed_mentions: { parse: [] } });
    const responses = await Promise.all([patch(), patch(), patch()]);
    const limited = responses.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    expect(limited?.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
    expect((limited?.body as { retry_after: number }).retry_after).toBeGreaterThan(0);
    expect(sim.rateLimitHits.length).toBeGreaterThanOrEqual(1);
  });
});

describe('Discord OpenAPI validator', () => {
  it('maps concrete paths to the spec templates', () => {
    expect(matchDiscordPath('/api/v10/interactions/123/tok/callback')).toBe('/interactions/{interaction_id}/{interaction_token}/callback');
    expect(matchDiscordPath('/api/v10/webhooks/1/tok/messages/%40original')).toBe('/webhooks/{webhook_id}/{webhook_token}/messages/@original');
    expect(matchDiscordPath('/webhooks/1/tok/messages/2')).toBe('/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}');
    expect(matchDiscordPath('/channels/1/messages')).toBe('/channels/{channel_id}/messages');
    expect(matchDiscordPath('/users/@me/channels')).toBe('/users/@me/channels');
    expect(matchDiscordPath('/no/such/route')).toBeNull();
  });

  it('accepts valid bodies and reports invalid ones', () => {
    const valid = { type: 4, data: { content: 'hi', embeds: [{ title: 'Story', description: 'Once upon a time' }], allowed_mentions: { parse: [] }, flags: 64 } };
    expect(validateDiscordRequest('POST', '/interactions/1/t/callback', valid)).toEqual([]);
    expect(validateDiscordRequest('PATCH', '/webhooks/1/t/messages/@original', { content: 'x', components: [] })).toEqual([]);

    const longTitle = validateDiscordRequest('POST', '/interactions/1/t/callback', { type: 4, data: { embeds: [{ title: 'x'.repeat(257) }] } });
    expect(longTitle).toEqual([expect.stringMatching(/\/data\/embeds\/0\/title must NOT have more than 256 characters/)]);
    const wrongType = validateDiscordRequest('POST', '/channels/1/messages', { content: 42 });
    expect(wrongType.join('\n')).toMatch(/\/content must be string/);
    const badCallback = validateDiscordRequest('POST', '/interactions/1/t/callback', { type: 4, data: { components: [{ type: 1, components: [{ type: 2, style: 1, label: 'x'.repeat(81), custom_id: 'a' }] }] } });
    expect(badCallback.join('\n')).toMatch(/label/);
    const tooMuch = validateDiscordRequest('POST', '/channels/1/messages', { embeds: [{ description: 'a'.repeat(4000) }, { description: 'b'.repeat(4000) }] });
    expect(tooMuch.join('\n')).toMatch(/6000/);
    expect(validateDiscordRequest('POST', '/channels/1/messages', { content: 'c'.repeat(2001) }).join('\n')).toMatch(/2000/);
    expect(validateDiscordRequest('DELETE', '/nope', undefined)).toEqual(['no Discord route matches DELETE /nope']);
  });

  it('records what the bot sends wrong in sim.violations', async () => {
    const { sim, onInteraction } = await setup();
    onInteraction(async (i) => {
      if (!i.isChatInputCommand()) return;
      // Plain objects bypass discord.js's builders and their checks.
      await i.reply({ embeds: [{ title: 't'.repeat(300) }], ...quiet });
    });
    const handle = sim.sendInteraction(slashCommand({ name: 'bad' }));
    await handle.waitForOriginal();
    expect(sim.violations).toHaveLength(1);
    expect(sim.violations[0]?.operation).toBe('/interactions/{interaction_id}/{interaction_token}/callback');
    expect(sim.violations[0]?.errors[0]).toMatch(/title must NOT have more than 256 characters/);
  });
});
