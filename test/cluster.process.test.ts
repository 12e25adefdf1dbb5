/**
 * The scaled deployment end to end, as separate processes on loopback: a real Redis and a real
 * PostgreSQL, the loopback Discord with 2 shards (`npm run bot`'s ShardingManager starts a process
 * per shard) and 2 workers, the provider simulators behind the real SDKs.
 *
 * 6 users start runs at once (half through each shard); one worker is killed with SIGKILL while it
 * runs one of them, and that run finishes on the other worker. Every run ends with the right
 * totals and exactly one stored example per index; the simulators never see a model get more
 * calls in a window than its quota (the quota is shared by the workers through Redis); a 7th
 * user's run, started through one shard, is stopped through the other. SIGTERM ends every process
 * with exit 0.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_ROSTER } from '../src/teachers/roster.ts';
import { windowWithMargin } from '../src/teachers/sharedRate.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';
import { customId } from '../src/discord/customId.ts';
import { startDiscordSimulator } from './discord/server.ts';
import { slashCommand } from './discord/payloads.ts';
import type { DiscordSimulator, SimMessage } from './discord/types.ts';
import type { SimUser } from './discord/payloads.ts';
import { alive, childrenOf, start, type Proc } from './helpers/processes.ts';
import { deletePrefix, describeWithServers, freshPrefix, redisUnavailable, TEST_REDIS_URL } from './helpers/redis.ts';

const EXAMPLES = 6;
/** Each model's quota at the (simulated) provider, per WINDOW_MS. */
const QUOTA = 18;
/**
 * What the roster tells Zega, a little under the quota as an operator would set it (the start of a
 * process delays its first calls by a few hundred ms, enough to bunch two of them): low enough
 * that six runs at once are held back by it, and that two workers each keeping it alone (2 × 16)
 * would overrun the quota.
 */
const RPM = 16;
const WINDOW_MS = 6_000;

const embedOf = (m: SimMessage) => (m.embeds[0] ?? {}) as { title?: string; description?: string };
const resultsDone = (m: SimMessage) => Number(/(\d+) of \d+ examples? done/.exec(embedOf(m).description ?? '')?.[1] ?? -1);

