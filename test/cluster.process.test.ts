/**
 * The scaled deployment end to end, as separate processes on loopback: a real Redis and a real
 * PostgreSQL, the loopback Discord with 2 shards (`npm run bot`'s ShardingManager starts a process
 * per shard) and 2 workers, the provider simulators behind the real SDKs.
 *
 * 6 users start runs at once (half through each shard); one worker is killed with SIGKILL while it
 * runs one of them, and that run finishes on the other worker. Every run ends with the right
 * totals and exactly one stored example per index; the simulators enforce each model's quota as
 * the provider does (a 429 past it) and answer no 429 at all: the workers share it through Redis; a 7th
 * user's run, started through one shard, is stopped through the other. SIGTERM ends every process
 * with exit 0.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
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
import { createPostgresDatabase, postgresUnavailable } from './helpers/storageBackends.ts';

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

describeWithServers('a cluster of processes: 2 shards, 2 workers, Redis and PostgreSQL', { unavailable: [redisUnavailable, postgresUnavailable] }, () => {
  let sims: ProviderSimulators;
  let discord: DiscordSimulator;
  let database: { url: string; drop: () => Promise<void> };
  let env: Record<string, string>;
  const prefix = freshPrefix();
  const procs: Proc[] = [];

  beforeAll(async () => {
    sims = await startProviderSimulators();
    // Every model has its quota at the provider: a call past it is answered 429, as a real one would be.
    for (const sim of sims.all()) sim.setBehavior('*', { latencyMs: 30, quota: { requests: QUOTA, windowMs: WINDOW_MS } });
    discord = await startDiscordSimulator({ shards: 2 });
    database = await createPostgresDatabase();
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
      STORAGE_URL: database.url,
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
    await database?.drop();
    await deletePrefix(prefix);
  });

  const worker = () => {
    const p = start(process.execPath, ['--import', 'tsx', 'src/main.ts', 'worker'], env);
    procs.push(p);
    return p;
  };

  it('runs 6 users at once to the right totals, survives a worker killed mid-run, shares each quota, stops from any shard, and shuts down cleanly', async () => {
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

    // Kill a worker while it runs one of them, with some of its examples done.
    const redis = new Redis(TEST_REDIS_URL);
    const victim = workers[0] as Proc;
    const victimId = `:${victim.child.pid}`;
    let killedRun: string | undefined;
    try {
      const deadline = Date.now() + 60_000;
      while (!killedRun && Date.now() < deadline) {
        for (const { token } of runs) {
          const session = await redis.hgetall(`${prefix}:session:${token}`);
          const done = session.totals ? (JSON.parse(session.totals) as { done: number }).done : 0;
          if (session.worker?.endsWith(victimId) && done >= 1 && done < EXAMPLES) killedRun = token;
        }
        if (!killedRun) await new Promise((r) => setTimeout(r, 25));
      }
    } finally {
      redis.disconnect();
    }
    expect(killedRun, 'no run was in progress on the first worker').toBeDefined();
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');

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
    // The killed worker's run said where it picked up again, on its own message.
    const resumedNotes = discord.requests.map((r) => JSON.stringify(r.body ?? '')).filter((b) => b.includes(killedRun as string) && /Zega restarted — resuming at [1-6]\/6/.test(b));
    expect(resumedNotes.length).toBeGreaterThan(0);

    // Exactly one stored example per index, no more, no fewer.
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const rows = await db.query<{ run_id: string; n: number; distinct_n: number; lo: number; hi: number; status: string }>(
        `select r.id as run_id, r.status, count(e.*)::int as n, count(distinct e.idx)::int as distinct_n, min(e.idx)::int as lo, max(e.idx)::int as hi
           from runs r left join run_examples e on e.run_id = r.id where r.id = any($1) group by r.id, r.status`,
        [runs.map((r) => r.token)],
      );
      expect(rows.rows).toHaveLength(6);
      for (const row of rows.rows) expect(row, row.run_id).toMatchObject({ status: 'done', n: EXAMPLES, distinct_n: EXAMPLES, lo: 0, hi: EXAMPLES - 1 });
    } finally {
      await db.end();
    }

    // Two queued users saw their positions (4 runs at once for the whole cluster).
    const positions = discord.requests.map((r) => JSON.stringify(r.body ?? '')).filter((b) => /Waiting in queue: position/.test(b));
    expect(positions.length).toBeGreaterThan(0);
    // The 2-second edit spacing held on every progress message.
    for (const { messageId } of runs) expect(discord.maxEditsInWindow(messageId, 1_900)).toBeLessThanOrEqual(1);

    // The simulators, enforcing each model's quota, refused no call: the workers together kept under it.
    // No other fault is injected, so any 429 would be the cluster exceeding a limit. The limiters
    // never go looking for a higher limit past the shared schedule (it is paced at the roster's rpm,
    // which no learning raises), so not even a probe may be refused.
    let answered = 0;
    for (const sim of sims.all()) {
      const generations = sim.requests.filter((r) => r.model !== undefined);
      answered += generations.length;
      const refused = generations.filter((r) => r.status === 429).map((r) => `${r.model} at ${r.at}`);
      expect(refused, 'calls the provider refused with 429').toEqual([]);
    }
    expect(answered).toBeGreaterThan(0);
    expect(windowWithMargin(WINDOW_MS)).toBeGreaterThan(WINDOW_MS);

    // SIGTERM: every process ends by itself with exit 0, the shards with the manager.
    const shards = childrenOf(bot.child.pid as number, 'src/main.ts');
    expect(shards).toHaveLength(2);
    bot.child.kill('SIGTERM');
    (workers[1] as Proc).child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);
    expect(await (workers[1] as Proc).exited).toBe(0);
    for (const pid of shards) expect(alive(pid), `shard process ${pid} outlived the manager`).toBe(false);
  }, 240_000);
});
