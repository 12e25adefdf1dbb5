/**
 * Graceful shutdown and resume, as an operator meets them: the CLI started through npm, SIGTERM
 * sent to npm alone (as systemd or Docker do), SIGKILL, then `train --resume` and `runs`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';
import type { TrainingResult } from '../src/trainer/types.ts';
import { alive, childrenOf, start } from './helpers/processes.ts';
import { customId } from '../src/discord/customId.ts';
import { startDiscordSimulator } from './discord/server.ts';
import { slashCommand } from './discord/payloads.ts';

let sims: ProviderSimulators;
let env: Record<string, string>;
beforeAll(async () => {
  sims = await startProviderSimulators();
  for (const sim of sims.all()) sim.setBehavior('*', { latencyMs: 150 });
  env = { ...sims.env, STORAGE_URL: `sqlite://${join(mkdtempSync(join(tmpdir(), 'zega-shutdown-')), 'zega.sqlite')}`, LOG_LEVEL: 'warn', RUN_CONCURRENCY: '2', SHUTDOWN_GRACE_MS: '15000' };
});
afterAll(() => sims.close());

const cliArgs = (...args: string[]) => ['--import', 'tsx', 'src/cli/index.ts', ...args];

interface RunRow {
  id: string;
  status: string;
  done: number;
  examples: number;
  resume?: string;
}

async function runsOf(user: string): Promise<RunRow[]> {
  const p = start(process.execPath, cliArgs('runs', '--user', user, '--json'), env);
  expect(await p.exited).toBe(0);
  return p.stdout().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunRow);
}

async function resume(runId: string): Promise<TrainingResult> {
  const p = start(process.execPath, cliArgs('train', '--resume', runId, '--json'), env);
  const code = await p.exited;
  expect(code, p.stderr()).toBe(0);
  return JSON.parse(p.stdout()) as TrainingResult;
}

describe('cli train: SIGTERM and SIGKILL', () => {
  it('SIGTERM to npm reaches the trainer: examples in flight finish, the run is interrupted, exit 0, no orphan; --resume completes it', async () => {
    const npm = start('npm', ['run', '--silent', 'cli', '--', 'train', '--examples', '40', '--user', 'sigterm-user', '--save'], env);
    await npm.waitFor(/\b[3-9]\/40\b|\b1\d\/40\b/);
    const pid = npm.child.pid as number;
    const workers = childrenOf(pid);
    expect(workers.length).toBeGreaterThan(0);
    process.kill(pid, 'SIGTERM');
    expect(await npm.exited).toBe(0);
    expect(npm.stderr()).toMatch(/Stopping: finishing the examples in flight/);
    const [runId] = /Resume it with: npm run cli -- train --resume (\S+)/.exec(npm.stderr())?.slice(1) ?? [];
    expect(runId).toBeTruthy();
    for (const child of workers) expect(alive(child), `process ${child} outlived npm`).toBe(false);

    const [row] = await runsOf('sigterm-user');
    expect(row).toMatchObject({ id: runId, status: 'interrupted', examples: 40, resume: `npm run cli -- train --resume ${runId}` });
    expect(row?.done).toBeGreaterThanOrEqual(3);
    expect(row?.done).toBeLessThan(40);

    const result = await resume(runId as string);
    expect(result).toMatchObject({ run_id: runId, status: 'done', requested: 40 });
    expect(result.successful + result.failed).toBe(40);
    const [after] = await runsOf('sigterm-user');
    expect(after).toMatchObject({ id: runId, status: 'done', done: 40 });
    // Finished: the note of its interruption is gone with it.
    expect(after).not.toHaveProperty('error');
  });

  it('SIGKILL keeps the finished examples; --resume asks only for the missing ones', async () => {
    const cli = start(process.execPath, cliArgs('train', '--examples', '30', '--user', 'sigkill-user'), env);
    await cli.waitFor(/\b[4-9]\/30\b|\b1\d\/30\b/);
    cli.child.kill('SIGKILL');
    expect(await cli.exited).toBe('SIGKILL');
    const [row] = await runsOf('sigkill-user');
    expect(row?.status).toBe('interrupted');
    const done = row?.done ?? 0;
    expect(done).toBeGreaterThanOrEqual(4);

    // Generations only (the Ollama probe at start-up is no teacher call).
    const generations = () => sims.all().reduce((n, s) => n + s.requests.filter((r) => r.model !== undefined).length, 0);
    const killedAt = generations();
    const result = await resume(row?.id as string);
    expect(result.successful + result.failed).toBe(30);
    // 7 teachers per example: only the missing examples were asked (calls in flight at the kill were lost, not counted).
    expect(generations() - killedAt).toBe((30 - done) * 7);
    const [after] = await runsOf('sigkill-user');
    expect(after).toMatchObject({ status: 'done', done: 30 });
    expect(after).not.toHaveProperty('error');
  });
});

describe('npm run demo: SIGTERM', () => {
  it('prints a resume command that works: `npm run demo -- --resume` finishes the run on the simulators', async () => {
    const demoEnv = { STORAGE_URL: `sqlite://${join(mkdtempSync(join(tmpdir(), 'zega-demo-')), 'zega.sqlite')}`, LOG_LEVEL: 'warn' };
    const demo = start(process.execPath, ['--import', 'tsx', 'src/demo.ts'], demoEnv);
    await demo.waitFor(/Training 20 examples/);
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    const [runId] = /Resume it with: npm run demo -- --resume (\S+)/.exec(demo.stderr())?.slice(1) ?? [];
    expect(runId, demo.stderr()).toBeTruthy();
    const runs = start(process.execPath, cliArgs('runs', '--user', 'demo-user', '--json'), demoEnv);
    expect(await runs.exited).toBe(0);
    expect(JSON.parse(runs.stdout().trim())).toMatchObject({ id: runId, status: 'interrupted', resume: `npm run demo -- --resume ${runId}` });

    // The very command it printed.
    const resumed = start('npm', ['run', '--silent', 'demo', '--', '--resume', runId as string], demoEnv);
    expect(await resumed.exited, resumed.stderr()).toBe(0);
    expect(resumed.stderr()).toMatch(new RegExp(`run ${runId}`));
    const after = start(process.execPath, cliArgs('runs', '--user', 'demo-user', '--json'), demoEnv);
    expect(await after.exited).toBe(0);
    expect(JSON.parse(after.stdout().trim())).toMatchObject({ id: runId, status: 'done', done: 20 });
  });
});

describe('npm start (the embedded bot): SIGTERM', () => {
  it('reaches the bot: its run ends interrupted with a note on its message, npm exits 0, nothing is left running', async () => {
    const discord = await startDiscordSimulator();
    try {
      const npm = start('npm', ['start'], { ...env, DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.restApi, LOG_LEVEL: 'info' });
      await npm.waitFor(/Zega is online/);
      const cmd = discord.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'start', options: { examples: 200 } }));
      const panel = await cmd.waitForOriginal();
      const token = /setup:[a-z]+:(\d+-[A-Za-z0-9_-]+)/.exec(JSON.stringify(panel.components))?.[1] as string;
      await cmd.click(customId('setup', 'start', token)).waitForResponse();
      const done = (m: { embeds: unknown[] }) => Number(/\*\*(\d+) \/ 200\*\* examples done/.exec(JSON.stringify(m.embeds))?.[1] ?? -1);
      await discord.waitForMessage((m) => m.id === panel.id && done(m) >= 2 && done(m) < 150, 60_000);
      const pid = npm.child.pid as number;
      const bots = childrenOf(pid, 'dist/main.js');
      expect(bots).toHaveLength(1);
      process.kill(pid, 'SIGTERM');
      expect(await npm.exited).toBe(0);
      expect(alive(bots[0] as number)).toBe(false);
      const paused = discord.message(panel.id);
      expect(JSON.stringify(paused?.embeds)).toMatch(/Zega is restarting.*paused at \d+\/200 examples/);
      expect(paused?.components).toEqual([]);
    } finally {
      await discord.close();
    }
  }, 120_000);
});
