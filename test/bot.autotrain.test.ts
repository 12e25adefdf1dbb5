/**
 * /autotrain end to end: the real discord.js client (createBot) against the loopback Discord, the
 * real provider SDKs against the loopback provider simulators (all 7 teachers), an in-memory store.
 * Assertions are on what Discord received. Progress timings are shortened with setReporterTimings;
 * only upper bounds are asserted on timing (edits per window), and waits are on simulator events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageFlags } from 'discord.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SETUP_TTL_MS, setReporterTimings } from '../src/commands/autotrain.ts';
import { COMMANDS } from '../src/commands/index.ts';
import type { Command } from '../src/commands/types.ts';
import { customId } from '../src/discord/customId.ts';
import { button, slashCommand, type SimUser } from './discord/payloads.ts';
import type { SimMessage } from './discord/types.ts';
import { maxInWindow } from './discord/window.ts';
import { expectQuiet, messageWrites, startBotHarness, type BotHarness, type BotHarnessOptions } from './helpers/botHarness.ts';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  setReporterTimings({});
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup(options: BotHarnessOptions = {}): Promise<BotHarness> {
  const h = await startBotHarness({ teachers: true, ...options });
  cleanups.push(() => h.close());
  return h;
}

type Json = Record<string, unknown>;
interface Component extends Json {
  type: number;
  custom_id?: string;
  style?: number;
  label?: string;
  options?: { label: string; value: string; default?: boolean }[];
  components?: Component[];
}
interface Embed {
  title?: string;
  description?: string;
  fields?: { name: string; value: string }[];
  image?: { url: string };
  footer?: { text: string };
}

function flatComponents(message: SimMessage): Component[] {
  const out: Component[] = [];
  const walk = (list: unknown) => {
    for (const c of (list ?? []) as Component[]) {
      out.push(c);
      walk(c.components);
    }
  };
  walk(message.components);
  return out;
}

function component(message: SimMessage, action: string): Component {
  const found = flatComponents(message).find((c) => c.custom_id?.split(':')[2] === action);
  if (!found) throw new Error(`no component ${action} on message ${message.id}: ${JSON.stringify(message.components)}`);
  return found;
}

function embedOf(message: SimMessage): Embed {
  return message.embeds[0] ?? {};
}

function field(message: SimMessage, name: string): string {
  return embedOf(message).fields?.find((f) => f.name === name)?.value ?? '';
}

function text(message: SimMessage): string {
  return JSON.stringify({ content: message.content, embeds: message.embeds });
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const TEACHERS = ['gemini-2.5-flash', 'gemini-2.5-flash-lite', 'groq-llama-3.3-70b', 'groq-llama-3.1-8b', 'hf-qwen2.5-7b', 'hf-mistral-7b', 'ollama-llama3.2'];
const isResults = (m: SimMessage) => /Training (complete|cancelled|interrupted|failed)/.test(embedOf(m).title ?? '');

/** "**3 / 200** examples done" in a progress message; -1 when it is not one. */
function progressDone(m: SimMessage): number {
  return Number(/\*\*(\d+) \/ \d+\*\* examples done/.exec(embedOf(m).description ?? '')?.[1] ?? -1);
}

/** "12 of 200 examples done." in a results message. */
function resultsDone(m: SimMessage): number {
  return Number(/(\d+) of \d+ examples? done/.exec(embedOf(m).description ?? '')?.[1] ?? -1);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the bot's own state (the simulator cannot wake on it). */
async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Every provider simulator answers after `ms`: runs last long enough to press buttons during them. */
function providerLatency(h: BotHarness, ms: number): void {
  for (const provider of h.providers?.all() ?? []) provider.setBehavior('*', { latencyMs: ms });
}

async function openPanel(h: BotHarness, examples: number, user: SimUser = h.sim.users.alice) {
  const cmd = h.sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'start', options: { examples }, user }));
  const panel = await cmd.waitForOriginal();
  const token = String(component(panel, 'genres').custom_id).split(':')[3] ?? '';
  return { cmd, panel, token, setupId: (action: string) => customId('setup', action, token), stopId: customId('run', 'stop', token) };
}

/** Opens a panel and presses Start; resolves once Discord has the acknowledgment. */
async function startRun(h: BotHarness, examples: number, user: SimUser = h.sim.users.alice) {
  const panel = await openPanel(h, examples, user);
  const start = panel.cmd.click(panel.setupId('start'));
  await start.waitForResponse();
  return { ...panel, start };
}

/** The results message of this run, wherever it ended up. */
function resultsOf(h: BotHarness, token: string, timeoutMs = 30_000): Promise<SimMessage> {
  return h.sim.waitForMessage((m) => isResults(m) && JSON.stringify(m.components).includes(token), timeoutMs);
}

const CHANNEL_POST = 'POST /channels/:channelId/messages';
const CHANNEL_EDIT = 'PATCH /channels/:channelId/messages/:messageId';
const WEBHOOK_EDIT = 'PATCH /webhooks/:appId/:token/messages/:messageId';
const INTERACTION_CALLBACK = 'POST /interactions/:interactionId/:token/callback';

