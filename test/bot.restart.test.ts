/**
 * The embedded bot restarted (SIGTERM, a deploy): runs in progress end `interrupted` with a note on
 * their message; the next bot process resumes them by itself, edits the same message ("Zega
 * restarted — resuming at N/M"), Stop works on a resumed run, the results arrive as for any run,
 * and the daily budget is the one the first process left. After an outage of more than an hour the
 * message can no longer be edited (its interaction token is gone, and Discord refuses edits of a
 * message that old): the run reposts its progress in the channel and carries on there. The real discord.js client against the
 * loopback Discord, the 7 teachers against the provider simulators, one SQLite file.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setReporterTimings } from '../src/commands/autotrain.ts';
import { customId } from '../src/discord/customId.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';
import { startDiscordSimulator } from './discord/server.ts';
import { slashCommand, type SimUser } from './discord/payloads.ts';
import type { DiscordSimulator, SimMessage } from './discord/types.ts';
import { startBotHarness, type BotHarness } from './helpers/botHarness.ts';

let providers: ProviderSimulators;
let sim: DiscordSimulator;
const harnesses: BotHarness[] = [];
beforeAll(async () => {
  providers = await startProviderSimulators();
  sim = await startDiscordSimulator();
});
afterAll(async () => {
  await sim?.close();
  await providers?.close();
});
afterEach(async () => {
  setReporterTimings({});
  while (harnesses.length) await harnesses.pop()?.close();
});

const embedOf = (m: SimMessage) => (m.embeds[0] ?? {}) as { title?: string; description?: string };
const progressDone = (m: SimMessage) => Number(/\*\*(\d+) \/ \d+\*\* examples done/.exec(embedOf(m).description ?? '')?.[1] ?? -1);
const resultsDone = (m: SimMessage) => Number(/(\d+) of \d+ examples? done/.exec(embedOf(m).description ?? '')?.[1] ?? -1);

async function bot(storageUrl: string, env: Record<string, string> = {}): Promise<BotHarness> {
  const h = await startBotHarness({ sim, providers, env: { STORAGE_URL: storageUrl, ...env } });
  harnesses.push(h);
  return h;
}

async function startRun(user: SimUser, examples: number) {
  const cmd = sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'start', options: { examples }, user }));
  const panel = await cmd.waitForOriginal();
  const token = /setup:[a-z]+:(\d+-[A-Za-z0-9_-]+)/.exec(JSON.stringify(panel.components))?.[1] as string;
  await cmd.click(customId('setup', 'start', token)).waitForResponse();
  return { cmd, panel, token, stopId: customId('run', 'stop', token) };
}

describe('the embedded bot restarted', () => {
  it('interrupts runs on stop, resumes them on start in the same message, lets Stop end a resumed one, and delivers the results', { timeout: 90_000 }, async () => {
    setReporterTimings({ minEditIntervalMs: 200 });
    for (const p of providers.all()) p.setBehavior('*', { latencyMs: 120 });
    const url = `sqlite://${join(mkdtempSync(join(tmpdir(), 'zega-restart-')), 'zega.sqlite')}`;
    const first = await bot(url, { RUN_CONCURRENCY: '2' });
    const bob = sim.addUser({ username: 'bob-restart' });
    const alice = await startRun(sim.users.alice, 60);
    const bobRun = await startRun(bob, 10);
    await alice.cmd.waitForOriginal((m) => progressDone(m) >= 3, 30_000);

    await first.bot.stop(10_000);
    const paused = sim.message(alice.panel.id) as SimMessage;
    expect(embedOf(paused).title).toBe('Zega is restarting');
    const pausedAt = Number(/paused at (\d+)\/60/.exec(embedOf(paused).description ?? '')?.[1]);
    expect(pausedAt).toBeGreaterThanOrEqual(3);
    expect(paused.components).toEqual([]);
    await first.runtime.close();
    harnesses.splice(harnesses.indexOf(first), 1);

    // The next process: same database, same Discord.
    const second = await bot(url, { RUN_CONCURRENCY: '2' });
    const resumed = await sim.waitForMessage((m) => m.id === alice.panel.id && /Zega restarted — resuming at \d+\/60/.test(JSON.stringify(m.embeds)), 30_000);
    expect(JSON.stringify(resumed.embeds)).toContain(`resuming at ${pausedAt}/60`);
    expect(JSON.stringify(resumed.components)).toContain(alice.stopId);

    // Stop works on the resumed run; the results are the run's whole work, both attempts.
    await sim.waitForMessage((m) => m.id === alice.panel.id && progressDone(m) > pausedAt, 30_000);
    await sim.click(alice.panel.id, alice.stopId).waitForResponse();
    const cancelled = await sim.waitForMessage((m) => /Training cancelled/.test(embedOf(m).title ?? '') && JSON.stringify(m.components).includes(alice.token), 30_000);
    expect(resultsDone(cancelled)).toBeGreaterThan(pausedAt);
    expect(resultsDone(cancelled)).toBeLessThan(60);

    // Bob's shorter run completes in full after the restart.
    const bobDone = await sim.waitForMessage((m) => /Training complete/.test(embedOf(m).title ?? '') && JSON.stringify(m.components).includes(bobRun.token), 30_000);
    expect(resultsDone(bobDone)).toBe(10);
    const stored = await second.store.runs.get(bobRun.token);
    expect(stored).toMatchObject({ status: 'done', counts: { done: 10 } });
  });

  it('keeps the daily budget across a restart', async () => {
    const url = `sqlite://${join(mkdtempSync(join(tmpdir(), 'zega-budget-')), 'zega.sqlite')}`;
    const env = { DAILY_EXAMPLES_PER_USER: '10' };
    const first = await bot(url, env);
    const run = await startRun(sim.users.alice, 6);
    await sim.waitForMessage((m) => /Training complete/.test(embedOf(m).title ?? '') && JSON.stringify(m.components).includes(run.token), 30_000);
    await first.close();
    harnesses.splice(harnesses.indexOf(first), 1);

    await bot(url, env);
    const refused = await sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'start', options: { examples: 5 } })).waitForOriginal();
    expect(refused.ephemeral).toBe(true);
    expect(refused.content).toMatch(/You can train 4 more examples in the next 24 hours \(limit 10\)/);
  });
});

describe('the embedded bot restarted after more than an hour', () => {
  it('cannot edit the old message any more (token gone, too old to edit): it posts a new one in the channel that says where it resumed, and Stop works there', { timeout: 90_000 }, async () => {
    // Discord refuses edits of messages older than an hour (30046); the interaction token died after 15 minutes.
    const discord = await startDiscordSimulator({ oldMessageEditLimitMs: 60 * 60_000 });
    const own: BotHarness[] = [];
    try {
      setReporterTimings({ minEditIntervalMs: 200 });
      for (const p of providers.all()) p.setBehavior('*', { latencyMs: 120 });
      const url = `sqlite://${join(mkdtempSync(join(tmpdir(), 'zega-restart-old-')), 'zega.sqlite')}`;
      const first = await startBotHarness({ sim: discord, providers, env: { STORAGE_URL: url, RUN_CONCURRENCY: '2' } });
      own.push(first);
      const cmd = discord.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'start', options: { examples: 40 } }));
      const panel = await cmd.waitForOriginal();
      const token = /setup:[a-z]+:(\d+-[A-Za-z0-9_-]+)/.exec(JSON.stringify(panel.components))?.[1] as string;
      await cmd.click(customId('setup', 'start', token)).waitForResponse();
      await cmd.waitForOriginal((m) => progressDone(m) >= 3, 30_000);
      await first.bot.stop(10_000);
      const pausedAt = Number(/paused at (\d+)\/40/.exec(embedOf(discord.message(panel.id) as SimMessage).description ?? '')?.[1]);
      expect(pausedAt).toBeGreaterThanOrEqual(3);
      await first.close();
      own.splice(own.indexOf(first), 1);

      // Down for more than an hour.
      discord.advanceClock(61 * 60_000);
      const second = await startBotHarness({ sim: discord, providers, env: { STORAGE_URL: url, RUN_CONCURRENCY: '2' } });
      own.push(second);
      const reposted = await discord.waitForMessage((m) => m.id !== panel.id && m.channelId === panel.channelId && JSON.stringify(m.embeds).includes(`Zega restarted — resuming at ${pausedAt}/40`), 30_000);
      expect(JSON.stringify(reposted.components)).toContain(customId('run', 'stop', token));
      expect(reposted.ephemeral).toBe(false);
      // The old message no longer offers a Stop button: it points to the new one, or it is gone.
      await expect
        .poll(() => {
          const old = discord.messages({ includeDeleted: true }).find((m) => m.id === panel.id);
          return old?.deleted === true || (old?.content.includes(reposted.id) ?? false);
        })
        .toBe(true);
      // The run record now names the new message, so a further restart finds it.
      await expect.poll(async () => (await second.store.runs.get(token))?.message?.messageId).toBe(reposted.id);

      // Stop on the new message ends the run with the work of both attempts.
      await discord.waitForMessage((m) => m.id === reposted.id && progressDone(m) > pausedAt, 30_000);
      await discord.click(reposted.id, customId('run', 'stop', token)).waitForResponse();
      const cancelled = await discord.waitForMessage((m) => /Training cancelled/.test(embedOf(m).title ?? '') && JSON.stringify(m.components).includes(token), 30_000);
      expect(resultsDone(cancelled)).toBeGreaterThan(pausedAt);
    } finally {
      while (own.length) await own.pop()?.close();
      await discord.close();
    }
  });
});

