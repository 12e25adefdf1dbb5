/**
 * The Discord front end: a discord.js client (Guilds intent only: slash commands and components
 * need no other) wired to the command router and a run queue (in this process, or the cluster's).
 */
import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { Runtime } from '../app/runtime.ts';
import { COMMANDS } from '../commands/index.ts';
import { resumedRunListener } from '../commands/autotrain.ts';
import type { Command, CommandContext } from '../commands/types.ts';
import { createInProcessQueue } from '../runs/index.ts';
import type { InProcessRunQueue } from '../runs/inProcess.ts';
import type { RunQueue } from '../runs/types.ts';
import { createRouter } from './router.ts';

export interface BotOptions {
  /** Another Discord REST base (`DISCORD_API_URL`), e.g. the tests' loopback server. */
  restApi?: string;
  commands?: readonly Command[];
  /** The cluster's queue (scaled mode); default: an in-process queue that runs the runs here. */
  runs?: RunQueue;
  /** How often to look for runs no bot reports on (cluster); default: once, at start. */
  adoptEveryMs?: number;
  /** This process's shards (ShardingManager); default: one process, every shard Discord asks for. */
  shards?: { ids: number[]; count: number };
}

export interface Bot {
  client: Client;
  runs: RunQueue;
  login(token: string): Promise<void>;
  /** Graceful shutdown: runs end `interrupted` after their examples in flight (within `graceMs`), then it disconnects. */
  stop(graceMs?: number): Promise<void>;
}

export function createBot(runtime: Runtime, options: BotOptions = {}): Bot {
  const logger = runtime.logger.child({ component: 'bot' });
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    ...(options.restApi ? { rest: { api: options.restApi } } : {}),
    ...(options.shards ? { shards: options.shards.ids, shardCount: options.shards.count } : {}),
    // Defence in depth: even a message that forgot its own allowedMentions pings nobody.
    allowedMentions: { parse: [] },
  });
  const onError = (err: unknown, context: string) => logger.error({ err, context }, 'run error');
  const local: InProcessRunQueue | undefined = options.runs ? undefined : createInProcessQueue(runtime, onError);
  const runs: RunQueue = options.runs ?? (local as InProcessRunQueue);
  const ctx: CommandContext = { runtime, runs, logger };
  const route = createRouter(options.commands ?? COMMANDS, ctx);

  let adoptTimer: NodeJS.Timeout | undefined;
  const adopt = () =>
    runs
      .adoptUnfinished((job, done) => resumedRunListener(ctx, client, job, done))
      .then((adopted) => {
        if (adopted.length > 0) logger.info({ runs: adopted }, 'reporting on runs left by a stopped process');
      })
      .catch((err: unknown) => logger.error({ err }, 'could not take over the unfinished runs'));
  client.once(Events.ClientReady, (ready) => {
    logger.info({ user: ready.user.tag, guilds: ready.guilds.cache.size, teachers: runtime.teachers.map((t) => t.id) }, 'Zega is online');
    // Runs a stopped process left unfinished resume here, their old progress message updated. In a
    // cluster a bot can go away any time: its runs are looked for again and again.
    void adopt();
    if (options.adoptEveryMs) {
      adoptTimer = setInterval(() => void adopt(), options.adoptEveryMs);
      adoptTimer.unref();
    }
  });
  client.on(Events.InteractionCreate, (interaction) => void route(interaction));
  client.on(Events.Error, (err) => logger.error({ err }, 'discord client error'));
  client.on(Events.Warn, (message) => logger.warn({ message }, 'discord client warning'));

  return {
    client,
    runs,
    async login(token) {
      await client.login(token);
    },
    async stop(graceMs = runtime.config.SHUTDOWN_GRACE_MS) {
      clearInterval(adoptTimer);
      // The cluster's queue belongs to whoever made it; this process's own queue stops here.
      await local?.close(graceMs);
      await client.destroy();
    },
  };
}