describe('/autotrain start end to end', () => {
  it('panel → genres and toggles → Start → coalesced progress → results with chart and buttons', async () => {
    setReporterTimings({ minEditIntervalMs: 200 });
    const h = await setup();
    const { sim, alice } = h;
    // Slow enough that progress shows between Start and the results: 2 rounds of 3 examples, each
    // at least 400 ms, so only an acknowledgment delayed past the whole run could skip the middle.
    providerLatency(h, 400);

    const cmd = sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'start', options: { examples: 6 } }));
    const panel = await cmd.waitForOriginal();
    expect(cmd.response()?.latencyMs).toBeLessThan(3000);
    expect(panel.ephemeral).toBe(false);
    expect(embedOf(panel).title).toBe('Train your story model');
    expect(field(panel, 'Examples')).toBe('6');
    expect(field(panel, 'Teachers')).toBe('All 7');
    expect(field(panel, 'Estimate')).toMatch(/about \*\*.+\*\* · 42 teacher calls/);
    const select = component(panel, 'genres');
    expect(select.type).toBe(3);
    expect(select.options).toHaveLength(25);
    expect(select.options?.some((o) => o.default)).toBe(false);
    expect(component(panel, 'save').style).toBe(3);
    expect(component(panel, 'memory').style).toBe(3);
    expect(component(panel, 'start').label).toBe('Start');
    expect(component(panel, 'cancel').label).toBe('Cancel');
    const token = String(select.custom_id).split(':')[3] ?? '';
    expect(token.startsWith(`${alice}-`)).toBe(true);
    const id = (action: string) => customId('setup', action, token);

    await cmd.select(id('genres'), ['Horror', 'Comedy']).waitForResponse();
    let current = cmd.original() as SimMessage;
    expect(component(current, 'genres').options?.filter((o) => o.default).map((o) => o.value).sort()).toEqual(['Comedy', 'Horror']);
    expect(field(current, 'Genres (2)')).toMatch(/Comedy/);

    await cmd.click(id('save')).waitForResponse();
    expect(component(cmd.original() as SimMessage, 'save').style).toBe(2);
    await cmd.click(id('save')).waitForResponse();
    expect(component(cmd.original() as SimMessage, 'save').style).toBe(3);
    await cmd.click(id('memory')).waitForResponse();
    current = cmd.original() as SimMessage;
    expect(component(current, 'memory').style).toBe(2);
    expect(component(current, 'save').style).toBe(3);

    const start = cmd.click(id('start'));
    const startedAt = (await start.waitForResponse()).at;
    expect(embedOf(cmd.original() as SimMessage).title).toMatch(/Training in progress|Queued/);

    // The user sees the run move before its results. Which edit carries it depends on timing (a
    // late acknowledgment shows the progress made meanwhile), so the state is watched, not counted.
    const midRun = await cmd.waitForOriginal((m) => isResults(m) || (progressDone(m) >= 1 && progressDone(m) < 6), 30_000);
    expect(isResults(midRun)).toBe(false);
    const final = await cmd.waitForOriginal(isResults, 30_000);
    expect(embedOf(final).title).toBe('✅ Training complete');
    // Coalesced: after Start, never two edits of the progress message within the minimum interval.
    const edits = sim.editTimestamps(final.id).filter((t) => t >= startedAt);
    expect(edits.length).toBeGreaterThanOrEqual(2); // progress (possibly in the acknowledgment), the results
    // 180 rather than 200: timers may fire a millisecond early against the wall clock; uncoalesced
    // edits would land a few milliseconds apart and still fail this.
    expect(maxInWindow(edits, 180)).toBeLessThanOrEqual(1);

    expect(final.attachments).toHaveLength(1);
    const chart = final.attachments[0];
    expect(chart?.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(embedOf(final).image?.url).toBe(`attachment://${chart?.filename}`);
    expect(field(final, 'Success rate')).toMatch(/\(6\/6\)/);
    expect(field(final, 'Stories saved')).toMatch(/^\d+$/);
    // One leaderboard row per teacher, those that never won included.
    const rows = (embedOf(final).description ?? '').split('\n').filter((line) => / — \d+ wins?/.test(line));
    expect(rows).toHaveLength(7);
    for (const teacher of TEACHERS) expect(rows.filter((row) => row.includes(`**${teacher}**`))).toHaveLength(1);
    const genres = field(final, 'Genre distribution').split(' · ');
    for (const part of genres) expect(part).toMatch(/^(Horror|Comedy) \*\*\d+\*\*$/);
    expect(genres.map((g) => Number(/\*\*(\d+)\*\*/.exec(g)?.[1])).reduce((a, b) => a + b, 0)).toBe(6);

    const saved = await h.store.stories.count(alice);
    expect(field(final, 'Stories saved')).toBe(String(saved));

    // Results buttons.
    const stories = sim.click(final.id, customId('results', 'stories', token));
    const list = await stories.waitForOriginal();
    expect(list.ephemeral).toBe(true);
    const board = sim.click(final.id, customId('results', 'leaderboard', token));
    const boardMessage = await board.waitForOriginal();
    expect(text(boardMessage)).toMatch(/Leaderboard|leaderboard/);
    const again = sim.click(final.id, customId('results', 'again', token));
    const panel2 = await again.waitForOriginal();
    expect(embedOf(panel2).title).toBe('Train your story model');
    expect(field(panel2, 'Examples')).toBe('6');
    expect(component(panel2, 'genres').options?.filter((o) => o.default).map((o) => o.value).sort()).toEqual(['Comedy', 'Horror']);
    // The progress edits showed the run's options (memory was switched off). The first may be the
    // acknowledgment itself (an interaction callback) when it went out late.
    const progressEdits = sim.requests.filter((r) => (r.route === WEBHOOK_EDIT || r.route === INTERACTION_CALLBACK) && JSON.stringify(r.body).includes('Training in progress'));
    expect(progressEdits.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(progressEdits.at(-1)?.body)).toMatch(/2 genres · 7 teachers · consensus voting · save on · memory off/);
    // Cancel on the new panel closes it.
    const token2 = String(component(panel2, 'genres').custom_id).split(':')[3] ?? '';
    const cancel = again.click(customId('setup', 'cancel', token2));
    const cancelled = await cancel.waitForOriginal((m) => m.content === 'Training cancelled.');
    expect(cancelled.components).toEqual([]);
    expect(await h.bot.runs.active(alice)).toBeUndefined();
    expectQuiet(h);
  });

  it('Stop ends a long run early: cancelled results with what was done, all of it stored', async () => {
    setReporterTimings({ minEditIntervalMs: 200 });
    const h = await setup();
    providerLatency(h, 100);
    const run = await startRun(h, 200);
    await run.cmd.waitForOriginal((m) => progressDone(m) >= 1, 20_000);

    const stop = run.cmd.click(run.stopId);
    expect((await stop.waitForResponse()).type).toBe(6);
    const final = await resultsOf(h, run.token);
    expect(final.id).toBe(run.panel.id);
    expect(embedOf(final).title).toBe('🛑 Training cancelled');
    expect(embedOf(final).description).toMatch(/\*\*Cancelled\*\*/);
    const done = resultsDone(final);
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(200);
    expect(final.attachments[0]?.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    // Windows are 90 % of the edit interval: timers may fire a millisecond early against the wall clock.
    expect(h.sim.maxEditsInWindow(final.id, 180)).toBeLessThanOrEqual(1);

    // Nothing lost: every counted example is in the store, and the run record agrees.
    const record = await h.store.runs.latest(h.alice);
    expect(record?.status).toBe('cancelled');
    expect(record?.counts.done).toBe(done);
    expect(await h.store.runs.examples(record?.id ?? '')).toHaveLength(done);
    expect(record?.message).toMatchObject({ channelId: h.sim.channel.id, messageId: run.panel.id });
    // A second press finds nothing to stop.
    const late = h.sim.sendInteraction(button({ customId: run.stopId, message: final.id }));
    expect((await late.waitForOriginal()).content).toMatch(/already finished/);
    expectQuiet(h);
  });
});