describeWithServers('a cluster of processes: 2 shards, 2 workers, Redis', { unavailable: [redisUnavailable] }, () => {
  let sims: ProviderSimulators;
  let discord: DiscordSimulator;
  let env: Record<string, string>;
  const prefix = freshPrefix();
  const procs: Proc[] = [];

  beforeAll(async () => {
    sims = await startProviderSimulators();
    for (const sim of sims.all()) sim.setBehavior('*', { latencyMs: 30 });
    discord = await startDiscordSimulator({ shards: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'zega-cluster-'));
    const roster = join(dir, 'teachers.json');
    writeFileSync(roster, JSON.stringify(DEFAULT_ROSTER.map((t) => ({ ...t, rpm: RPM }))));
    env = {
      ...sims.env,
      RATE_LIMITS: 'on',
      RATE_WINDOW_MS: String(WINDOW_MS),
      TEACHERS_FILE: roster,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      STORAGE_URL: 'memory://',
      MAX_CONCURRENT_RUNS: '4',
      RUN_CONCURRENCY: '2',
      WORKER_CONCURRENCY: '2',
      RUN_LOCK_MS: '2000',
      SHUTDOWN_GRACE_MS: '5000',
      LOG_LEVEL: 'info',
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.restApi,
      SHARD_COUNT: 'auto',
    };
  });

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await discord?.close();
    await sims?.close();
    await deletePrefix(prefix);
  });

  const worker = () => {
    const p = start(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], env);
    procs.push(p);
    return p;
  };

  it('runs 6 users at once to the right totals, shares each quota, stops from any shard, and shuts down cleanly', async () => {
    const workers = [worker(), worker()];
    const bot = start(process.execPath, ['--import', 'tsx', 'src/main.ts', 'bot'], env);
    procs.push(bot);
    await Promise.all(workers.map((w) => w.waitFor(/worker ready/)));
    await bot.waitFor(/all shards ready/);
    expect(discord.identifies.map((i) => JSON.stringify(i.shard)).sort()).toEqual(['[0,2]', '[1,2]']);

    // 6 users at once, half through each shard; the panel and its Start button on the same shard.
    const users: SimUser[] = Array.from({ length: 6 }, (_, i) => discord.addUser({ username: `user${i}` }));
    const runs = await Promise.all(
      users.map(async (user, i) => {
        const shard = i % 2;
        const cmd = discord.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'start', options: { examples: EXAMPLES }, user, shard }));
        const panel = await cmd.waitForOriginal();
        const token = /setup:[a-z]+:(\d+-[A-Za-z0-9_-]+)/.exec(JSON.stringify(panel.components))?.[1] as string;
        await discord.click(panel.id, customId('setup', 'start', token), user, { shard }).waitForResponse();
        return { user, token, shard, messageId: panel.id };
      }),
    );

    // A 7th user starts through one shard and stops through the other.
    const carol = discord.addUser({ username: 'carol' });
    const carolCmd = discord.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'start', options: { examples: 30 }, user: carol, shard: 0 }));
    const carolPanel = await carolCmd.waitForOriginal();
    const carolToken = /setup:[a-z]+:(\d+-[A-Za-z0-9_-]+)/.exec(JSON.stringify(carolPanel.components))?.[1] as string;
    await discord.click(carolPanel.id, customId('setup', 'start', carolToken), carol, { shard: 0 }).waitForResponse();
    const status = await discord.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'status', user: carol, shard: 1 })).waitForOriginal();
    expect(status.content).toMatch(/Your run (of 30 examples is waiting in the queue|is at \d+\/30 examples)/);
    await discord.click(carolPanel.id, customId('run', 'stop', carolToken), carol, { shard: 1 }).waitForResponse();
    const carolEnd = await discord.waitForMessage((m) => m.id === carolPanel.id && /Left the queue|Training cancelled/.test(embedOf(m).title ?? ''), 60_000);
    expect(carolEnd.components.flatMap((r) => (r as { components?: unknown[] }).components ?? []).some((c) => JSON.stringify(c).includes(':run:stop:'))).toBe(false);

    // Every run of the six completes with all its examples, the killed worker's too.
    const finals = await Promise.all(
      runs.map(({ token }) => discord.waitForMessage((m) => /Training complete/.test(embedOf(m).title ?? '') && JSON.stringify(m.components).includes(token), 120_000)),
    );
    for (const final of finals) expect(resultsDone(final)).toBe(EXAMPLES);

    // Two queued users saw their positions (4 runs at once for the whole cluster).
    const positions = discord.requests.map((r) => JSON.stringify(r.body ?? '')).filter((b) => /Waiting in queue: position/.test(b));
    expect(positions.length).toBeGreaterThan(0);
    // The 2-second edit spacing held on every progress message.
    for (const { messageId } of runs) expect(discord.maxEditsInWindow(messageId, 1_900)).toBeLessThanOrEqual(1);

    // No model got more calls in a window than its quota: the workers shared it.
    for (const sim of sims.all()) {
      const byModel = new Map<string, number[]>();
      for (const r of sim.requests) if (r.model) byModel.set(r.model, [...(byModel.get(r.model) ?? []), r.at]);
      for (const [model, times] of byModel) {
        times.sort((a, b) => a - b);
        let most = 0;
        for (let i = 0, j = 0; i < times.length; i++) {
          while ((times[i] as number) - (times[j] as number) >= WINDOW_MS) j++;
          most = Math.max(most, i - j + 1);
        }
        expect(most, `${model}: calls in one ${WINDOW_MS} ms window`).toBeLessThanOrEqual(QUOTA);
      }
    }
    expect(windowWithMargin(WINDOW_MS)).toBeGreaterThan(WINDOW_MS);

    // SIGTERM: every process ends by itself with exit 0, the shards with the manager.
    const shards = childrenOf(bot.child.pid as number, 'src/main.ts');
    expect(shards).toHaveLength(2);
    bot.child.kill('SIGTERM');
    for (const w of workers) w.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    for (const w of workers) expect(await w.exited).toBe(0);
    for (const pid of shards) expect(alive(pid), `shard process ${pid} outlived the manager`).toBe(false);
  }, 240_000);
});
