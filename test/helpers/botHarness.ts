/**
 * The bot end to end for tests: the real discord.js client (createBot) logged in to the loopback
 * Discord (test/discord/server.ts), over an in-memory store. Either without teachers (a hand-built
 * runtime, for commands that only read the store) or with all 7 default teachers talking through
 * their real SDKs to the loopback provider simulators (createRuntime with `sims.env`).
 *
 *   const h = await startBotHarness({ teachers: true });
 *   cleanups.push(() => h.close());
 *   const cmd = h.sim.sendInteraction(slashCommand({ name: 'autotrain', subcommand: 'start' }));
 *
 * A file whose tests share one set of provider simulators starts its bots on them with
 * `useBotsOnSharedProviders` (bots closed and simulators reset after each test).
 *
 * `logs` collects what the bot logged at warn level and above (JSON lines), so a test can assert
 * that no handler failed.
 */
import { Events } from 'discord.js';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { createRuntime, type Runtime } from '../../src/app/runtime.ts';
import { createBot, type Bot } from '../../src/bot/client.ts';
import type { Command } from '../../src/commands/types.ts';
import { loadConfig } from '../../src/config/env.ts';
import { openStore, type ZegaStore } from '../../src/storage/index.ts';
import { DEFAULT_ROSTER } from '../../src/teachers/roster.ts';
import { loadTolerantClock } from '../discord/loadTolerantClock.ts';
import { startDiscordSimulator } from '../discord/server.ts';
import type { DiscordSimulator, DiscordSimulatorOptions, RecordedRequest } from '../discord/types.ts';
import { startProviderSimulators, type ProviderSimulators } from '../../src/simulators/index.ts';

export interface BotHarnessOptions {
  discord?: DiscordSimulatorOptions;
  /** Enable the 7 default teachers against the loopback provider simulators (default false: no teachers). */
  teachers?: boolean;
  /**
   * Provider simulators the test file already runs (shared by its tests, so it starts, resets and
   * closes them): implies `teachers`, against these instead of a set of the harness's own.
   */
  providers?: ProviderSimulators;
  /** Per-call teacher deadline in ms (default: the TEACHER_TIMEOUT_MS setting). */
  timeoutMs?: number;
  /** Extra settings (e.g. MAX_CONCURRENT_RUNS, RUN_CONCURRENCY) on top of the harness's own. */
  env?: Record<string, string>;
  /** Commands instead of the bot's own (e.g. to add one that fails on purpose). */
  commands?: readonly Command[];
  /** Lowest level captured in `logs` (default warn). */
  logLevel?: pino.Level;
}

export interface BotHarness {
  sim: DiscordSimulator;
  runtime: Runtime;
  store: ZegaStore;
  bot: Bot;
  /** The provider simulators, when `teachers` is on. */
  providers?: ProviderSimulators;
  alice: string;
  bob: string;
  /** What the bot logged at `logLevel` and above (JSON lines). */
  logs: string[];
  /** Stops the bot (its runs first), the store and the simulators. */
  close(): Promise<void>;
}