describe('/autotrain setup panel across bot processes', () => {
  it('a panel outlives its bot process: another process on the same database toggles it and starts the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zega-panel-'));
    cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    const env = { STORAGE_URL: `sqlite://${join(dir, 'zega.sqlite')}` };
    const first = await setup({ env });
    const panel = await openPanel(first, 2);
    // The process that opened it stops; another one, on the same file, gets the presses.
    const second = await setup({ env, sim: first.sim, ...(first.providers ? { providers: first.providers } : {}) });
    await first.bot.stop();
    await panel.cmd.click(panel.setupId('save')).waitForResponse();
    expect(component(panel.cmd.original() as SimMessage, 'save').style).toBe(2);
    await panel.cmd.click(panel.setupId('start')).waitForResponse();
    const results = await resultsOf(second, panel.token);
    expect(resultsDone(results)).toBe(2);
    const run = await second.store.runs.latest(second.alice);
    expect(run?.options).toMatchObject({ examples: 2, save: false });
    // The panel was taken by Start: a later press starts nothing more.
    const again = await second.sim.sendInteraction(button({ customId: panel.setupId('start') })).waitForOriginal();
    expect(again.ephemeral).toBe(true);
    expect(again.content).toMatch(/has expired/);
    expect(await second.store.runs.list(second.alice)).toHaveLength(1);
  });
});

