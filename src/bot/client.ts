/**
 * The Discord front end: a discord.js client (Guilds intent only: slash commands and components
 * need no other) wired to the command router and the run manager.
 */
import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { Runtime } from '../app/runtime.ts';
import { COMMANDS } from '../commands/index.ts';
import type { Command } from '../commands/types.ts';
import { keyvLedgerStore } from '../storage/index.ts';
import { RunManager } from './runManager.ts';
import { createRouter } from './router.ts';

export interface BotOptions {
  /** Another Discord REST base (`DISCORD_API_URL`), e.g. the tests' loopback server. */
  restApi?: string;
  commands?: readonly Command[];
}

export interface Bot {
  client: Client;
  runs: RunManager;
  login(token: string): Promise<void>;
  /** Stops runs (keeping what is done), then disconnects. */
  stop(): Promise<void>;
}

export function createBot(runtime: Runtime, options: BotOptions = {}): Bot {
  const logger = runtime.logger.child({ component: 'bot' });
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    ...(options.restApi ? { rest: { api: options.restApi } } : {}),
    // Defence in depth: even a message that forgot its own allowedMentions pings nobody.
    allowedMentions: { parse: [] },
  });
  const runs = new RunManager({
    teachers: () => runtime.teachers,
    store: runtime.store.trainerStore(),
    maxConcurrentRuns: runtime.config.MAX_CONCURRENT_RUNS,
    examplesConcurrency: runtime.config.RUN_CONCURRENCY,
    slotWaitMs: runtime.config.SLOT_WAIT_MS,
    minCandidates: runtime.config.MIN_CANDIDATES,
    fineTuneEvery: runtime.config.FINE_TUNE_EVERY,
    qualityScore: runtime.config.QUALITY_SCORE,
    dailyExamplesPerUser: runtime.config.DAILY_EXAMPLES_PER_USER,
    ledgerStore: keyvLedgerStore(runtime.store.state),
    onError: (err, context) => logger.error({ err, context }, 'run error'),
  });
  const route = createRouter(options.commands ?? COMMANDS, { runtime, runs, logger });

  client.once(Events.ClientReady, (ready) => {
    logger.info({ user: ready.user.tag, guilds: ready.guilds.cache.size, teachers: runtime.teachers.map((t) => t.id) }, 'Zega is online');
  });
  client.on(Events.InteractionCreate, (interaction) => void route(interaction));
  client.on(Events.Error, (err) => logger.error({ err }, 'discord client error'));
  client.on(Events.Warn, (message) => logger.warn({ message }, 'discord client warning'));

  return {
    client,
    runs,
    async login(token) {
      // The quota spent before a restart still counts.
      await runs.restoreLedger();
      await client.login(token);
    },
    async stop() {
      await runs.stopAll();
      await client.destroy();
    },
  };
}
