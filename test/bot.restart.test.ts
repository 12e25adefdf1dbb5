/**
 * The embedded bot restarted (SIGTERM, a deploy): runs in progress end `interrupted` with a note on
 * their message; the next bot process resumes them by itself, edits the same message ("Zega
 * restarted — resuming at N/M"), Stop works on a resumed run, the results arrive as for any run,
 * and the daily budget is the one the first process left. The real discord.js client against the
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