describe('/autotrain builds the personal model by itself', () => {
  it('a run that crosses 50 fine-tuning examples ends with zega-<user>-v1 built and announced in the results', async () => {
    const h = await setup();
    const providers = h.providers as NonNullable<BotHarness['providers']>;
    // Long, descriptive stories with dialogue: every winner clears 7.0, so 60 examples cross 50.
    for (const provider of providers.all())
      provider.setBehavior('*', {
        text: (ctx) =>
          `The ancient ${ctx.model} lighthouse stood silent above the restless harbor, its golden lamp gentle and luminous. "We should not be here," she whispered, and the brittle stairs answered with a hollow creak. They climbed anyway, past crimson windows and velvet shadows, until the fierce wind fell quiet. At the top a weary keeper smiled, as if he had waited for them all his long, lonely life.`,
      });
    const { cmd, token } = await startRun(h, 60);
    const final = await cmd.waitForOriginal(isResults, 60_000);
    expect(resultsDone(final)).toBe(60);
    expect(await h.store.fineTune.count(h.alice)).toBeGreaterThanOrEqual(50);
    const created = providers.ollama.createdModels();
    expect(created.map((c) => c.model)).toEqual([`zega-${h.alice}-v1`]);
    expect(created[0]).toMatchObject({ from: 'llama3.2' });
    expect(field(final, '🧠 Personal model')).toContain(`zega-${h.alice}-v1`);
    expect(JSON.stringify(final.components)).toContain(token);
    expectQuiet(h);
  });
});

describe('/autotrain ownership and limits', () => {
  it('refuses another user on the panel, Stop and the results buttons, privately, changing nothing', async () => {
    setReporterTimings({ minEditIntervalMs: 1000 });
    const h = await setup();
    const { sim } = h;
    const bob = sim.users.bob;
    providerLatency(h, 100);
    const panel = await openPanel(h, 30);
    const before = sim.message(panel.panel.id);

    const refusals = [
      sim.select(panel.panel.id, panel.setupId('genres'), ['Horror'], bob),
      ...['save', 'memory', 'start', 'cancel'].map((action) => sim.click(panel.panel.id, panel.setupId(action), bob)),
    ];
    for (const refused of refusals) {
      const answer = await refused.waitForOriginal();
      expect(answer.ephemeral).toBe(true);
      expect(answer.content).toMatch(/Only the person who started this/);
    }
    const after = sim.message(panel.panel.id);
    expect(after?.editCount).toBe(before?.editCount);
    expect(after?.components).toEqual(before?.components);
    expect(after?.embeds).toEqual(before?.embeds);
    expect(await h.bot.runs.active(bob.id)).toBeUndefined();
    expect(await h.bot.runs.active(h.alice)).toBeUndefined();

    // Alice's panel still works, with her settings.
    const start = panel.cmd.click(panel.setupId('start'));
    await start.waitForResponse();
    expect((await h.bot.runs.active(h.alice))?.options).toMatchObject({ examples: 30, genres: [], save: true, memory: true });

    const bobStop = sim.click(panel.panel.id, panel.stopId, bob);
    const stopRefusal = await bobStop.waitForOriginal();
    expect(stopRefusal.ephemeral).toBe(true);
    expect(stopRefusal.content).toMatch(/Only the person who started this/);
    expect((await h.bot.runs.active(h.alice))?.stopping).toBe(false);

    const final = await resultsOf(h, panel.token);
    expect(embedOf(final).title).toBe('✅ Training complete');
    expect(resultsDone(final)).toBe(30);
    expect(sim.maxEditsInWindow(final.id, 900)).toBeLessThanOrEqual(1);
    const messagesBefore = sim.messages().length;
    for (const action of ['stories', 'leaderboard', 'again']) {
      const refused = await sim.click(final.id, customId('results', action, panel.token), bob).waitForOriginal();
      expect(refused.ephemeral).toBe(true);
      expect(refused.content).toMatch(/Only the person who started this/);
    }
    // Only the three refusals were added; the results message is as it was.
    expect(sim.messages().length).toBe(messagesBefore + 3);
    expect(sim.message(final.id)?.editCount).toBe(final.editCount);
    expect(sim.message(final.id)?.embeds).toEqual(final.embeds);
    expect(await h.bot.runs.active(bob.id)).toBeUndefined();
    expect(await h.store.runs.latest(bob.id)).toBeUndefined();
    expectQuiet(h);
  });

  it('one active run per user; beyond MAX_CONCURRENT_RUNS runs wait in a queue and start in turn', async () => {
    setReporterTimings({ minEditIntervalMs: 200 });
    const h = await setup({ env: { MAX_CONCURRENT_RUNS: '1' } });
    const { sim } = h;
    providerLatency(h, 100);
    const alice = await startRun(h, 200);
    await alice.cmd.waitForOriginal((m) => progressDone(m) >= 1, 20_000);

    // Alice again: pointed at the run she has.
    const second = await sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'start' })).waitForOriginal();
    expect(second.ephemeral).toBe(true);
    expect(second.content).toMatch(/already have a run in progress/);
    expect(second.content).toContain(`https://discord.com/channels/${sim.guild.id}/${sim.channel.id}/${alice.panel.id}`);

    // Bob waits in the queue, position 1; Carol behind him, and she leaves.
    const bob = await startRun(h, 3, sim.users.bob);
    const queued = await bob.cmd.waitForOriginal((m) => /Waiting in queue: position \*\*1\*\*/.test(embedOf(m).description ?? ''));
    expect(embedOf(queued).title).toBe('⏳ Queued');
    const carolUser = sim.addUser({ username: 'carol' });
    const carol = await startRun(h, 3, carolUser);
    await carol.cmd.waitForOriginal((m) => /Waiting in queue: position \*\*2\*\*/.test(embedOf(m).description ?? ''));
    const bobStatus = await sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'status', user: sim.users.bob })).waitForOriginal();
    expect(bobStatus.ephemeral).toBe(true);
    expect(bobStatus.content).toMatch(/waiting in the queue/);
    await carol.cmd.click(carol.stopId).waitForResponse();
    const left = await carol.cmd.waitForOriginal((m) => embedOf(m).title === 'Left the queue');
    expect(left.components).toEqual([]);
    expect(await h.bot.runs.active(carolUser.id)).toBeUndefined();
    expect((await h.bot.runs.session(bob.token))?.status).toBe('queued');

    // Alice's run ends: Bob's starts and finishes.
    await alice.cmd.click(alice.stopId).waitForResponse();
    expect(embedOf(await resultsOf(h, alice.token)).title).toBe('🛑 Training cancelled');
    const bobFinal = await resultsOf(h, bob.token);
    expect(bobFinal.id).toBe(bob.panel.id);
    expect(embedOf(bobFinal).title).toBe('✅ Training complete');
    expect(resultsDone(bobFinal)).toBe(3);
    // Bob's run started only once Alice's had finished.
    const aliceRecord = await h.store.runs.latest(h.alice);
    const bobRecord = await h.store.runs.latest(sim.users.bob.id);
    expect(bobRecord?.status).toBe('done');
    expect(bobRecord?.startedAt).toBeGreaterThanOrEqual(aliceRecord?.finishedAt ?? Infinity);
    // Bob was told his position once: the queue moving behind him did not edit his message.
    const bobQueued = sim.requests.filter((r) => r.interactionId === bob.start.id && JSON.stringify(r.body).includes('Waiting in queue'));
    expect(bobQueued).toHaveLength(1);
    expectQuiet(h);
  });
});