export async function startBotHarness(options: BotHarnessOptions = {}): Promise<BotHarness> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    while (closers.length) await closers.pop()?.().catch(() => undefined);
  };
  try {
    // The 3 s deadline on a clock that does not count the time a loaded machine kept this process off the CPU.
    const clock = loadTolerantClock();
    closers.push(() => Promise.resolve(clock.stop()));
    const sim = await startDiscordSimulator({ responseClock: clock.now, ...options.discord });
    closers.push(() => sim.close());
    const logs: string[] = [];
    const logger = pino({ level: options.logLevel ?? 'warn' }, { write: (line: string) => void logs.push(line) });

    let runtime: Runtime;
    let providers: ProviderSimulators | undefined;
    if (options.providers) {
      providers = options.providers;
    } else if (options.teachers) {
      const started = await startProviderSimulators();
      providers = started;
      closers.push(() => started.close());
    }
    if (providers) {
      // Only when set: an explicit `timeoutMs: undefined` would override the setting's default.
      const timeout = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
      runtime = await createRuntime({ env: { ...providers.env, STORAGE_URL: 'memory://', LOG_LEVEL: 'silent', ...options.env }, logger, ...timeout });
    } else {
      const store = await openStore('memory://');
      runtime = {
        config: loadConfig({ STORAGE_URL: 'memory://', OLLAMA_HOST: 'off', LOG_LEVEL: 'silent', RATE_LIMITS: 'off', ...options.env }),
        logger,
        roster: DEFAULT_ROSTER,
        teachers: [],
        store,
        warnings: [],
        close: () => store.close(),
      };
    }
    closers.push(() => runtime.close());

    const bot = createBot(runtime, { restApi: sim.restApi, ...(options.commands ? { commands: options.commands } : {}) });
    closers.push(() => bot.stop());
    const ready = new Promise<void>((resolve) => bot.client.once(Events.ClientReady, () => resolve()));
    await bot.login(sim.token);
    await ready;
    return { sim, runtime, store: runtime.store, bot, ...(providers ? { providers } : {}), alice: sim.users.alice.id, bob: sim.users.bob.id, logs, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A test file's bots over one set of provider simulators that all its tests share. */
export interface SharedProviderBots {
  /** The shared provider simulators (once the file's beforeAll has run). */
  readonly sims: ProviderSimulators;
  /** Starts a bot on the shared simulators (`defaults` overridden by `options`), closed after the test. */
  start(options?: BotHarnessOptions): Promise<BotHarness>;
}

/**
 * Starts the provider simulators once for the file and closes them after it; after each test,
 * closes the bots that test started, runs `afterEachTest`, and resets the simulators.
 */
export function useBotsOnSharedProviders(defaults: BotHarnessOptions = {}, afterEachTest?: () => void): SharedProviderBots {
  let providers: ProviderSimulators | undefined;
  const started: BotHarness[] = [];
  beforeAll(async () => {
    providers = await startProviderSimulators();
  });
  afterAll(() => providers?.close());
  afterEach(async () => {
    while (started.length) await started.pop()?.close();
    afterEachTest?.();
    providers?.reset();
  });
  const sims = (): ProviderSimulators => {
    if (!providers) throw new Error('the provider simulators start in beforeAll');
    return providers;
  };
  return {
    get sims() {
      return sims();
    },
    async start(options = {}) {
      const h = await startBotHarness({ ...defaults, ...options, providers: sims() });
      started.push(h);
      return h;
    },
  };
}

/** Requests that create or change a message (channel posts and edits, webhook posts and edits, message callbacks). */
export function messageWrites(sim: DiscordSimulator): { request: RecordedRequest; data: Record<string, unknown> }[] {
  const out: { request: RecordedRequest; data: Record<string, unknown> }[] = [];
  for (const request of sim.requests) {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const route = request.route ?? '';
    if (route === 'POST /interactions/:interactionId/:token/callback') {
      // 4 = reply, 7 = update: both carry a message; defers (5, 6), autocomplete (8) and modals (9) do not.
      if ((body.type === 4 || body.type === 7) && body.data) out.push({ request, data: body.data as Record<string, unknown> });
    } else if (
      (request.method === 'POST' || request.method === 'PATCH') &&
      (route.startsWith('POST /channels/:channelId/messages') || route.startsWith('PATCH /channels/:channelId/messages/') || route.startsWith('POST /webhooks/') || route.startsWith('PATCH /webhooks/'))
    ) {
      out.push({ request, data: body });
    }
  }
  return out;
}

/** Which checks {@link expectQuiet} makes besides violations and the bot's messages (each on unless `false`). */
export interface QuietChecks {
  /** Nothing logged. */
  logs?: boolean;
  /** No 429 from the loopback Discord. */
  rateLimits?: boolean;
  /** Every message write (not only the stored messages) carries empty `allowed_mentions`. */
  messageWrites?: boolean;
}

/**
 * No OpenAPI violation, no 429, no logged failure, and every message write carries an explicit
 * empty `allowed_mentions` (edits otherwise re-parse mentions with the defaults). `options` turns
 * the 429, log and message-write checks off one by one; the stored bot messages are always checked.
 */
export function expectQuiet(h: Pick<BotHarness, 'sim' | 'logs'>, options: QuietChecks = {}): void {
  const { sim, logs } = h;
  expect(sim.violations).toEqual([]);
  if (options.rateLimits !== false) expect(sim.rateLimitHits).toEqual([]);
  // No handler failed (a failure would log "interaction failed" and answer with a generic apology).
  if (options.logs !== false) expect(logs).toEqual([]);
  if (options.messageWrites !== false) {
    for (const { request, data } of messageWrites(sim)) {
      expect({ request: `${request.method} ${request.path}`, allowedMentions: data.allowed_mentions }).toEqual({ request: `${request.method} ${request.path}`, allowedMentions: { parse: [] } });
    }
  }
  for (const message of sim.messages()) {
    if (message.authorId === sim.botUser.id && message.origin !== 'stub') expect({ id: message.id, allowedMentions: message.allowedMentions }).toEqual({ id: message.id, allowedMentions: { parse: [] } });
  }
}