describe('/autotrain never pings', () => {
  it('sends and edits everything with allowed_mentions { parse: [] }, even with mentions in the generated stories', async () => {
    setReporterTimings({ minEditIntervalMs: 1000 });
    const h = await setup();
    const { sim } = h;
    const loud =
      'Hey @everyone and <@123456789012345678>, listen to this tale. The lighthouse keeper crossed the silent harbor before the storm arrived. ' +
      '"We should not be here," she said. The golden tower waited by the ancient valley while the city slept. ' +
      'A quiet child followed the luminous bridge under a borrowed moon, and the brittle garden answered with a gentle song.';
    for (const provider of h.providers?.all() ?? []) provider.setBehavior('*', { text: loud });

    const run = await startRun(h, 4);
    const final = await resultsOf(h, run.token);
    expect(embedOf(final).title).toBe('✅ Training complete');
    expect(await h.store.stories.count(h.alice)).toBeGreaterThan(0);

    const stories = sim.click(final.id, customId('results', 'stories', run.token));
    const list = await stories.waitForOriginal();
    expect(list.ephemeral).toBe(true);
    // The generated text reached Discord as it was written…
    expect(JSON.stringify(list.components)).toContain('@everyone');
    // …and pinged nobody: every write of this test carried an explicit empty allowed_mentions.
    const writes = messageWrites(sim);
    expect(writes.length).toBeGreaterThanOrEqual(4);
    for (const { request, data } of writes) expect([request.method, request.path, data.allowed_mentions]).toEqual([request.method, request.path, { parse: [] }]);
    expect(new Set(writes.map((w) => w.request.route))).toEqual(new Set([INTERACTION_CALLBACK, WEBHOOK_EDIT]));
    for (const message of sim.messages()) expect(message.raw.mention_everyone).toBe(false);
    expectQuiet(h);
  });
});

describe('/autotrain beyond the 15-minute interaction token', () => {
  // Progress moves 2 s into the run, leaving the (6 s) token 4 s for the pointer edit even on a slow machine.
  const handoverTimings = { minEditIntervalMs: 1000, tokenLifetimeMs: 6000, handoverMarginMs: 4000 };

  it('moves progress to a channel message before the token dies, points the original at it, and finishes there', async () => {
    setReporterTimings(handoverTimings);
    const h = await setup({ discord: { interactionTokenLifetimeMs: 6000 } });
    const { sim } = h;
    providerLatency(h, 200);
    const run = await startRun(h, 200);

    const post = await sim.waitForRequest((r) => r.route === CHANNEL_POST && r.status === 200, 20_000);
    expect(post.path).toBe(`/channels/${sim.channel.id}/messages`);
    const movedId = String((post.response as { id: string }).id);
    const pointer = await run.cmd.waitForOriginal((m) => m.content.startsWith('Progress continues here'), 10_000);
    expect(pointer.content).toContain(`https://discord.com/channels/${sim.guild.id}/${sim.channel.id}/${movedId}`);
    expect(pointer.embeds).toEqual([]);
    expect(pointer.components).toEqual([]);
    await sim.waitForRequest((r) => r.route === CHANNEL_EDIT && r.status === 200 && r.path.endsWith(`/${movedId}`), 20_000);

    // /autotrain status links the new message.
    const status = await sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'status' })).waitForOriginal();
    expect(status.content).toContain(`/${sim.channel.id}/${movedId}`);

    await sim.click(movedId, run.stopId).waitForResponse();
    const final = await resultsOf(h, run.token);
    expect(final.id).toBe(movedId);
    expect(final.origin).toBe('channel');
    expect(embedOf(final).title).toBe('🛑 Training cancelled');
    expect(final.attachments[0]?.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(embedOf(final).image?.url).toBe(`attachment://${final.attachments[0]?.filename}`);

    // After the pointer, the token was not used again: no webhook call after it, no 401.
    const startCalls = sim.requests.filter((r) => r.interactionId === run.start.id);
    expect((startCalls.at(-1)?.body as { content?: string } | undefined)?.content).toMatch(/^Progress continues here/);
    expect(sim.errorResponses()).toEqual([]);
    expect(sim.maxEditsInWindow(movedId, 900)).toBeLessThanOrEqual(1);
    expect((await h.store.runs.latest(h.alice))?.message).toMatchObject({ channelId: sim.channel.id, messageId: movedId, via: 'channel' });
    expectQuiet(h);
  });

  it('uses a DM when the bot may not post in the channel', async () => {
    setReporterTimings(handoverTimings);
    const h = await setup({ discord: { interactionTokenLifetimeMs: 6000 } });
    const { sim } = h;
    sim.setChannelForbidden(sim.channel.id);
    providerLatency(h, 200);
    const run = await startRun(h, 200);

    const dm = sim.dmChannel(h.alice);
    const moved = await sim.waitForMessage((m) => m.channelId === dm.id, 20_000);
    expect(sim.requests.some((r) => r.route === CHANNEL_POST && r.path === `/channels/${sim.channel.id}/messages` && r.status === 403)).toBe(true);
    const pointer = await run.cmd.waitForOriginal((m) => m.content.startsWith('Progress continues here'), 10_000);
    expect(pointer.content).toContain(`https://discord.com/channels/@me/${dm.id}/${moved.id}`);
    await sim.waitForRequest((r) => r.route === CHANNEL_EDIT && r.status === 200 && r.path === `/channels/${dm.id}/messages/${moved.id}`, 20_000);
    const status = await sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'status' })).waitForOriginal();
    expect(status.content).toContain(`Progress: https://discord.com/channels/@me/${dm.id}/${moved.id}`);

    await sim.click(moved.id, run.stopId).waitForResponse();
    const final = await resultsOf(h, run.token);
    expect(final.id).toBe(moved.id);
    expect(final.channelId).toBe(dm.id);
    expect(embedOf(final).title).toBe('🛑 Training cancelled');
    expect(final.attachments).toHaveLength(1);
    expect(sim.messages({ channelId: sim.channel.id }).filter((m) => m.origin === 'channel')).toEqual([]);
    expectQuiet(h);
  });

  it('when it can post neither in the channel nor by DM, keeps the interaction message while the token lives, then stops trying', async () => {
    setReporterTimings({ minEditIntervalMs: 500, tokenLifetimeMs: 4000, handoverMarginMs: 2000 });
    const h = await setup({ discord: { interactionTokenLifetimeMs: 4000 } });
    const { sim } = h;
    sim.setChannelForbidden(sim.channel.id);
    sim.blockDirectMessages(h.alice);
    providerLatency(h, 200);
    const run = await startRun(h, 200);

    const stuck = await run.cmd.waitForOriginal((m) => m.content.startsWith('I cannot post in this channel or send you a DM'), 20_000);
    expect(stuck.components).not.toEqual([]);
    // Past the token's end (simulator clock) plus a few intervals: the reporter has given up on progress.
    const tokenEnd = (run.start.response()?.at ?? 0) + 4000;
    await until(() => sim.now() > tokenEnd + 2000, 20_000);
    // On a loaded machine a request the reporter sent before the end can still land after it:
    // what counts is that the refusals stop (no new one for 1.5 s) and stay few.
    let refusedBefore = sim.errorResponses().length;
    for (let quietFor = 0; quietFor < 1500; ) {
      await sleep(100);
      const refused = sim.errorResponses().length;
      quietFor = refused === refusedBefore ? quietFor + 100 : 0;
      refusedBefore = refused;
    }
    expect(refusedBefore).toBeLessThanOrEqual(6);

    // Stop still works (a new interaction on the old message); the result cannot be delivered, but is stored.
    await run.cmd.click(run.stopId).waitForResponse();
    await until(async () => (await h.store.runs.latest(h.alice))?.status === 'cancelled', 20_000);
    await until(() => h.logs.some((l) => l.includes('the final result could not be delivered')), 20_000);
    expect(sim.errorResponses().length).toBeLessThanOrEqual(refusedBefore + 4);
    const status = await sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'status' })).waitForOriginal();
    expect(status.content).toMatch(/^Your last run \(cancelled/);
    expect(sim.messages().filter((m) => m.origin === 'channel')).toEqual([]);
    expectQuiet(h, { logs: false });
  });

  it('replaces its own progress message once it reaches repostAfterMs, pointing the old one at the new', async () => {
    setReporterTimings({ ...handoverTimings, repostAfterMs: 1500 });
    const h = await setup({ discord: { interactionTokenLifetimeMs: 6000 } });
    const { sim } = h;
    providerLatency(h, 200);
    const run = await startRun(h, 200);

    const first = await sim.waitForRequest((r) => r.route === CHANNEL_POST && r.status === 200, 20_000);
    const firstId = String((first.response as { id: string }).id);
    const second = await sim.waitForRequest((r) => r.route === CHANNEL_POST && r.status === 200 && r.seq > first.seq, 20_000);
    const secondId = String((second.response as { id: string }).id);
    const old = await sim.waitForMessage((m) => m.id === firstId && m.content.startsWith('Progress continues here'), 10_000);
    expect(old.content).toContain(`/${sim.channel.id}/${secondId}`);
    expect(old.components).toEqual([]);

    await sim.click(secondId, run.stopId).waitForResponse();
    const final = await resultsOf(h, run.token);
    // On the second message, or a later one if it grew old again before Stop.
    expect(final.origin).toBe('channel');
    expect(final.id).not.toBe(firstId);
    expect(embedOf(final).title).toBe('🛑 Training cancelled');
    expect(sim.errorResponses()).toEqual([]);
    expectQuiet(h);
  });

  it('reposts when Discord refuses to edit an old message (30046), first the interaction message, then its own', async () => {
    setReporterTimings({ minEditIntervalMs: 1000, repostAfterMs: 10 * 60_000 });
    const h = await setup({ discord: { oldMessageEditLimitMs: 60_000 } });
    const { sim } = h;
    providerLatency(h, 200);
    const run = await startRun(h, 200);
    const startedSeq = sim.requests.length;
    await sim.waitForRequest((r) => r.seq > startedSeq && r.route === WEBHOOK_EDIT && r.status === 200, 20_000);

    // An hour later (as far as Discord can tell): the interaction message can no longer be edited.
    sim.advanceClock(61_000);
    const first = await sim.waitForRequest((r) => r.route === CHANNEL_POST && r.status === 200, 20_000);
    const firstId = String((first.response as { id: string }).id);
    expect(sim.requests.some((r) => r.route === WEBHOOK_EDIT && (r.response as { code?: number } | undefined)?.code === 30046)).toBe(true);
    // Its stale Stop button is gone: the pointer edit was refused too, so the message was deleted.
    await sim.waitFor(() => sim.message(run.panel.id)?.deleted, 10_000, 'the old interaction message to be deleted');
    await sim.waitForRequest((r) => r.route === CHANNEL_EDIT && r.status === 200 && r.path.endsWith(`/${firstId}`), 20_000);

    // Again for the bot's own message: a fresh one replaces it.
    sim.advanceClock(61_000);
    const second = await sim.waitForRequest((r) => r.route === CHANNEL_POST && r.status === 200 && r.seq > first.seq, 20_000);
    const secondId = String((second.response as { id: string }).id);
    expect(sim.requests.some((r) => r.route === CHANNEL_EDIT && r.path.endsWith(`/${firstId}`) && (r.response as { code?: number } | undefined)?.code === 30046)).toBe(true);
    await sim.waitFor(() => sim.message(firstId)?.deleted, 10_000, 'the old progress message to be deleted');

    await sim.click(secondId, run.stopId).waitForResponse();
    const final = await resultsOf(h, run.token);
    expect(final.id).toBe(secondId);
    expect(embedOf(final).title).toBe('🛑 Training cancelled');
    expect(final.attachments).toHaveLength(1);
    expect((await h.store.runs.latest(h.alice))?.message).toMatchObject({ messageId: secondId, via: 'channel' });
    expectQuiet(h);
  });
});

describe('/autotrain status', () => {
  it('answers privately before, during and after a run', async () => {
    setReporterTimings({ minEditIntervalMs: 1000 });
    const h = await setup();
    const { sim } = h;
    const status = () => sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'status' })).waitForOriginal();

    const before = await status();
    expect(before.ephemeral).toBe(true);
    expect(before.content).toMatch(/You have not trained yet/);

    providerLatency(h, 100);
    const run = await startRun(h, 200);
    await run.cmd.waitForOriginal((m) => progressDone(m) >= 1, 20_000);
    const during = await status();
    expect(during.ephemeral).toBe(true);
    expect(during.content).toMatch(/Your run is at \d+\/200 examples · \d+ successful · average quality \d+\.\d\d/);
    expect(during.content).toContain(`Progress: https://discord.com/channels/${sim.guild.id}/${sim.channel.id}/${run.panel.id}`);

    await run.cmd.click(run.stopId).waitForResponse();
    const final = await resultsOf(h, run.token);
    const after = await status();
    expect(after.ephemeral).toBe(true);
    expect(after.content).toMatch(/^Your last run \(cancelled, <t:\d+:R>\): /);
    expect(after.content).toContain(`${resultsDone(final)}/200 examples done · `);
    expectQuiet(h);
  });
});

describe('/autotrain setup panels', () => {
  it('are forgotten SETUP_TTL_MS after they were opened: Start then says so and starts nothing', async () => {
    const h = await setup();
    const panel = await openPanel(h, 3);
    // The press comes just after the panel's lifetime (only the wall clock moves; no timer is faked).
    const realNow = Date.now.bind(Date);
    const later = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + SETUP_TTL_MS + 1000);
    try {
      const reply = await panel.cmd.click(panel.setupId('start')).waitForOriginal();
      expect(reply.ephemeral).toBe(true);
      expect(reply.content).toBe('This setup panel has expired. Run `/autotrain start` again.');
    } finally {
      later.mockRestore();
    }
    expect(await h.runtime.store.runs.latest(h.sim.users.alice.id)).toBeUndefined();
  });
});

describe('/autotrain failures', () => {
  it('answers privately and kindly when a handler throws, whatever state the interaction was in', async () => {
    setReporterTimings({ minEditIntervalMs: 200 });
    const boom: Command = {
      data: { name: 'boom', description: 'Fails on purpose' },
      scopes: ['boom'],
      async execute(interaction) {
        const when = interaction.options.getString('when');
        if (when === 'deferred') await interaction.deferReply({ flags: MessageFlags.Ephemeral });
        if (when === 'replied') await interaction.reply({ content: 'Working on it…', allowedMentions: { parse: [] } });
        throw new Error(`forced failure ${when ?? 'before'}`);
      },
      async component(interaction, id) {
        if (id.action === 'silent') return; // forgot to answer
        if (id.action === 'defer') await interaction.deferUpdate();
        if (id.action === 'update') await interaction.update({ content: 'Updated', components: [], allowedMentions: { parse: [] } });
        throw new Error(`forced failure ${id.action}`);
      },
    };
    const h = await setup({ commands: [...COMMANDS, boom] });
    const { sim } = h;
    const apology = /Something went wrong on my side/;

    const before = await sim.sendInteraction(slashCommand({ name: 'boom' })).waitForOriginal();
    expect(before.ephemeral).toBe(true);
    expect(before.content).toMatch(apology);
    const deferred = await sim.sendInteraction(slashCommand({ name: 'boom', options: { when: 'deferred' } })).waitForOriginal();
    expect(deferred.ephemeral).toBe(true);
    expect(deferred.content).toMatch(apology);
    const replied = sim.sendInteraction(slashCommand({ name: 'boom', options: { when: 'replied' } }));
    const [followUp] = await replied.waitForFollowUps(1);
    expect(followUp?.ephemeral).toBe(true);
    expect(followUp?.content).toMatch(apology);
    // On a button: after deferUpdate or update the apology is a private follow-up; the public message is not rewritten.
    for (const action of ['defer', 'update']) {
      const press = sim.sendInteraction(button({ customId: customId('boom', action, h.alice) }));
      const [privately] = await press.waitForFollowUps(1);
      expect(privately?.ephemeral).toBe(true);
      expect(privately?.content).toMatch(apology);
      expect(press.original()?.content).not.toMatch(apology);
    }
    // A handler that returns without answering: the router answers instead of leaving "This interaction failed".
    const silent = await sim.sendInteraction(button({ customId: customId('boom', 'silent', h.alice) })).waitForOriginal();
    expect(silent.ephemeral).toBe(true);
    expect(silent.content).toMatch(/That did nothing/);

    // A real failure inside /autotrain: the store goes away under the bot.
    const panel = await openPanel(h, 3);
    await h.store.close();
    const status = await sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'status' })).waitForOriginal();
    expect(status.ephemeral).toBe(true);
    expect(status.content).toMatch(apology);
    // Start still answers, and the run's failure is shown on its message.
    await panel.cmd.click(panel.setupId('start')).waitForResponse();
    const stopped = await panel.cmd.waitForOriginal((m) => embedOf(m).title === 'Training stopped', 20_000);
    expect(embedOf(stopped).description).toMatch(/error on my side/);
    expect(stopped.components).toEqual([]);
    expect(await h.bot.runs.active(h.alice)).toBeUndefined();

    const failures = h.logs.map((line) => JSON.parse(line) as { msg: string; what?: string });
    expect(failures.filter((l) => l.msg === 'interaction failed').map((l) => l.what)).toEqual(['/boom', '/boom', '/boom', `zega:boom:defer:${h.alice}`, `zega:boom:update:${h.alice}`, '/autotrain']);
    expect(failures.some((l) => l.msg === 'training run failed')).toBe(true);
    expect(failures.filter((l) => l.msg === 'interaction left unanswered').map((l) => l.what)).toEqual([`zega:boom:silent:${h.alice}`]);
    expectQuiet(h, { logs: false });
  });
});
